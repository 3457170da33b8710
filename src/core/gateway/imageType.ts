/**
 * Tells PNG, JPEG and WebP apart by their magic numbers: gateways often ignore the requested
 * `output_format`, so the saved file's extension follows the real bytes (SPEC §4).
 */
import type { ImageMime } from '../types';

export interface DetectedImageType {
  mime: ImageMime;
  extension: 'png' | 'jpg' | 'webp';
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
const RIFF = [0x52, 0x49, 0x46, 0x46];
const WEBP = [0x57, 0x45, 0x42, 0x50];

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((value, i) => bytes[offset + i] === value);
}

export function detectImageType(bytes: Uint8Array): DetectedImageType | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return { mime: 'image/png', extension: 'png' };
  if (startsWith(bytes, JPEG_SIGNATURE)) return { mime: 'image/jpeg', extension: 'jpg' };
  // RIFF <4-byte length> WEBP
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return { mime: 'image/webp', extension: 'webp' };
  return undefined;
}

/**
 * A printable excerpt of the first bytes, for "this is not an image" errors: text stays readable,
 * control characters and bytes that are not UTF-8 are shown as `\xNN`, and the excerpt holds at most
 * `max` characters (an ellipsis marks that more followed).
 */
export function describeBytes(bytes: Uint8Array, max = 80): string {
  if (bytes.length === 0) return '(empty)';
  const strict = new TextDecoder('utf-8', { fatal: true });
  let out = '';
  let count = 0;
  let i = 0;
  while (i < bytes.length && count < max) {
    const length = utf8SequenceLength(bytes[i] ?? 0);
    let ch: string | undefined;
    if (length > 0 && i + length <= bytes.length) {
      try {
        ch = strict.decode(bytes.subarray(i, i + length));
      } catch {
        ch = undefined;
      }
    }
    if (ch === undefined) {
      out += hexByte(bytes[i] ?? 0);
      i += 1;
    } else {
      out += escapeChar(ch);
      i += length;
    }
    count += 1;
  }
  return i < bytes.length ? `${out}…` : out;
}

/** Length of the UTF-8 sequence a lead byte announces; 0 for a byte that cannot start one. */
function utf8SequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

function hexByte(value: number): string {
  return `\\x${value.toString(16).padStart(2, '0')}`;
}

function escapeChar(ch: string): string {
  switch (ch) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\\':
      return '\\\\';
    default: {
      const code = ch.codePointAt(0) ?? 0;
      if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return hexByte(code);
      return ch;
    }
  }
}
