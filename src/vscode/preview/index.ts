/**
 * Composes the image history (kept in workspaceState), the preview panel, the history tree view and their commands.
 * The history subscribes to the runner before the panel does, so a finished run's entry exists when the panel
 * looks it up.
 */
import { Disposable, window } from 'vscode';
import type { Memento, Uri } from 'vscode';
import { HistoryActions } from '../history/historyActions';
import { createHistoryTreeView } from '../history/historyTree';
import { ImageHistory } from '../history/imageHistory';
import { previewViewType } from '../constants';
import type { Services } from '../services';
import { registerPreviewCommands } from './commands';
import { ImagePreview } from './previewPanel';

export function registerPreview(services: Services, workspaceState: Memento, extensionUri: Uri): Disposable {
  const { runner, registry, configuration, log, showLog } = services;
  const history = new ImageHistory(workspaceState, runner, log);
  const actions = new HistoryActions({ runner, history, configuration, log, showLog });
  const preview = new ImagePreview({ extensionUri, runner, registry, history, actions, log });
  return Disposable.from(
    history,
    actions,
    preview,
    createHistoryTreeView(history),
    registerPreviewCommands({ preview, history, actions, log, showLog }),
    // After a window reload VS Code brings the panel back in its place (activation event onWebviewPanel:…).
    window.registerWebviewPanelSerializer(previewViewType, {
      deserializeWebviewPanel: (panel) => {
        preview.adopt(panel);
        return Promise.resolve();
      },
    }),
  );
}
