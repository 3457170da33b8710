/**
 * Real image bytes for the test gateway: a small PNG encoder (zlib + CRC-32), a streaming PNG
 * writer for bodies too large to build at once, and tiny JPEG/WebP files made by Chromium's own
 * encoders (checked to decode there), so that every byte the gateway serves is a valid image.
 */
import { deflateSync } from 'node:zlib';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG uses it). Pass the previous value to continue over several buffers. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Adler-32 (the zlib trailer). Pass the previous value to continue over several buffers. */
export function adler32(bytes: Uint8Array, previous = 1): number {
  let a = previous & 0xffff;
  let b = (previous >>> 16) & 0xffff;
  // 5552 is the largest block for which the sums cannot overflow before the modulo.
  for (let start = 0; start < bytes.length; start += 5552) {
    const end = Math.min(start + 5552, bytes.length);
    for (let i = start; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** One PNG chunk: length, type, data, CRC over type + data. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(data, crc32(head.subarray(4, 8))), 0);
  return Buffer.concat([head, data, tail]);
}

function ihdr(width: number, height: number): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = 8; // bit depth
  data[9] = 2; // colour type: truecolour RGB
  data[10] = 0; // deflate
  data[11] = 0; // adaptive filtering
  data[12] = 0; // no interlace
  return pngChunk('IHDR', data);
}

/** xorshift32: fast, deterministic pseudo-random bytes (noise that zlib cannot compress). */
function fillNoise(target: Buffer, state: { s: number }): void {
  let s = state.s || 0x9e3779b9;
  let i = 0;
  for (; i + 4 <= target.length; i += 4) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    target.writeUInt32LE(s >>> 0, i);
  }
  for (; i < target.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    target[i] = s & 0xff;
  }
  state.s = s >>> 0;
}

export interface PngOptions {
  /** Random pixels: the file is about as large as the raw pixels (incompressible). */
  noise?: boolean;
  /** Varies the picture, so that partial images and finals differ. */
  seed?: number;
  /**
   * An opaque subject on a plain background (issue 12, transparency): a light grey (236, 240, 244) field with a dark
   * blue (40, 60, 120) disc in the middle, of a third of the smaller side in radius.
   */
  subject?: boolean;
}

/** A valid RGB PNG of the given size: a gradient, or noise. */
export function makePng(width: number, height: number, options: PngOptions = {}): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`makePng: bad size ${width}x${height}`);
  }
  const seed = options.seed ?? 0;
  const rowLength = 1 + width * 3;
  const raw = Buffer.alloc(rowLength * height);
  if (options.subject) {
    const radius = Math.min(width, height) / 3;
    for (let y = 0; y < height; y++) {
      const row = y * rowLength;
      raw[row] = 0;
      for (let x = 0; x < width; x++) {
        const inside = Math.hypot(x + 0.5 - width / 2, y + 0.5 - height / 2) < radius;
        raw.set(inside ? [40, 60, 120] : [236, 240, 244], row + 1 + x * 3);
      }
    }
  } else if (options.noise) {
    fillNoise(raw, { s: 0x2545f491 ^ (seed * 0x9e3779b1) });
    for (let y = 0; y < height; y++) raw[y * rowLength] = 0; // filter type "None" on every row
  } else {
    for (let y = 0; y < height; y++) {
      const row = y * rowLength;
      raw[row] = 0;
      for (let x = 0; x < width; x++) {
        const p = row + 1 + x * 3;
        raw[p] = (x * 255) / Math.max(1, width - 1) + seed * 40;
        raw[p + 1] = (y * 255) / Math.max(1, height - 1);
        raw[p + 2] = 128 + seed * 25;
      }
    }
  }
  const compressed = deflateSync(raw, { level: options.noise ? 1 : 9 });
  // Real encoders split the image data into several IDAT chunks; so do we, for large images.
  const idats: Buffer[] = [];
  const IDAT_MAX = 256 * 1024;
  for (let i = 0; i < compressed.length; i += IDAT_MAX) {
    idats.push(pngChunk('IDAT', compressed.subarray(i, i + IDAT_MAX)));
  }
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height), ...idats, pngChunk('IEND', Buffer.alloc(0))]);
}

/**
 * Streams a valid noise PNG of `width` × `height` without holding it in memory: the zlib stream is
 * made of "stored" deflate blocks (≤ 65535 bytes, one per IDAT chunk) with a running Adler-32.
 */
export function* streamNoisePng(width: number, height: number, seed = 7): Generator<Buffer> {
  yield Buffer.concat([PNG_SIGNATURE, ihdr(width, height)]);
  const rowLength = 1 + width * 3;
  const total = rowLength * height;
  const state = { s: 0x1234567 ^ seed };
  let adler = 1;
  let offset = 0;
  let first = true;
  while (offset < total) {
    const length = Math.min(65535, total - offset);
    const data = Buffer.alloc(length);
    fillNoise(data, state);
    // Zero the filter byte of every row that starts inside this block.
    const firstRow = Math.ceil(offset / rowLength) * rowLength;
    for (let p = firstRow; p < offset + length; p += rowLength) data[p - offset] = 0;
    adler = adler32(data, adler);
    offset += length;
    const last = offset >= total;
    const parts: Buffer[] = [];
    if (first) parts.push(Buffer.from([0x78, 0x01])); // zlib header, no compression
    const blockHead = Buffer.alloc(5);
    blockHead[0] = last ? 1 : 0; // BFINAL, BTYPE=00 (stored)
    blockHead.writeUInt16LE(length, 1);
    blockHead.writeUInt16LE(~length & 0xffff, 3);
    parts.push(blockHead, data);
    if (last) {
      const trailer = Buffer.alloc(4);
      trailer.writeUInt32BE(adler, 0);
      parts.push(trailer);
    }
    first = false;
    yield pngChunk('IDAT', Buffer.concat(parts));
  }
  yield pngChunk('IEND', Buffer.alloc(0));
}

/** Size in bytes of what `streamNoisePng(width, height)` yields. */
export function streamNoisePngSize(width: number, height: number): number {
  const raw = (1 + width * 3) * height;
  const blocks = Math.ceil(raw / 65535);
  // signature + IHDR + per block (IDAT framing 12 + stored header 5) + zlib header 2 + adler 4 + IEND
  return 8 + 25 + blocks * 17 + raw + 2 + 4 + 12;
}

/** Turns a byte stream into base64 text pieces whose concatenation is the base64 of the whole. */
export function* base64Pieces(chunks: Iterable<Buffer>): Generator<string> {
  let carry = Buffer.alloc(0);
  for (const chunk of chunks) {
    const joined = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const usable = joined.length - (joined.length % 3);
    if (usable > 0) yield joined.subarray(0, usable).toString('base64');
    carry = Buffer.from(joined.subarray(usable));
  }
  if (carry.length) yield carry.toString('base64');
}

/** The default image: an 8×8 gradient PNG. */
export const tinyPng: Buffer = makePng(8, 8);

/** A 4×3 baseline JPEG encoded by Chromium (ICC segment removed). */
export const tinyJpeg: Buffer = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAADAAQDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAf/xAAeEAABBAIDAQAAAAAAAAAAAAACAAEDEwQREiExQf/EABUBAQEAAAAAAAAAAAAAAAAAAAcI/8QAGhEBAQADAQEAAAAAAAAAAAAAAQIAAxEhQf/aAAwDAQACEQMRAD8Am+ZnSZ1FgwjTEMI0wBFsW8cuLNyLvsi2T/XdERU5GuNUkawA+HmE1U09p65//9k=',
  'base64',
);

/** A 4×3 lossy WebP (simple `VP8 ` format) encoded by Chromium. */
export const tinyWebp: Buffer = Buffer.from(
  'UklGRmIAAABXRUJQVlA4IFYAAAAwAwCdASoEAAMAAMASJagCdLoB+AEsAwQD1/xgoBZszRcAAP7pXdNa/Cqgf0fTFfOt14//fuxldpLZv4F5ve0ls38y8/5l5/9NTol+NTol+ej/OAAAAA==',
  'base64',
);
