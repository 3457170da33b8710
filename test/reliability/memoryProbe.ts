/**
 * Run by faults.test.ts in a child process with a small heap (`node --max-old-space-size=N --import tsx
 * memoryProbe.ts <sse|json> <bytes>`): reads a body of about <bytes> bytes delivered in 1-byte chunks, through
 * the SSE reader (with an abort signal, as every real caller passes) or through the client's JSON path.
 * Prints `OK …` and exits 0 when the result is exact; running out of heap kills the process instead.
 */
import { ImageClient } from '../../src/core/gateway/client';
import { readSseEvents } from '../../src/core/gateway/sse';
import type { HttpTransport } from '../../src/core/gateway/transport';
import { makePng } from '../gateway/images';
import { settingsFor } from './support';

async function* oneByteChunks(body: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < body.length; i++) yield body.subarray(i, i + 1);
}

async function probeSse(size: number): Promise<string> {
  const payload = 'A'.repeat(size);
  const body = Buffer.from(`event: big\ndata: ${payload}\n\n`);
  let length = 0;
  for await (const event of readSseEvents(oneByteChunks(body), { signal: new AbortController().signal })) {
    if (event.event !== 'big' || event.data !== payload) throw new Error('the event changed on the way');
    length += event.data.length;
  }
  if (length !== size) throw new Error(`read ${length} of ${size} characters`);
  return `sse ${body.length} bytes in ${body.length} chunks`;
}

async function probeJson(size: number): Promise<string> {
  // An incompressible PNG whose base64 is about `size` bytes.
  const png = makePng(512, Math.max(1, Math.ceil((size * 0.75) / (1 + 512 * 3))), { noise: true });
  const body = Buffer.from(JSON.stringify({ id: 'resp_probe', output: [{ type: 'image_generation_call', result: png.toString('base64') }] }));
  const transport: HttpTransport = {
    async send() {
      return { status: 200, headers: { 'content-type': 'application/json' }, body: oneByteChunks(body) };
    },
  };
  const image = await new ImageClient({ transport }).generate(settingsFor('http://gateway.invalid'), { prompt: 'probe' }, {
    signal: new AbortController().signal,
  });
  if (!Buffer.from(image.bytes).equals(png)) throw new Error('the image changed on the way');
  return `json ${body.length} bytes in ${body.length} chunks`;
}

async function main(): Promise<void> {
  const [mode, bytes] = process.argv.slice(2);
  const size = Number(bytes);
  if (!Number.isInteger(size) || size <= 0) throw new Error('usage: memoryProbe.ts <sse|json> <bytes>');
  const started = performance.now();
  const what = mode === 'sse' ? await probeSse(size) : mode === 'json' ? await probeJson(size) : undefined;
  if (what === undefined) throw new Error(`unknown mode ${mode}`);
  const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
  process.stdout.write(`OK ${what}, ${Math.round(performance.now() - started)} ms, heap ${heapMb} MB\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
