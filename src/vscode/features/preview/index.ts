/**
 * Composes the image history (kept in workspaceState), the preview panel, the history tree view and their commands.
 * The history subscribes to the pipeline before the panel does, so a finished run's entry exists when the panel
 * looks it up.
 */
import { Disposable, window } from 'vscode';
import type { Memento, TreeView } from 'vscode';
import { Uri } from 'vscode';
import { reportFailure } from '../../commandTable';
import type { CommandHandler } from '../../commandTable';
import { HistoryActions } from '../history/historyActions';
import { createHistoryTreeView } from '../history/historyTree';
import { ImageHistory } from '../history/imageHistory';
import { PreviewCommands, previewViewType } from '../../constants';
import type { Services } from '../../services';
import { previewCommands } from './commands';
import { ImagePreview } from './previewPanel';
import { PROTECTED_NEWEST_ENTRIES } from '../../../core/files/storageCap';

export interface PreviewFeature {
  disposable: Disposable;
  /** The history view in the Explorer (its welcome content depends on whether the gateway is set up). */
  historyView: TreeView<string>;
  commands: Record<(typeof PreviewCommands)[keyof typeof PreviewCommands], CommandHandler>;
}

export function registerPreview(services: Services, workspaceState: Memento, extensionUri: Uri): PreviewFeature {
  const { pipeline, registry, configuration, variants, log } = services;
  const history = new ImageHistory(workspaceState, pipeline, log);
  const actions = new HistoryActions({ pipeline, history, configuration, variants, log });
  // Edit Region…: loaded on first use, and reported like a failed command (it runs outside the command table).
  const editRegion = (uri: Uri, mask: Uint8Array): Promise<void> =>
    import('../editImage/editRegion')
      .then((module) => module.editRegion(services, uri, mask))
      .catch((err: unknown) => reportFailure('Edit Region', err, services));
  const preview = new ImagePreview({ extensionUri, pipeline, registry, history, actions, variants, log, editRegion });
  // The cap on the stored variants never removes a file that the newest entries still show.
  variants.protect(() => history.list().slice(0, PROTECTED_NEWEST_ENTRIES).filter((entry) => entry.stored).map((entry) => entry.uri));
  const historyTree = createHistoryTreeView(history);
  return {
    historyView: historyTree.view,
    disposable: Disposable.from(
      variants.onDidSaveToWorkspace(({ stored, saved }) => history.moveToWorkspace(stored, saved)),
      history,
      actions,
      preview,
      historyTree.disposable,
      // After a window reload VS Code brings the panel back in its place (activation event onWebviewPanel:…).
      window.registerWebviewPanelSerializer(previewViewType, {
        deserializeWebviewPanel: (panel) => {
          preview.adopt(panel);
          return Promise.resolve();
        },
      }),
    ),
    commands: previewCommands({ preview, history, actions }),
  };
}
