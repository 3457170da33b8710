/**
 * "Edit Image…" (SPEC §7): sends a PNG, JPEG or WebP file with an instruction and saves the result as a new file
 * next to it (`photo-edit.png`, then `photo-edit-2.png`, …); the original is never written. The image always goes
 * along as an `input_image` data URL: CPA drops `previous_response_id` (research/gateway.md §1.4), so an earlier
 * response cannot be referred to.
 *
 * Called from the explorer's context menu and the image preview's title bar (with the file's Uri), from the preview
 * panel's Edit button (with the image's Uri), or from the palette (the active image, else an open dialog). On an
 * Explorer multi-selection (issue 14 item 4) every selected image goes along, the clicked one first, and the result is
 * saved next to that one; `core/files/editSelection.ts` decides which files and in what order.
 */
import * as path from 'node:path';
import { FileType, TabInputCustom, Uri, l10n, window, workspace } from 'vscode';
import { editSelection, sortEditFiles } from '../../../core/files/editSelection';
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

/** Why the images cannot be edited, in words for the user. */
class UnusableImage extends Error {}

/** Why one file cannot be sent: `message` when it is the only file, `reason` as an entry of a selection's list. */
interface Refusal {
  uri: Uri;
  message: string;
  reason: string;
}

export async function editImage(services: Services, ...args: unknown[]): Promise<void> {
  const clicked = args[0] instanceof Uri ? args[0] : await chooseImage();
  if (!clicked) return;
  // From the Explorer's context menu the second argument is the selection; from the editor's title bar it is not an
  // array of Uris, and the edit is about the clicked file alone.
  const selected = Array.isArray(args[1]) ? args[1].filter((item): item is Uri => item instanceof Uri) : undefined;
  const selection = editSelection(clicked, selected, (uri) => uri.toString());
  if (selection.kind === 'tooMany') {
    services.log.warn(`Edit Image: ${selection.count} files selected, at most ${selection.limit} are sent: refused`);
    void window.showErrorMessage(
      l10n.t('Edit Image sends at most {0} images at once; {1} files are selected. Select fewer and try again. Nothing was sent.', selection.limit, selection.count),
    );
    return;
  }
  const uris = selection.items;
  const first = uris[0] ?? clicked;
  // File names are data: inert in the error notification and in the input box's prompt (both parse links).
  const name = notificationText(posix.basename(first.path));

  let inputs: InputImage[];
  try {
    inputs = await readImagesForEdit(uris, services);
  } catch (err) {
    // The refusals are logged where they are found; anything else is logged here.
    if (!(err instanceof UnusableImage)) services.log.warn(`Edit Image: ${first.toString(true)} refused: ${errorLogDetails(err)}`);
    void window.showErrorMessage(err instanceof UnusableImage ? err.message : l10n.t('Could not read {0}: {1}', name, notificationText(errorText(err))));
    return;
  }

  // A gateway that is not set up is reported (with its fix) before the change is described, not after.
  await services.pipeline.checkConfigured({ saveTo: { kind: 'nextTo', file: first } });
  const instruction = await window.showInputBox({
    ...(uris.length === 1
      ? {
          title: l10n.t('Edit Image: {0}', name),
          prompt: l10n.t('Describe the change. The result is saved as a new file next to {0}; the original is not modified.', name),
        }
      : {
          title: l10n.t('Edit Image: {0} images, {1} first', uris.length, name),
          prompt: l10n.t(
            'Describe the change. {0} images are sent, in this order: {1}. The result is saved as a new file next to {2}; the originals are not modified.',
            uris.length,
            nameList(uris),
            name,
          ),
        }),
    placeHolder: l10n.t('For example: make it night, with snow falling'),
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' ? l10n.t('Describe the change, or press Escape to cancel.') : undefined),
  });
  if (instruction === undefined || instruction.trim() === '') return;

  const described = inputs.map((input, i) => `${uris[i]?.toString(true)} (${input.mime}, ${input.bytes.length} bytes)`);
  services.log.info(`Edit Image: ${described.join(', ')}`);
  const output = await services.pipeline.run({ prompt: instruction.trim(), inputImages: inputs, saveTo: { kind: 'nextTo', file: first } });
  announceSaved(output.uri, { kind: 'none' }, output.processing);
}

/**
 * The files' bytes and real types, in the order given. Throws `UnusableImage` (a message for the user) when any of
 * them is a folder, over the size limit, unreadable, or bytes that are not PNG, JPEG or WebP whatever the file is
 * called: one file's message as it always was, or for a selection one message naming every file refused.
 */
async function readImagesForEdit(uris: readonly Uri[], services: Services): Promise<InputImage[]> {
  const refusals: Refusal[] = [];
  const read: { item: Uri; bytes: Uint8Array }[] = [];
  for (const uri of uris) {
    try {
      const bytes = await readWithinLimit(uri);
      if (bytes instanceof Uint8Array) read.push({ item: uri, bytes });
      else refusals.push(bytes);
    } catch (err) {
      const text = l10n.t('Could not read {0}: {1}', displayName(uri), notificationText(errorText(err)));
      refusals.push({ uri, message: text, reason: text });
    }
  }
  const kinds = sortEditFiles(read);
  for (const { item, startsWith } of kinds.notImages) {
    const shown = [displayName(item), notificationText(startsWith)] as const;
    refusals.push({
      uri: item,
      message: l10n.t('{0} is not a PNG, JPEG or WebP image (it starts with: {1}). Nothing was sent.', ...shown),
      reason: l10n.t('{0} is not a PNG, JPEG or WebP image (it starts with: {1})', ...shown),
    });
  }
  for (const refusal of refusals) services.log.warn(`Edit Image: ${refusal.uri.toString(true)} refused: ${refusal.reason}`);
  if (uris.length === 1 && refusals[0]) throw new UnusableImage(refusals[0].message);
  if (refusals.length > 0) {
    // In the selection's order, so the list reads like the Explorer; the reasons come first, as a collapsed
    // notification shows only its beginning.
    const order = (refusal: Refusal) => uris.indexOf(refusal.uri);
    const reasons = refusals.sort((a, b) => order(a) - order(b)).map((refusal) => refusal.reason.replace(/[.。]$/, ''));
    throw new UnusableImage(l10n.t('{0}. Nothing was sent: {1} of the {2} selected files cannot be edited.', reasons.join('; '), refusals.length, uris.length));
  }
  return kinds.images.map(({ image }) => image);
}

/** One image for an edit (Edit Region…): its bytes and real type, or `UnusableImage` with the message one file gets. */
export async function readImageForEdit(uri: Uri, services: Services): Promise<InputImage> {
  const [image] = await readImagesForEdit([uri], services);
  // One file in, one image out or a throw: the check is for the type only.
  if (!image) throw new UnusableImage(l10n.t('{0} could not be read.', displayName(uri)));
  return image;
}

/** The file's bytes, or why it is not read: a folder, or a file over the size limit (checked again after reading). */
async function readWithinLimit(uri: Uri): Promise<Uint8Array | Refusal> {
  const name = displayName(uri);
  const stat = await workspace.fs.stat(uri);
  if ((stat.type & FileType.Directory) !== 0) {
    return { uri, message: l10n.t('{0} is a folder, not an image.', name), reason: l10n.t('{0} is a folder, not an image', name) };
  }
  const tooLarge = (size: number): Refusal => ({
    uri,
    message: l10n.t('{0} is {1} MiB; images up to {2} MiB can be edited. Make it smaller and try again.', name, mebibytes(size), mebibytes(maxEditImageBytes)),
    reason: l10n.t('{0} is {1} MiB (images up to {2} MiB can be edited)', name, mebibytes(size), mebibytes(maxEditImageBytes)),
  });
  if (stat.size > maxEditImageBytes) return tooLarge(stat.size);
  const bytes = await workspace.fs.readFile(uri);
  // The file may have grown since the stat.
  return bytes.length > maxEditImageBytes ? tooLarge(bytes.length) : bytes;
}

/** The file's name as the notification and the input box show it: data, never a link. */
function displayName(uri: Uri): string {
  return notificationText(posix.basename(uri.path));
}

/** The names of the images sent, in order; a long selection is cut after a few names. */
function nameList(uris: readonly Uri[]): string {
  const shown = 4;
  const names = uris.slice(0, shown).map(displayName).join(', ');
  return uris.length > shown ? `${names} ${l10n.t('… and {0} more', uris.length - shown)}` : names;
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

