/**
 * What the features say when an image is saved, and the "Reveal" they offer. The pipeline announces nothing:
 * each feature decides (the agent tool tells the model instead; Regenerate and Edit Image say where it went).
 */
import { commands, l10n, window, workspace } from 'vscode';
import type { Uri } from 'vscode';
import { notificationText } from '../../core/text/inertText';
import type { ProcessReport } from '../../core/image/process';
import { displayPath } from './insertion';
import type { InsertOutcome } from './insertion';

/**
 * "Saved docs/images/x.png" with Open Image / Reveal in Explorer (the clipboard case says why the link is there), and
 * what the post-process stage did when it did something ("asked 1024×1536, gateway sent 1536×1024, cropped").
 */
export function announceSaved(uri: Uri, outcome: InsertOutcome, processing?: ProcessReport): void {
  const openImage = l10n.t('Open Image');
  const reveal = l10n.t('Reveal in Explorer');
  // A folder or file name is data: `[Sign in again](command:…)` as a folder name must not become a link.
  const where = notificationText(displayPath(uri));
  const message =
    outcome.kind === 'copied'
      ? l10n.t('Saved {0}. The document was closed, so the link was copied to the clipboard.', where)
      : l10n.t('Saved {0}', where);
  const detail = processing ? processingText(processing) : '';
  const actions = outcome.kind === 'copied' ? [openImage] : [openImage, reveal];
  void window.showInformationMessage(detail === '' ? message : l10n.t('{0} ({1})', message, detail), ...actions).then((choice) => {
    if (choice === openImage) void commands.executeCommand('vscode.open', uri);
    else if (choice === reveal) revealImage(uri);
  });
}

const MIME_LABEL = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP' } as const;
const sizeText = (size: { width: number; height: number }): string => `${size.width}×${size.height}`;

/** The post-process report in the user's language; empty when nothing worth saying happened (as describeProcessing). */
export function processingText(report: ProcessReport): string {
  const parts: string[] = [];
  const { asked, delivered, saved } = report;
  if (asked && delivered && (asked.width !== delivered.width || asked.height !== delivered.height)) {
    parts.push(l10n.t('asked {0}, gateway sent {1}', sizeText(asked), sizeText(delivered)));
    parts.push(
      report.action === 'cropped'
        ? l10n.t('cropped')
        : report.action === 'padded'
          ? l10n.t('padded')
          : report.action === 'scaled'
            ? l10n.t('scaled')
            : asked.width * delivered.height === asked.height * delivered.width
              ? l10n.t('same aspect, kept as sent')
              : l10n.t('kept as sent'),
    );
  }
  if (report.downscaled && saved) parts.push(l10n.t('downscaled to {0}', sizeText(saved)));
  if (report.transparencyRefused) parts.push(l10n.t('the gateway refused a transparent background'));
  if (report.backgroundRemoved) parts.push(l10n.t('background removed locally'));
  if (report.converted) parts.push(l10n.t('converted {0} to {1}', MIME_LABEL[report.converted.from], MIME_LABEL[report.converted.to]));
  // The library's message is not the gateway's, but it may quote bytes: shown inert like any untrusted text.
  if (report.failed !== undefined) parts.push(l10n.t('could not be processed ({0}), saved as delivered', notificationText(report.failed)));
  return parts.join(l10n.t(', '));
}

/** The explorer when the image is in the workspace, else the OS file manager, else just open it. */
export function revealImage(uri: Uri): void {
  if (workspace.getWorkspaceFolder(uri)) void commands.executeCommand('revealInExplorer', uri);
  else if (uri.scheme === 'file') void commands.executeCommand('revealFileInOS', uri);
  else void commands.executeCommand('vscode.open', uri);
}
