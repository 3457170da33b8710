/**
 * The handlers of the preview's and the history's commands. Most take an argument: the id of a history entry,
 * from the tree view (its element) or from the panel.
 */
import type { CommandHandler } from '../../commandTable';
import { PreviewCommands } from '../../constants';
import { entryFromArgument } from '../history/historyActions';
import type { HistoryActions } from '../history/historyActions';
import type { ImageHistory } from '../history/imageHistory';
import type { ImagePreview } from './previewPanel';

export interface PreviewCommandServices {
  preview: ImagePreview;
  history: ImageHistory;
  actions: HistoryActions;
}

export function previewCommands(services: PreviewCommandServices): Record<(typeof PreviewCommands)[keyof typeof PreviewCommands], CommandHandler> {
  const { preview, history, actions } = services;
  const onEntry = (act: (entry: NonNullable<ReturnType<typeof entryFromArgument>>) => unknown): CommandHandler => (arg) => {
    const entry = entryFromArgument(history, arg);
    return entry ? act(entry) : undefined;
  };
  return {
    [PreviewCommands.showPreview]: (arg) => preview.show(typeof arg === 'string' ? { entryId: arg } : {}),
    [PreviewCommands.showHistory]: () => preview.show({ focusHistory: true }),
    [PreviewCommands.clearHistory]: () => actions.clear(),
    [PreviewCommands.insertHistoryImage]: onEntry((entry) => actions.insert(entry)),
    [PreviewCommands.regenerateHistoryImage]: onEntry((entry) => actions.regenerate(entry)),
    [PreviewCommands.removeHistoryEntry]: onEntry((entry) => actions.remove(entry)),
    [PreviewCommands.saveHistoryImageToWorkspace]: onEntry((entry) => actions.saveToWorkspace(entry)),
  };
}
