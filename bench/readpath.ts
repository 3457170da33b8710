/**
 * The CPU cost of reading one large answer once it is in memory, without the network or process start-up:
 * the text path the client used before finding F1 (whole body → string → JSON.parse; SSE: TextDecoder →
 * eventsource-parser → JSON.parse per event) against the byte-level splicing it uses now (src/core/gateway/base64Splice.ts).
 * Same 64 KiB chunks as the socket gives, same bodies as the bench gateway serves; medians of 9 runs.
 *
 *   node --import tsx bench/readpath.ts [side]
 */
import { readSseEvents } from '../src/core/gateway/sse';
import { buildCases } from './fixtures';
import { Base64Splicer } from '../src/core/gateway/base64Splice';
import { median } from './stats';

const side = Number(process.argv[2] ?? 2048);
const imageCase = buildCases([side]).find((c) => c.name === String(side));
if (!imageCase) throw new Error('no case');
const expected = imageCase.png;

function chunked(body: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += 65536) chunks.push(Buffer.from(body.subarray(i, i + 65536)));
  return chunks;
}
const jsonChunks = chunked(imageCase.jsonBody);
const sseChunks = chunked(Buffer.concat(imageCase.sseEvents));
async function* source(chunks: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

interface Json {
  type?: string;
  output?: { result?: string }[];
  item?: { result?: string };
  partial_image_b64?: string;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

async function jsonToday(): Promise<Buffer> {
  const text = Buffer.concat(jsonChunks).toString('utf8');
  const json = JSON.parse(text.trim()) as Json;
  const base64 = (json.output?.[0]?.result ?? '').replace(/\s+/g, '');
  if (!BASE64.test(base64)) throw new Error('not base64');
  return Buffer.from(base64, 'base64');
}

async function jsonSpliced(): Promise<Buffer> {
  const splicer = new Base64Splicer({ keys: { result: 'decode' }, sizeHint: Math.floor((imageCase!.jsonBody.length * 3) / 4) + 3 });
  const parts: Buffer[] = [];
  for await (const part of splicer.splice(source(jsonChunks))) parts.push(Buffer.from(part));
  const json = JSON.parse(Buffer.concat(parts).toString('utf8')) as Json;
  const bytes = splicer.take(json.output?.[0]?.result ?? '')?.bytes();
  if (!bytes) throw new Error('not base64');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Partial images decoded too (a preview listener is there); stops at response.completed like the client. */
async function sseToday(): Promise<Buffer> {
  let image: Buffer | undefined;
  for await (const event of readSseEvents(source(sseChunks))) {
    const data = JSON.parse(event.data) as Json;
    if (data.type === 'response.image_generation_call.partial_image') Buffer.from((data.partial_image_b64 ?? '').replace(/\s+/g, ''), 'base64');
    if (data.type === 'response.output_item.done' && !image) {
      const base64 = (data.item?.result ?? '').replace(/\s+/g, '');
      if (!BASE64.test(base64)) throw new Error('not base64');
      image = Buffer.from(base64, 'base64');
    }
    if (data.type === 'response.completed') break;
  }
  if (!image) throw new Error('no image');
  return image;
}

async function sseSpliced(): Promise<Buffer> {
  const splicer = new Base64Splicer({ keys: { result: 'decode', partial_image_b64: 'keep' } });
  let image: Uint8Array | undefined;
  for await (const event of readSseEvents(splicer.splice(source(sseChunks)))) {
    const data = JSON.parse(event.data) as Json;
    if (data.type === 'response.image_generation_call.partial_image') splicer.take(data.partial_image_b64 ?? '')?.bytes();
    if (data.type === 'response.output_item.done' && !image) {
      image = splicer.take(data.item?.result ?? '')?.bytes();
      splicer.stopKeeping();
    }
    if (data.type === 'response.completed') break;
  }
  if (!image) throw new Error('no image');
  return Buffer.from(image.buffer, image.byteOffset, image.byteLength);
}

async function measure(label: string, fn: () => Promise<Buffer>): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t = performance.now();
    const bytes = await fn();
    times.push(performance.now() - t);
    if (!bytes.equals(expected)) throw new Error(`${label}: wrong bytes`);
  }
  console.log(`${median(times).toFixed(1).padStart(8)} ms median  ${Math.min(...times).toFixed(1).padStart(7)} ms best   ${label}`);
}

async function main(): Promise<void> {
  console.log(`${side}×${side}: image ${(expected.length / 1048576).toFixed(1)} MiB, JSON body ${(imageCase!.jsonBody.length / 1048576).toFixed(1)} MiB, SSE body ${(imageCase!.sseBytes / 1048576).toFixed(1)} MiB`);
  await measure('JSON, read as text (before F1)', jsonToday);
  await measure('JSON, base64 spliced out at the byte level (now)', jsonSpliced);
  await measure('SSE (3 partials decoded + final), as text (before F1)', sseToday);
  await measure('SSE (3 partials decoded + final), spliced (now)', sseSpliced);
}

void main();
