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
