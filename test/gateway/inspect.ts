/**
 * Test-side readers for what the gateway sends: a strict PNG checker and a plain SSE splitter.
 * Deliberately independent of src/core so that the gateway's own tests do not trust the code
 * under test.
 */
import { inflateSync } from 'node:zlib';
import { crc32, PNG_SIGNATURE } from './images';

export interface PngInfo {
  width: number;
  height: number;
}

/** Checks signature, every chunk CRC, IHDR, the zlib stream and its length; throws on any fault. */
export function checkPng(bytes: Uint8Array): PngInfo {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG signature');
  let offset = 8;
  let info: (PngInfo & { colorType: number; bitDepth: number }) | undefined;
  const idat: Buffer[] = [];
  let ended = false;
  while (offset < buf.length) {
    if (offset + 12 > buf.length) throw new Error(`truncated chunk header at ${offset}`);
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    if (offset + 12 + length > buf.length) throw new Error(`truncated ${type} chunk at ${offset}`);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    const crc = buf.readUInt32BE(offset + 8 + length);
    if (crc32(data, crc32(buf.subarray(offset + 4, offset + 8))) !== crc) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      info = {
        width: data.readUInt32BE(0),
        height: data.readUInt32BE(4),
        bitDepth: data[8]!,
        colorType: data[9]!,
      };
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
      offset += 12 + length;
      break;
    }
    offset += 12 + length;
  }
  if (!info) throw new Error('no IHDR');
  if (!ended) throw new Error('no IEND');
  if (offset !== buf.length) throw new Error('bytes after IEND');
  const channels = info.colorType === 2 ? 3 : info.colorType === 6 ? 4 : info.colorType === 0 ? 1 : 0;
  if (!channels || info.bitDepth !== 8) throw new Error(`unsupported colour type ${info.colorType}/${info.bitDepth}`);
  const raw = inflateSync(Buffer.concat(idat));
  const rowLength = 1 + info.width * channels;
  if (raw.length !== rowLength * info.height) throw new Error(`pixel data is ${raw.length} bytes, expected ${rowLength * info.height}`);
  for (let y = 0; y < info.height; y++) {
    if (raw[y * rowLength]! > 4) throw new Error(`bad filter type on row ${y}`);
  }
  return { width: info.width, height: info.height };
}

export interface RawSseEvent {
  event?: string;
  data: string;
}

/** Splits an SSE body into events (comments dropped, CRLF or LF). */
export function splitSse(text: string): RawSseEvent[] {
  const events: RawSseEvent[] = [];
  for (const block of text.replaceAll('\r\n', '\n').split('\n\n')) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (event !== undefined || data.length) events.push({ event, data: data.join('\n') });
  }
  return events;
}

/** `splitSse` with every data parsed as JSON (throws on a malformed event). */
export function parseSseJson(text: string): { event?: string; json: Record<string, unknown> }[] {
  return splitSse(text).map((e) => ({ event: e.event, json: JSON.parse(e.data) as Record<string, unknown> }));
}

/**
 * The RGBA pixels of an 8-bit RGB or RGBA PNG (filters 0–4 undone), read independently of src/ so a test of the
 * image post-processing does not trust the code it checks.
 */
export function readPngPixels(bytes: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const { width, height } = checkPng(bytes);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') colorType = data[9]!;
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!channels) throw new Error(`readPngPixels: colour type ${colorType} is not RGB or RGBA`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      out[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(out.subarray(i * channels, i * channels + 3), i * 4);
    rgba[i * 4 + 3] = channels === 4 ? out[i * channels + 3]! : 255;
  }
  return { width, height, rgba };
}

/** The RIFF/WEBP container checked (its size field matches the file) and the pixel size from its first chunk. */
export function checkWebp(bytes: Uint8Array): { width: number; height: number } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WEBP') throw new Error('not a RIFF/WEBP file');
  if (buf.readUInt32LE(4) + 8 !== buf.length) throw new Error(`RIFF size ${buf.readUInt32LE(4) + 8} is not the file size ${buf.length}`);
  const chunk = buf.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    if (buf[23] !== 0x9d || buf[24] !== 0x01 || buf[25] !== 0x2a) throw new Error('no VP8 start code');
    return { width: buf.readUInt16LE(26) & 0x3fff, height: buf.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8X') return { width: buf.readUIntLE(24, 3) + 1, height: buf.readUIntLE(27, 3) + 1 };
  if (chunk === 'VP8L') {
    const bits = buf.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  throw new Error(`unknown WebP chunk ${chunk}`);
}

/**
 * The image without the provenance the tool writes into saved files (PNG iTXt chunks; JPEG APP1 segments holding XMP),
 * so a test can check that the rest is byte for byte what the gateway sent. Other bytes are returned as they are.
 */
export function withoutProvenance(bytes: Uint8Array): Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE)) {
    const parts: Buffer[] = [buf.subarray(0, 8)];
    for (let at = 8; at + 12 <= buf.length; ) {
      const end = at + 12 + buf.readUInt32BE(at);
      if (buf.toString('latin1', at + 4, at + 8) !== 'iTXt') parts.push(buf.subarray(at, end));
      at = end;
    }
    return Buffer.concat(parts);
  }
  if (buf.length >= 4 && buf[0] === 0xff && buf[1] === 0xd8) {
    const header = 'http://ns.adobe.com/xap/1.0/\0';
    const parts: Buffer[] = [buf.subarray(0, 2)];
    let at = 2;
    while (at + 4 <= buf.length && buf[at] === 0xff && buf[at + 1] !== 0xda) {
      const end = at + 2 + buf.readUInt16BE(at + 2);
      const xmp = buf[at + 1] === 0xe1 && buf.toString('latin1', at + 4, at + 4 + header.length) === header;
      if (!xmp) parts.push(buf.subarray(at, end));
      at = end;
    }
    parts.push(buf.subarray(at));
    return Buffer.concat(parts);
  }
  return buf;
}
