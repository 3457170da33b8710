/**
 * What an edit may send (issue 14): how many images and what mask, checked before any request is spent, the same
 * for both routes. The limits are the ones OpenAI documents for image edits (images-api.md §8): up to 16 images;
 * the mask a PNG under 4 MB with the first image's dimensions, whose fully transparent pixels mark the area to edit.
 */
import type { ImageRequest, InputImage } from '../types';
import { GatewayError } from '../errors';
import { detectImageType } from './imageType';
import { readPixelSize } from '../image/imageSize';

/** `images`: 1–16 on the Images route (spec `EditImageBodyJsonParam`); the Responses route is held to the same. */
export const MAX_EDIT_IMAGES = 16;
/**
 * The most image bytes one edit sends, all images together: 16 images of up to 20 MiB each would be a request of
 * ~430 MiB of base64, which no gateway takes and which the extension host would hold in memory at once.
 */
export const MAX_EDIT_TOTAL_BYTES = 64 * 1024 * 1024;
/** "Must be a valid PNG file, less than 4MB" (spec `CreateImageEditRequest.mask`). */
export const MAX_MASK_BYTES = 4 * 1024 * 1024;

/** Throws `GatewayError('config')` naming what is wrong with the edit's images or mask; nothing when they are usable. */
export function checkEditInputs(request: Pick<ImageRequest, 'inputImages' | 'mask'>): void {
  const images = request.inputImages ?? [];
  if (images.length > MAX_EDIT_IMAGES) {
    throw new GatewayError('config', `An edit takes at most ${MAX_EDIT_IMAGES} images; ${images.length} were given.`);
  }
  const total = images.reduce((sum, image) => sum + image.bytes.byteLength, 0);
  if (total > MAX_EDIT_TOTAL_BYTES) {
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    throw new GatewayError('config', `The images of one edit are ${mib(total)} MiB together; at most ${MAX_EDIT_TOTAL_BYTES / 1024 / 1024} MiB are sent at once. Pick fewer or smaller images.`);
  }
  if (request.mask) checkMask(request.mask, images[0]);
}

function checkMask(mask: InputImage, first: InputImage | undefined): void {
  if (!first) throw new GatewayError('config', 'A mask needs an image to edit: give the image as well.');
  if (detectImageType(mask.bytes)?.mime !== 'image/png') {
    throw new GatewayError('config', 'The mask must be a PNG image (its fully transparent pixels mark the area to edit).');
  }
  if (mask.bytes.byteLength >= MAX_MASK_BYTES) {
    throw new GatewayError('config', `The mask is ${mask.bytes.byteLength} bytes; the image API takes masks under 4 MB.`);
  }
  const maskSize = readPixelSize(mask.bytes, 'image/png');
  const type = detectImageType(first.bytes);
  const imageSize = type ? readPixelSize(first.bytes, type.mime) : undefined;
  if (maskSize && imageSize && (maskSize.width !== imageSize.width || maskSize.height !== imageSize.height)) {
    throw new GatewayError(
      'config',
      `The mask is ${maskSize.width}x${maskSize.height} but the image is ${imageSize.width}x${imageSize.height}; the mask must have the image's dimensions.`,
    );
  }
}
