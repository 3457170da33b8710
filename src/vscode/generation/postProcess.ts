/**
 * The pipeline's post-process stage, between the gateway's bytes and the saved file: the core's processImage
 * (src/core/image/process.ts) fits the image to the asked size, shrinks it and re-encodes it in the format to save,
 * as cpaImage.fit and cpaImage.save.* say. Every feature gets it without changing. The image codecs load on the
 * first generation that needs them, never at activation.
 */
import { defaultProcessing, processImage, type ProcessedImage } from '../../core/image/process';
import type { GatewaySettings, GeneratedImage, Logger } from '../../core/types';

export async function postProcess(image: GeneratedImage, settings: GatewaySettings, log?: Logger): Promise<ProcessedImage> {
  const processed = await processImage(image, settings.tool.size, settings.processing ?? defaultProcessing);
  if (processed.report.failed !== undefined) log?.warn(`the image could not be processed, it is saved as delivered: ${processed.report.failed}`);
  return processed;
}
