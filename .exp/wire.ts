import { request } from 'undici';
const [base, caseName, mode, gcEvery] = process.argv.slice(2) as [string, string, string, string];
const stream = mode === 's';
const url = `${base}/r/${Math.random().toString(36).slice(2)}/${caseName}`;
const body = JSON.stringify({ model: 'gpt-5.4', input: 'x', tools: [{ type: 'image_generation', output_format: 'png', ...(stream ? { partial_images: 3 } : {}) }], instructions: 'x', tool_choice: 'auto', stream, store: false });
const headers = { authorization: 'Bearer sk-bench-0000000000000000', 'content-type': 'application/json' };
const mib = (n: number) => (n / 1048576).toFixed(1);
async function main() {
  const m0 = process.memoryUsage();
  const r = await request(`${url}/v1/responses`, { method: 'POST', headers, body });
  let n = 0, chunks = 0; const peak = { rss: 0, heapTotal: 0, external: 0, arrayBuffers: 0 }; const sizes = new Map<number, number>(); let owns = 0;
  for await (const c of r.body) {
    const b = c as Buffer; n += b.length; chunks++; sizes.set(b.buffer.byteLength, (sizes.get(b.buffer.byteLength) ?? 0) + 1); if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) owns++;
    if (gcEvery && chunks % Number(gcEvery) === 0) (globalThis as any).gc();
    const m = process.memoryUsage(); for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k]);
  }
  console.log(`read ${mib(n)} MiB in ${chunks} chunks (own their buffer: ${owns}); AB sizes: ${[...sizes].slice(0, 5).map(([s, k]) => `${s}×${k}`).join(' ')}`);
  console.log(`start rss ${mib(m0.rss)} heap ${mib(m0.heapTotal)} ab ${mib(m0.arrayBuffers)}; peaks rss ${mib(peak.rss)} heapTotal ${mib(peak.heapTotal)} external ${mib(peak.external)} arrayBuffers ${mib(peak.arrayBuffers)}`);
}
void main();
