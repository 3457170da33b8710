/**
 * "Edit Region…" (issue 14 item 3): the preview's mask painter has posted a mask for an image of the history. The
 * mask is the webview's, so it is judged by its bytes first (core/image/paintedMask.ts: under 4 MB, a real PNG, the
 * image's dimensions, something painted), then the instruction is asked in an input box like Edit Image's, and the
 * image and mask go to the gateway together (the Images route's `mask`, the Responses tool's `input_image_mask`).
 * The result is saved as a new file next to the image (`photo-edit.png`, …), never over it.
 *
 * The instruction is asked here rather than in the panel: the input box is the one Edit Image uses (the same
 * validation, history of the quick input, localisation and screen-reader support), and it keeps typed user text
 * out of the webview.
 */
import * as path from 'node:path';
import { l10n, window } from 'vscode';
import type { Uri } from 'vscode';
import type { ImageMime } from '../../../core/types';
import { readPixelSize } from '../../../core/image/imageSize';
import { loadCodecs } from '../../../core/image/loadCodecs';
import { checkPaintedMask, type PaintedMaskVerdict } from '../../../core/image/paintedMask';
import { notificationText } from '../../../core/text/inertText';
import { errorText } from '../../../core/text/describe';
import { announceSaved } from '../../generation/announce';
import { errorLogDetails } from '../../ui/errorMessages';
import type { Services } from '../../services';
import { readImageForEdit } from './editImage';

export async function editRegion(services: Services, uri: Uri, maskBytes: Uint8Array): Promise<void> {
  const name = notificationText(path.posix.basename(uri.path));
  let image: Awaited<ReturnType<typeof readImageForEdit>>;
  try {
    image = await readImageForEdit(uri, services);
  } catch (err) {
    services.log.warn(`Edit Region: ${uri.toString(true)} refused: ${errorLogDetails(err)}`);
    void window.showErrorMessage(l10n.t('Could not read {0}: {1}', name, notificationText(errorText(err))));
    return;
  }
  const size = readPixelSize(image.bytes, image.mime as ImageMime);
  if (!size) {
    void window.showErrorMessage(l10n.t('Could not read the size of {0}. Nothing was sent.', name));
    return;
  }
  const { decode } = await loadCodecs();
  const verdict = await checkPaintedMask(maskBytes, size, decode);
  if (!verdict.ok) {
    services.log.warn(`Edit Region: the painted mask was refused (${verdict.problem})`);
    void window.showErrorMessage(refusal(verdict, size));
    return;
  }

  await services.pipeline.checkConfigured({ saveTo: { kind: 'nextTo', file: uri } });
  const instruction = await window.showInputBox({
    title: l10n.t('Edit Region: {0}', name),
    prompt: l10n.t('Describe the change to the painted area. The result is saved as a new file next to {0}; the original is not modified.', name),
    placeHolder: l10n.t('For example: replace it with a window'),
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === '' ? l10n.t('Describe the change, or press Escape to cancel.') : undefined),
  });
  if (instruction === undefined || instruction.trim() === '') return;

  services.log.info(`Edit Region: ${uri.toString(true)} (${image.mime}, ${image.bytes.length} bytes) with a mask of ${verdict.transparentPixels} painted pixels`);
  const output = await services.pipeline.run({
    prompt: instruction.trim(),
    inputImages: [image],
    mask: { mime: 'image/png', bytes: maskBytes },
    saveTo: { kind: 'nextTo', file: uri },
  });
  announceSaved(output.uri, { kind: 'none' }, output.processing);
}

/** Why the mask cannot be used, for the user (the webview makes none of these; a message that does is not its own). */
function refusal(verdict: Exclude<PaintedMaskVerdict, { ok: true }>, size: { width: number; height: number }): string {
  switch (verdict.problem) {
    case 'tooBig':
      return l10n.t('The painted mask is {0} bytes; masks must be under 4 MB. Nothing was sent.', verdict.bytes);
    case 'notPng':
      return l10n.t('The painted mask is not a PNG image. Nothing was sent.');
    case 'wrongSize':
      return l10n.t('The painted mask is {0}x{1} but the image is {2}x{3}. Nothing was sent.', verdict.width, verdict.height, size.width, size.height);
    case 'nothingPainted':
      return l10n.t('Nothing is painted: paint the area to change, then press Next.');
  }
}
