/**
 * PNG `iTXt` chunks (PNG spec §11.3.4.5): provenance written as uncompressed international text, one chunk per
 * keyword, placed just before IEND; earlier chunks with the same keywords are dropped so a re-save never doubles
 * them. Reading walks the chunk list with every length checked against what is left and against a cap, and
 * skips a chunk whose CRC is wrong: a hostile file can make the read find nothing, never read out of bounds.
 */
import { crc32 } from './crc32';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** No single text chunk we write or read is larger (the whole provenance is capped below this too). */
export const MAX_TEXT_CHUNK_BYTES = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

interface Chunk {
  type: string;
  /** Offset of the chunk's length field, and the offset just after its CRC. */
  start: number;
  end: number;
  dataStart: number;
  dataLength: number;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

const u32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/** The chunks up to and including IEND; undefined when the structure is broken (a length past the end, no IEND). */
function walk(bytes: Uint8Array): Chunk[] | undefined {
  if (!isPng(bytes)) return undefined;
  const chunks: Chunk[] = [];
  let at = 8;
  while (at + 12 <= bytes.length) {
    const dataLength = u32(bytes, at);
    if (dataLength > bytes.length - at - 12) return undefined;
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    const chunk = { type, start: at, dataStart: at + 8, dataLength, end: at + 12 + dataLength };
    chunks.push(chunk);
    if (type === 'IEND') return chunks;
    at = chunk.end;
  }
  return undefined;
}

function keywordOf(bytes: Uint8Array, chunk: Chunk): string | undefined {
  const limit = Math.min(chunk.dataLength, 80);
  for (let i = 0; i < limit; i++) {
    if (bytes[chunk.dataStart + i] === 0) return String.fromCharCode(...bytes.subarray(chunk.dataStart, chunk.dataStart + i));
  }
  return undefined;
}

function chunkBytes(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** One uncompressed iTXt chunk: keyword, NUL, flag 0, method 0, empty language, NUL, empty translation, NUL, text. */
function iTxt(keyword: string, text: string): Uint8Array {
  const key = encoder.encode(keyword);
  const value = encoder.encode(text);
  const data = new Uint8Array(key.length + 5 + value.length);
  data.set(key, 0);
  data.set(value, key.length + 5);
  return chunkBytes('iTXt', data);
}

/**
 * `bytes` with one iTXt chunk per entry (keywords: 1–79 Latin-1 letters, our fixed names), replacing chunks of the
 * same keywords. Undefined when `bytes` is not a well-formed PNG (then nothing is written: the image is kept).
 */
export function writePngText(bytes: Uint8Array, entries: ReadonlyArray<readonly [string, string]>): Uint8Array | undefined {
  const chunks = walk(bytes);
  if (!chunks) return undefined;
  const keys = new Set(entries.map(([k]) => k));
  const kept = chunks.filter((c) => !(c.type === 'iTXt' && keys.has(keywordOf(bytes, c) ?? '')));
  const added = entries.map(([k, v]) => iTxt(k, v));
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const chunk of kept) {
    if (chunk.type === 'IEND') parts.push(...added);
    parts.push(bytes.subarray(chunk.start, chunk.end));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The uncompressed iTXt texts whose keyword is in `keywords` (the last one wins); chunks with a bad CRC, compressed text, invalid UTF-8 or over the cap are skipped. */
export function readPngText(bytes: Uint8Array, keywords: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  const chunks = walk(bytes);
  if (!chunks) return found;
  for (const chunk of chunks) {
    if (chunk.type !== 'iTXt' || chunk.dataLength > MAX_TEXT_CHUNK_BYTES) continue;
    const keyword = keywordOf(bytes, chunk);
    if (keyword === undefined || !keywords.has(keyword)) continue;
    if (crc32(bytes.subarray(chunk.start + 4, chunk.end - 4)) !== u32(bytes, chunk.end - 4)) continue;
    const data = bytes.subarray(chunk.dataStart, chunk.dataStart + chunk.dataLength);
    let at = keyword.length + 1;
    if (data[at] !== 0) continue; // compressed: never written by us
    at += 2;
    // Language tag and translated keyword, each NUL-terminated.
    const language = data.indexOf(0, at);
    const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
    if (translated < 0) continue;
    at = translated + 1;
    try {
      found.set(keyword, decoder.decode(data.subarray(at)));
    } catch {
      // Not UTF-8: not ours.
    }
  }
  return found;
}
