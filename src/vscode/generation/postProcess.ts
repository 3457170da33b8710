/**
 * The pipeline's post-process stage, between the gateway's bytes and the saved file: the core's processImage
 * (src/core/image/process.ts) fits the image to the asked size, shrinks it and re-encodes it in the format to save,
 * as cpaImage.fit and cpaImage.save.* say. Every feature gets it without changing. The image codecs load on the
 * first generation that needs them, never at activation.
 */
import { readPixelSize } from '../../core/image/imageSize';
import { defaultProcessing, processImage, type ProcessedImage } from '../../core/image/process';
import { softwareName, withProvenance } from '../../core/image/provenance';
import type { GatewaySettings, GeneratedImage, Logger } from '../../core/types';

export async function postProcess(image: GeneratedImage, settings: GatewaySettings, log?: Logger, prompt?: string, edited = false): Promise<ProcessedImage> {
  const fitted = await processImage(image, settings.tool.size, settings.processing ?? defaultProcessing);
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
