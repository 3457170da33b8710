/**
 * RGBA pixel buffers and the operations on them that are plain copies, not codecs: cutting a rectangle out,
 * placing an image on a larger canvas, and telling whether any pixel is see-through. Decoding, encoding and
 * resampling are the WebAssembly libraries' job (codecs.ts).
 */

/** 8-bit RGBA, row after row, no padding: `data.length === width * height * 4`. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The pixels of `rect` (which must lie inside the image) as a new image. */
export function cropPixels(image: RgbaImage, rect: Rect): RgbaImage {
  if (rect.x === 0 && rect.y === 0 && rect.width === image.width && rect.height === image.height) return image;
  const out = new Uint8Array(rect.width * rect.height * 4);
  const rowBytes = rect.width * 4;
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.y + y) * image.width + rect.x) * 4;
    out.set(image.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { width: rect.width, height: rect.height, data: out };
}

/** `image` placed at (`x`, `y`) on a `width`×`height` canvas filled with `fill` (RGBA). */
export function padPixels(image: RgbaImage, width: number, height: number, x: number, y: number, fill: readonly [number, number, number, number]): RgbaImage {
  if (width === image.width && height === image.height) return image;
  const out = new Uint8Array(width * height * 4);
  const [r, g, b, a] = fill;
  if (r !== 0 || g !== 0 || b !== 0 || a !== 0) {
    for (let i = 0; i < out.length; i += 4) {
      out[i] = r;
      out[i + 1] = g;
      out[i + 2] = b;
      out[i + 3] = a;
    }
  }
  const rowBytes = image.width * 4;
  for (let row = 0; row < image.height; row++) {
    const from = row * rowBytes;
    out.set(image.data.subarray(from, from + rowBytes), ((y + row) * width + x) * 4);
  }
  return { width, height, data: out };
}

/** True when some pixel is not fully opaque. */
export function hasTransparency(image: RgbaImage): boolean {
  for (let i = 3; i < image.data.length; i += 4) if (image.data[i] !== 255) return true;
  return false;
}

/** The image over white, every pixel opaque: what a format without alpha (JPEG) must be given. */
export function flattenOnWhite(image: RgbaImage): RgbaImage {
  if (!hasTransparency(image)) return image;
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i += 4) {
    const alpha = image.data[i + 3] ?? 255;
    for (let c = 0; c < 3; c++) out[i + c] = Math.round(((image.data[i + c] ?? 0) * alpha + 255 * (255 - alpha)) / 255);
    out[i + 3] = 255;
  }
  return { width: image.width, height: image.height, data: out };
}
