/**
 * The XMP packet in a JPEG file: an APP1 segment whose payload starts with "http://ns.adobe.com/xap/1.0/\0"
 * (XMP spec part 3, §1.1.3), placed after SOI and any APP0 (JFIF) segment; an earlier XMP APP1 is replaced. A
 * segment holds at most 65533 payload bytes, so the packet is at most 65504. The marker walk stops at SOS (the
 * entropy-coded data follows) and checks every length against the bytes left; a malformed file is left alone.
 */
const XMP_HEADER = new TextEncoder().encode('http://ns.adobe.com/xap/1.0/\0');
export const MAX_JPEG_XMP_BYTES = 65535 - 2 - XMP_HEADER.length;

interface Segment {
  marker: number;
  start: number;
  end: number;
  dataStart: number;
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8;
}

/** The marker segments between SOI and SOS (SOS itself included, as the last); undefined when broken. */
function walk(bytes: Uint8Array): Segment[] | undefined {
  if (!isJpeg(bytes)) return undefined;
  const segments: Segment[] = [];
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2 || at + 2 + length > bytes.length) return undefined;
    segments.push({ marker, start: at, end: at + 2 + length, dataStart: at + 4 });
    if (marker === 0xda) return segments;
    at += 2 + length;
  }
  return undefined;
}

function isXmp(bytes: Uint8Array, s: Segment): boolean {
  if (s.marker !== 0xe1 || s.end - s.dataStart < XMP_HEADER.length) return false;
  return XMP_HEADER.every((b, i) => bytes[s.dataStart + i] === b);
}

/** `bytes` with `packet` in one XMP APP1 segment; undefined when the file is not a JPEG this can edit or the packet is too big. */
export function writeJpegXmp(bytes: Uint8Array, packet: Uint8Array): Uint8Array | undefined {
  if (packet.length > MAX_JPEG_XMP_BYTES) return undefined;
  const segments = walk(bytes);
  if (!segments) return undefined;
  const length = 2 + XMP_HEADER.length + packet.length;
  const segment = new Uint8Array(2 + length);
  segment.set([0xff, 0xe1, length >> 8, length & 0xff], 0);
  segment.set(XMP_HEADER, 4);
  segment.set(packet, 4 + XMP_HEADER.length);
  const app0 = segments[0]?.marker === 0xe0 ? segments[0] : undefined;
  const insertAt = app0 ? app0.end : 2;
  const parts: Uint8Array[] = [bytes.subarray(0, insertAt), segment];
  let at = insertAt;
  for (const s of segments) {
    if (s.start < insertAt || !isXmp(bytes, s)) continue;
    parts.push(bytes.subarray(at, s.start));
    at = s.end;
  }
  parts.push(bytes.subarray(at));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/** The packet of the first XMP APP1 segment, if any. */
export function readJpegXmp(bytes: Uint8Array): Uint8Array | undefined {
  const segments = walk(bytes);
  const s = segments?.find((seg) => isXmp(bytes, seg));
  return s ? bytes.subarray(s.dataStart + XMP_HEADER.length, s.end) : undefined;
}
