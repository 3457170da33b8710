import { writeFile } from 'node:fs/promises';
import { request } from 'undici';
import { ImageClient } from '../src/core/client';
import { Base64Splicer } from '../src/core/base64Splice';
import { readSseEvents } from '../src/core/sse';
const [base, variant, caseName, mode] = process.argv.slice(2) as [string, string, string, string];
const stream = mode === 's';
const url = `${base}/r/${Math.random().toString(36).slice(2)}/${caseName}`;
const body = JSON.stringify({ model: 'gpt-5.4', input: 'x', tools: [{ type: 'image_generation', output_format: 'png', ...(stream ? { partial_images: 3 } : {}) }], instructions: 'x', tool_choice: 'auto', stream, store: false });
const headers = { authorization: 'Bearer sk-bench-0000000000000000', 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
async function main() {
  if (variant === 'wire') {
    const r = await request(`${url}/v1/responses`, { method: 'POST', headers, body });
    let n = 0; for await (const c of r.body) n += (c as Buffer).length;
  } else if (variant === 'splice') {
    const r = await request(`${url}/v1/responses`, { method: 'POST', headers, body });
    const s = new Base64Splicer({ keys: { result: 'decode', partial_image_b64: 'drop' } });
    if (stream) { for await (const e of readSseEvents(s.splice(r.body as AsyncIterable<Uint8Array>))) void e; }
    else { for await (const c of s.splice(r.body as AsyncIterable<Uint8Array>)) void c; }
  } else {
    const img = await new ImageClient().generate({ baseUrl: url, apiKey: 'sk-bench-0000000000000000', model: 'gpt-5.4', instructions: 'x', identity: { userAgent: 'u', version: 'v', originator: 'o', sessionId: 's' }, stream, tool: { outputFormat: 'png', ...(stream ? { partialImages: 3 } : {}) }, timeoutMs: 600000, maxResponseBytes: 256 << 20, retry: { maxRateLimitWaitMs: 0, textFallbackRetries: 0, transientRetries: 0, rateLimitRetries: 0 } }, { prompt: 'x' });
    if (variant === 'full') await writeFile('/tmp/exp-out.png', img.bytes);
  }
}
void main();
