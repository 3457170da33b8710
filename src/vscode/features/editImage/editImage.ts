/**
 * "Edit Image…" (SPEC §7): sends a PNG, JPEG or WebP file with an instruction and saves the result as a new file
 * next to it (`photo-edit.png`, then `photo-edit-2.png`, …); the original is never written. The image always goes
 * along as an `input_image` data URL: CPA drops `previous_response_id` (research/gateway.md §1.4), so an earlier
 * response cannot be referred to.
 *
 * Called from the explorer's context menu and the image preview's title bar (with the file's Uri), from the preview
 * panel's Edit button (with the image's Uri), or from the palette (the active image, else an open dialog).
 */
import * as path from 'node:path';
import { FileType, TabInputCustom, Uri, l10n, window, workspace } from 'vscode';
import { describeBytes, detectImageType } from '../../../core/gateway/imageType';
import { notificationText } from '../../../core/text/inertText';
import type { InputImage } from '../../../core/types';
import { errorLogDetails } from '../../ui/errorMessages';
import { announceSaved } from '../../generation/announce';
import type { Services } from '../../services';
import { errorText } from '../../../core/text/describe';

const posix = path.posix;

/** Larger images are refused before anything is sent: gateways reject them, and a data URL grows by a third. */
export const maxEditImageBytes = 20 * 1024 * 1024;

const imageExtensions = ['png', 'jpg', 'jpeg', 'webp'];
const imageName = /\.(png|jpe?g|webp)$/i;

/** Why an image cannot be edited, in words for the user. */
class UnusableImage extends Error {}

export async function editImage(services: Services, ...args: unknown[]): Promise<void> {
  const uri = args[0] instanceof Uri ? args[0] : await chooseImage();
  if (!uri) return;
  // The file name is data: inert in the error notification and in the input box's prompt (both parse links).
  const name = notificationText(posix.basename(uri.path));

  let input: InputImage;
  try {
    input = await readImageForEdit(uri);
  } catch (err) {
    services.log.warn(`Edit Image: ${uri.toString(true)} refused: ${errorLogDetails(err)}`);
    void window.showErrorMessage(err instanceof UnusableImage ? err.message : l10n.t('Could not read {0}: {1}', name, notificationText(errorText(err))));
    return;
  }

  // A gateway that is not set up is reported (with its fix) before the change is described, not after.
  await services.pipeline.checkConfigured({ saveTo: { kind: 'nextTo', file: uri } });
  const instruction = await window.showInputBox({
    title: l10n.t('Edit Image: {0}', name),
    prompt: l10n.t('Describe the change. The result is saved as a new file next to {0}; the original is not modified.', name),
    placeHolder: l10n.t('For example: make it night, with snow falling'),
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' ? l10n.t('Describe the change, or press Escape to cancel.') : undefined),
  });
  if (instruction === undefined || instruction.trim() === '') return;

  services.log.info(`Edit Image: ${uri.toString(true)} (${input.mime}, ${input.bytes.length} bytes)`);
  const output = await services.pipeline.run({ prompt: instruction.trim(), inputImages: [input], saveTo: { kind: 'nextTo', file: uri } });
  announceSaved(output.uri, { kind: 'none' }, output.processing);
}

/**
 * The file's bytes and real type. Throws `UnusableImage` (a message for the user) for a folder, a file over the
 * size limit, or bytes that are not PNG, JPEG or WebP whatever the file is called.
 */
export async function readImageForEdit(uri: Uri): Promise<InputImage> {
  // The messages below are shown in a notification: the name and the file's first bytes are data.
  const name = notificationText(posix.basename(uri.path));
  const stat = await workspace.fs.stat(uri);
  if ((stat.type & FileType.Directory) !== 0) throw new UnusableImage(l10n.t('{0} is a folder, not an image.', name));
  if (stat.size > maxEditImageBytes) {
    throw new UnusableImage(
      l10n.t('{0} is {1} MiB; images up to {2} MiB can be edited. Make it smaller and try again.', name, mebibytes(stat.size), mebibytes(maxEditImageBytes)),
    );
  }
  const bytes = await workspace.fs.readFile(uri);
  // The file may have grown since the stat.
  if (bytes.length > maxEditImageBytes) {
    throw new UnusableImage(
      l10n.t('{0} is {1} MiB; images up to {2} MiB can be edited. Make it smaller and try again.', name, mebibytes(bytes.length), mebibytes(maxEditImageBytes)),
    );
  }
  const type = detectImageType(bytes);
  if (!type) {
    throw new UnusableImage(
      l10n.t('{0} is not a PNG, JPEG or WebP image (it starts with: {1}). Nothing was sent.', name, notificationText(describeBytes(bytes, 24))),
    );
  }
  return { mime: type.mime, bytes };
}

/** From the palette: the image shown in the active editor, else one picked in an open dialog. */
async function chooseImage(): Promise<Uri | undefined> {
  const input = window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof TabInputCustom && imageName.test(input.uri.path)) return input.uri;
  const folder = workspace.workspaceFolders?.[0]?.uri;
  const picked = await window.showOpenDialog({
    title: l10n.t('Edit Image'),
    openLabel: l10n.t('Edit Image'),
    canSelectMany: false,
    canSelectFolders: false,
    filters: { [l10n.t('Images')]: imageExtensions },
    ...(folder ? { defaultUri: folder } : {}),
  });
  return picked?.[0];
}

function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');
}

