/**
 * Micro-measurements behind the findings in BENCHMARKS.md: what each step of reading one 2048×2048
 * image costs on its own (a 16 MiB base64 string inside JSON / an SSE event), in ms, best of 5.
 *   node --import tsx bench/micro.ts [side]
 */
import { createParser } from 'eventsource-parser';
import { makeNoisePng } from './png';

const side = Number(process.argv[2] ?? 2048);
const png = makeNoisePng(side, side, 7);
const b64 = png.toString('base64');
const json = JSON.stringify({ type: 'response.output_item.done', item: { type: 'image_generation_call', result: b64 } });
const sse = Buffer.from(`event: response.output_item.done\ndata: ${json}\n\n`);
const chunks: Buffer[] = [];
for (let i = 0; i < sse.length; i += 65536) chunks.push(sse.subarray(i, i + 65536));

function best(label: string, fn: () => unknown): void {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  console.log(`${Math.min(...times).toFixed(1).padStart(7)} ms  ${label}`);
}

console.log(`image ${(png.length / 1048576).toFixed(2)} MiB, base64 ${(b64.length / 1048576).toFixed(2)} MiB, ${chunks.length} chunks of 64 KiB`);
best('Buffer.concat(chunks)', () => Buffer.concat(chunks));
const whole = Buffer.concat(chunks);
best('buffer.toString("utf8") (whole body → string)', () => whole.toString('utf8'));
best('buffer.toString("latin1")', () => whole.toString('latin1'));
best('TextDecoder.decode per 64 KiB chunk (stream: true)', () => {
  const d = new TextDecoder();
  for (const c of chunks) d.decode(c, { stream: true });
});
best('eventsource-parser feed (decoded chunks)', () => {
  const d = new TextDecoder();
  let n = 0;
  const p = createParser({ onEvent: (e) => (n += e.data.length) });
  for (const c of chunks) p.feed(d.decode(c, { stream: true }));
  return n;
});
best('JSON.parse(16 MiB event)', () => JSON.parse(json));
best('result.replace(/\\s+/g, "")', () => b64.replace(/\s+/g, ''));
best('/^[A-Za-z0-9+/_-]*={0,2}$/.test(result)', () => /^[A-Za-z0-9+/_-]*={0,2}$/.test(b64));
best('Buffer.from(result, "base64")', () => Buffer.from(b64, 'base64'));
best('Buffer.byteLength(result, "base64") (length check instead of the regex)', () => Buffer.byteLength(b64, 'base64'));
best('whole.indexOf("\\"result\\":\\"") + lastIndexOf (byte scan)', () => [whole.indexOf('"result":"'), whole.lastIndexOf('"')]);
best('decode straight from the body bytes: whole.subarray(...).toString("latin1") → Buffer.from(base64)', () => {
  const start = whole.indexOf('"result":"') + 10;
  const end = whole.indexOf('"', start);
  return Buffer.from(whole.subarray(start, end).toString('latin1'), 'base64');
});
