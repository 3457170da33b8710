/**
 * What the features say when an image is saved, and the "Reveal" they offer. The pipeline announces nothing:
 * each feature decides (the agent tool tells the model instead; Regenerate and Edit Image say where it went).
 */
import { commands, l10n, window, workspace } from 'vscode';
import type { Uri } from 'vscode';
import { notificationText } from '../../core/text/inertText';
import { displayPath } from './insertion';
import type { InsertOutcome } from './insertion';

/** "Saved docs/images/x.png" with Open Image / Reveal in Explorer (the clipboard case says why the link is there). */
export function announceSaved(uri: Uri, outcome: InsertOutcome): void {
  const openImage = l10n.t('Open Image');
  const reveal = l10n.t('Reveal in Explorer');
  // A folder or file name is data: `[Sign in again](command:…)` as a folder name must not become a link.
  const where = notificationText(displayPath(uri));
  const message =
    outcome.kind === 'copied'
      ? l10n.t('Saved {0}. The document was closed, so the link was copied to the clipboard.', where)
      : l10n.t('Saved {0}', where);
  const actions = outcome.kind === 'copied' ? [openImage] : [openImage, reveal];
  void window.showInformationMessage(message, ...actions).then((choice) => {
    if (choice === openImage) void commands.executeCommand('vscode.open', uri);
    else if (choice === reveal) revealImage(uri);
  });
}

/** The explorer when the image is in the workspace, else the OS file manager, else just open it. */
export function revealImage(uri: Uri): void {
  if (workspace.getWorkspaceFolder(uri)) void commands.executeCommand('revealInExplorer', uri);
  else if (uri.scheme === 'file') void commands.executeCommand('revealFileInOS', uri);
  else void commands.executeCommand('vscode.open', uri);
}
