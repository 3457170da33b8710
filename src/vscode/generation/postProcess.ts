/**
 * The pipeline's post-process stage, between the gateway's bytes and the saved file: the core's processImage
 * (src/core/image/process.ts) fits the image to the asked size, shrinks it and re-encodes it in the format to save,
 * as cpaImage.fit and cpaImage.save.* say. Every feature gets it without changing. The pixel work runs in a worker
 * thread (core/image/offThread.ts: dist/imageWorker.js beside this bundle), so the extension host is not blocked
 * while an image is decoded and encoded; the codecs load there on the first image that needs them, never at
 * activation.
 */

let images: OffThreadImages | undefined;
const offThread = (job: TransformJob): Promise<ProcessedImage> => (images ??= offThreadImages(path.join(__dirname, 'imageWorker.js'))).transform(job);

/** Ends the image worker (deactivation). */
export async function disposeImageWorker(): Promise<void> {
  await images?.dispose();
  images = undefined;
}
import * as path from 'node:path';
import { readPixelSize } from '../../core/image/imageSize';
import { loadCodecs } from '../../core/image/loadCodecs';
import { offThreadImages, type OffThreadImages } from '../../core/image/offThread';
import { defaultProcessing, processImage, type ProcessedImage, type TransformJob } from '../../core/image/process';
import { softwareName, withProvenance } from '../../core/image/provenance';
import type { GatewaySettings, GeneratedImage, Logger } from '../../core/types';

export async function postProcess(image: GeneratedImage, settings: GatewaySettings, log?: Logger, prompt?: string, edited = false): Promise<ProcessedImage> {
  const fitted = await processImage(image, settings.tool.size, settings.processing ?? defaultProcessing, loadCodecs, offThread);
  // Provenance in the file (cpaImage.save.metadata): a container edit once the pixels are final, as the CLI does.
  const processed = prompt === undefined ? fitted : { ...fitted, image: withProvenance(fitted.image, prompt, settings, softwareName('extension'), new Date(), edited) };
  if (processed.report.failed !== undefined) log?.warn(`the image could not be processed, it is saved as delivered: ${processed.report.failed}`);
  // From here on `size` is what the file really holds, read from its bytes: the preview and the history show it,
  // not the gateway's `size` field (which repeats what was asked, whatever was sent).
  const real = readPixelSize(processed.image.bytes, processed.image.mime);
  if (real === undefined) {
    const { size: _reported, ...withoutSize } = processed.image;
    return { ...processed, image: withoutSize };
  }
  return { ...processed, image: { ...processed.image, size: `${real.width}x${real.height}` } };
}
