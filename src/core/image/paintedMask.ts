/**
 * The check of a mask painted in the preview's Edit Region… painter (issue 14 item 3) before anything is sent. The
 * webview is not trusted, so its PNG is judged by its bytes: under the API's 4 MB cap, a real PNG by its signature
 * and by decoding it, the image's dimensions, and at least one fully transparent pixel (the OpenAI convention: the
 * transparent pixels are the area to edit, so a mask with none would edit nothing).
 */
import { MAX_MASK_BYTES } from '../gateway/editInputs';
import { detectImageType } from '../gateway/imageType';
import type { PixelSize } from './imageSize';
import type { Codecs } from './loadCodecs';

export type PaintedMaskVerdict =
  | { ok: true; transparentPixels: number }
  | { ok: false; problem: 'tooBig'; bytes: number }
  | { ok: false; problem: 'notPng' }
  | { ok: false; problem: 'wrongSize'; width: number; height: number }
  | { ok: false; problem: 'nothingPainted' };

/** Whether `bytes` is a usable mask for an image of `image`'s dimensions. `decode` is the project's PNG codec. */
export async function checkPaintedMask(bytes: Uint8Array, image: PixelSize, decode: Codecs['decode']): Promise<PaintedMaskVerdict> {
  // The size first: nothing larger is decoded.
  if (bytes.byteLength >= MAX_MASK_BYTES) return { ok: false, problem: 'tooBig', bytes: bytes.byteLength };
  if (detectImageType(bytes)?.mime !== 'image/png') return { ok: false, problem: 'notPng' };
  let pixels: Awaited<ReturnType<Codecs['decode']>>;
  try {
    pixels = await decode(bytes, 'png');
  } catch {
    // A PNG signature over bytes that do not decode is not a PNG either.
    return { ok: false, problem: 'notPng' };
  }
  if (pixels.width !== image.width || pixels.height !== image.height) {
    return { ok: false, problem: 'wrongSize', width: pixels.width, height: pixels.height };
  }
  let transparentPixels = 0;
  for (let i = 3; i < pixels.data.length; i += 4) if (pixels.data[i] === 0) transparentPixels++;
  return transparentPixels > 0 ? { ok: true, transparentPixels } : { ok: false, problem: 'nothingPainted' };
}
