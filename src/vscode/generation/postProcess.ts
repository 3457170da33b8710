/**
 * The pipeline's post-process stage, between the gateway's bytes and the saved file. It keeps the image as
 * delivered for now; fitting to the asked size, re-encoding and transparency (the "images that fit" issue)
 * go here, so every feature gets them without changing.
 */
import type { GatewaySettings, GeneratedImage } from '../../core/types';

export function postProcess(image: GeneratedImage, _settings: GatewaySettings): Promise<GeneratedImage> {
  return Promise.resolve(image);
}
