/**
 * The XMP packet in a WebP file (RIFF container, "Extended File Format" of the WebP container spec): an `XMP `
 * chunk after the image data, announced by the XMP flag of the VP8X header. A simple file (one `VP8 ` or `VP8L`
 * chunk) becomes extended: its VP8X header needs the canvas size, read from the bitstream's own header, and the
 * alpha flag when a VP8L stream says it uses alpha. No library on npm edits RIFF chunks of WebP without decoding,
 * and this is a container edit (chunk lists and sizes), not a codec. Every length read is checked against the
 * bytes left; a malformed file is left alone (undefined).
 */
const XMP_FLAG = 0x04;
const ALPHA_FLAG = 0x10;
/** No XMP chunk we read is larger. */
export const MAX_XMP_CHUNK_BYTES = 64 * 1024;

interface Chunk {
  fourcc: string;
  start: number;
  dataStart: number;
  dataLength: number;
  /** After the payload and its pad byte. */
  end: number;
}

const u32le = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const ascii = (b: Uint8Array, at: number): string => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

export function isWebp(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0) === 'RIFF' && ascii(bytes, 8) === 'WEBP';
}

function walk(bytes: Uint8Array): Chunk[] | undefined {
  if (!isWebp(bytes)) return undefined;
  // The RIFF size may be smaller than the file (trailing bytes are ignored by decoders); never larger.
  const riffEnd = 8 + u32le(bytes, 4);
  if (riffEnd > bytes.length || riffEnd < 12) return undefined;
  const chunks: Chunk[] = [];
  let at = 12;
  while (at < riffEnd) {
    if (at + 8 > riffEnd) return undefined;
    const dataLength = u32le(bytes, at + 4);
    if (dataLength > riffEnd - at - 8) return undefined;
    const end = Math.min(riffEnd, at + 8 + dataLength + (dataLength & 1));
    chunks.push({ fourcc: ascii(bytes, at), start: at, dataStart: at + 8, dataLength, end });
    at = end;
  }
  return chunks.length > 0 ? chunks : undefined;
}

/** Canvas size and alpha of a simple file's bitstream (VP8: key frame header; VP8L: 14-bit sizes after 0x2f). */
function simpleHeader(bytes: Uint8Array, chunk: Chunk): { width: number; height: number; alpha: boolean } | undefined {
  const d = chunk.dataStart;
  if (chunk.fourcc === 'VP8 ' && chunk.dataLength >= 10 && bytes[d + 3] === 0x9d && bytes[d + 4] === 0x01 && bytes[d + 5] === 0x2a) {
    return { width: (bytes[d + 6]! | (bytes[d + 7]! << 8)) & 0x3fff, height: (bytes[d + 8]! | (bytes[d + 9]! << 8)) & 0x3fff, alpha: false };
  }
  if (chunk.fourcc === 'VP8L' && chunk.dataLength >= 5 && bytes[d] === 0x2f) {
    const bits = u32le(bytes, d + 1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, alpha: ((bits >>> 28) & 1) === 1 };
  }
  return undefined;
}

function chunkBytes(fourcc: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  for (let i = 0; i < 4; i++) out[i] = fourcc.charCodeAt(i);
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

function vp8x(flags: number, width: number, height: number): Uint8Array {
  const data = new Uint8Array(10);
  data[0] = flags;
  const w = width - 1;
  const h = height - 1;
  data.set([w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff], 4);
  return chunkBytes('VP8X', data);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `bytes` with `packet` as its only XMP chunk; undefined when the file is not a WebP this can edit. */
export function writeWebpXmp(bytes: Uint8Array, packet: Uint8Array): Uint8Array | undefined {
  const chunks = walk(bytes);
  if (!chunks) return undefined;
  const first = chunks[0]!;
  const body: Uint8Array[] = [];
  if (first.fourcc === 'VP8X') {
    if (first.dataLength < 10) return undefined;
    const header = bytes.slice(first.start, first.start + 18);
    header[8] = header[8]! | XMP_FLAG;
    body.push(header);
  } else {
    const simple = simpleHeader(bytes, first);
    if (!simple || chunks.length !== 1) return undefined;
    body.push(vp8x(XMP_FLAG | (simple.alpha ? ALPHA_FLAG : 0), simple.width, simple.height));
  }
  const rest = first.fourcc === 'VP8X' ? chunks.slice(1) : chunks;
  for (const chunk of rest) if (chunk.fourcc !== 'XMP ') body.push(bytes.subarray(chunk.start, chunk.end));
  body.push(chunkBytes('XMP ', packet));
  const payload = concat(body);
  const head = new Uint8Array(12);
  head.set([0x52, 0x49, 0x46, 0x46], 0);
  new DataView(head.buffer).setUint32(4, 4 + payload.length, true);
  head.set([0x57, 0x45, 0x42, 0x50], 8);
  return concat([head, payload]);
}

/** The XMP chunk's bytes, when the file has one no larger than the cap. */
export function readWebpXmp(bytes: Uint8Array): Uint8Array | undefined {
  const chunk = walk(bytes)?.find((c) => c.fourcc === 'XMP ');
  if (!chunk || chunk.dataLength > MAX_XMP_CHUNK_BYTES) return undefined;
  return bytes.subarray(chunk.dataStart, chunk.dataStart + chunk.dataLength);
}
