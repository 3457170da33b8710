/**
 * The preview's and the history's commands. They are registered here rather than in commands/index.ts because
 * they take an argument: the id of a history entry, from the tree view (its element) or from the panel.
 */
import { Disposable, commands } from 'vscode';
import type { Logger } from '../../core/types';
import { PreviewCommands } from '../constants';
import { errorLogDetails } from '../errorMessages';
import { showError } from '../generationRunner';
import { entryFromArgument } from '../history/historyActions';
import type { HistoryActions } from '../history/historyActions';
import type { ImageHistory } from '../history/imageHistory';
import type { ImagePreview } from './previewPanel';

export interface PreviewCommandServices {
  preview: ImagePreview;
  history: ImageHistory;
  actions: HistoryActions;
  log: Logger;
  showLog: () => void;
}

export function registerPreviewCommands(services: PreviewCommandServices): Disposable {
  const { preview, history, actions } = services;
  const onEntry = (act: (entry: NonNullable<ReturnType<typeof entryFromArgument>>) => unknown) => (arg: unknown) => {
    const entry = entryFromArgument(history, arg);
    return entry ? act(entry) : undefined;
  };
  const handlers: Record<(typeof PreviewCommands)[keyof typeof PreviewCommands], (arg: unknown) => unknown> = {
    [PreviewCommands.showPreview]: (arg) => preview.show(typeof arg === 'string' ? { entryId: arg } : {}),
    [PreviewCommands.showHistory]: () => preview.show({ focusHistory: true }),
    [PreviewCommands.clearHistory]: () => actions.clear(),
    [PreviewCommands.insertHistoryImage]: onEntry((entry) => actions.insert(entry)),
    [PreviewCommands.regenerateHistoryImage]: onEntry((entry) => actions.regenerate(entry)),
    [PreviewCommands.removeHistoryEntry]: onEntry((entry) => actions.remove(entry)),
  };
  const run = async (id: string, handler: (arg: unknown) => unknown, arg: unknown): Promise<void> => {
    try {
      await handler(arg);
    } catch (err) {
      services.log.error(`${id} failed: ${errorLogDetails(err)}`);
      await showError(err, undefined, services.showLog);
    }
  };
  return Disposable.from(
    ...Object.entries(handlers).map(([id, handler]) => commands.registerCommand(id, (arg: unknown) => run(id, handler, arg))),
  );
}
