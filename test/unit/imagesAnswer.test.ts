/**
 * The Images route's answer reader (core/gateway/imagesAnswer.ts): the JSON body and the stream, cut into pieces
 * any way, hostile inputs (not JSON, not base64, a link, an error mid-stream, no completed event, floods), and the
 * bounds (one event, the whole stream, the whole body). Bodies are fed as async iterables: no server.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewaySettings } from '../../src/core/types';
import { GatewayError } from '../../src/core/errors';
import { nullLogger } from '../../src/core/logger';
import { readImagesData, readImagesJson, readImagesStream, type ImagesImage } from '../../src/core/gateway/imagesAnswer';
import { readTokenUsage } from '../../src/core/gateway/usage';
import type { HttpResponse } from '../../src/core/gateway/transport';
import { makePng } from '../gateway/images';

const FINAL = makePng(64, 64, { noise: true, seed: 4 });
const PREVIEW = makePng(16, 16, { seed: 7 });
const KEY = 'sk-images-secret-42';

function settings(overrides: Partial<GatewaySettings> = {}): GatewaySettings {
  return {
    baseUrl: 'http://127.0.0.1:8317',
    apiKey: KEY,
    model: 'gpt-5.4',
    instructions: 'x',
    identity: { userAgent: 'u', version: 'v', originator: 'o', sessionId: 's' },
    stream: true,
    tool: { outputFormat: 'png' },
    timeoutMs: 600_000,
    maxResponseBytes: 64 * 1024 * 1024,
    retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 3, rateLimitRetries: 3 },
    api: 'images',
    imageModel: 'gpt-image-2',
    ...overrides,
  };
}

async function* pieces(body: Buffer, size: (i: number) => number): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < body.length; i++) {
    const n = Math.max(1, size(i));
    yield body.subarray(at, at + n);
    at += n;
  }
}

function response(body: Buffer | string, size: (i: number) => number = () => 65536, headers: Record<string, string> = {}): HttpResponse {
  return { status: 200, headers, body: pieces(Buffer.isBuffer(body) ? body : Buffer.from(body), size) };
}

function bytesOf(image: ImagesImage): Buffer {
  return Buffer.from(image.spliced ? (image.spliced.bytes() ?? new Uint8Array()) : Buffer.from(image.found.base64, 'base64'));
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

function streamOf(partials: number, completed = true, prefix = 'image_generation'): string {
  let text = '';
  for (let i = 0; i < partials; i++) text += event(`${prefix}.partial_image`, { type: `${prefix}.partial_image`, b64_json: PREVIEW.toString('base64'), partial_image_index: i });
  if (completed) text += event(`${prefix}.completed`, { type: `${prefix}.completed`, b64_json: FINAL.toString('base64'), usage: { total_tokens: 10, input_tokens: 4, output_tokens: 6 } });
  return text;
}

async function read(body: Buffer | string, options: { size?: (i: number) => number; settings?: Partial<GatewaySettings>; keepPreviews?: boolean } = {}) {
  const partials: { given: unknown; bytes: Uint8Array }[] = [];
  const phases: string[] = [];
  const image = await readImagesStream(response(body, options.size), {
    settings: settings(options.settings),
    log: nullLogger,
    secrets: [KEY],
    now: () => 0,
    keepPreviews: options.keepPreviews ?? true,
    onPhase: (phase) => phases.push(phase),
    onPartial: (preview, given) => partials.push({ given, bytes: preview.bytes() }),
  });
  return { image, partials, phases };
}

async function fails(promise: Promise<unknown>, kind: GatewayError['kind'], message: RegExp): Promise<GatewayError> {
  const error = await promise.then(
    () => assert.fail('expected an error'),
    (err: unknown) => err,
  );
  assert.ok(error instanceof GatewayError, String(error));
  assert.equal(error.kind, kind, error.message);
  assert.match(error.message, message);
  return error;
}

describe('readImagesStream', () => {
  it('previews, then the completed event: the image, its usage, the previews with their index', async () => {
    const { image, partials, phases } = await read(streamOf(2));
    assert.ok(bytesOf(image).equals(FINAL));
    assert.deepEqual(image.usage, { total: 10, input: 4, output: 6 });
    assert.deepEqual(partials.map((p) => p.given), [0, 1]);
    assert.ok(partials.every((p) => Buffer.from(p.bytes).equals(PREVIEW)));
    assert.deepEqual(phases, ['generating', 'generating', 'receiving']);
  });

  it('the edit stream (image_edit.*) reads the same', async () => {
    const { image, partials } = await read(streamOf(1, true, 'image_edit'));
    assert.ok(bytesOf(image).equals(FINAL));
    assert.equal(partials.length, 1);
  });

  for (const [label, size] of [
    ['1-byte pieces', () => 1],
    ['pieces of 1 to 7 bytes', (i: number) => [1, 3, 2, 7, 1, 5, 4][i % 7]!],
    ['pieces of 4093 bytes', () => 4093],
  ] as const) {
    it(`cut in ${label}: the same image and previews`, async () => {
      const { image, partials } = await read(streamOf(2), { size });
      assert.ok(bytesOf(image).equals(FINAL));
      assert.equal(partials.length, 2);
    });
  }

  it('every cut point of a small stream (two pieces): the same image', async () => {
    const small = makePng(4, 4);
    const text = event('image_generation.completed', { type: 'image_generation.completed', b64_json: small.toString('base64') });
    for (let cut = 1; cut < text.length; cut++) {
      const body = Buffer.from(text);
      const { image } = await read(body, { size: (i) => (i === 0 ? cut : body.length) });
      assert.ok(bytesOf(image).equals(small), `cut at ${cut}`);
    }
  });

  it('CRLF line ends, keep-alive comments, data-only events and [DONE]', async () => {
    const text = `: keep-alive\r\n\r\n${streamOf(1).replace(/^event: .*\n/gm, '').replaceAll('\n', '\r\n')}data: [DONE]\r\n\r\n`;
    const { image, partials } = await read(text);
    assert.ok(bytesOf(image).equals(FINAL));
    assert.equal(partials.length, 1);
  });

  it('no previews kept when nobody listens', async () => {
    const { image, partials } = await read(streamOf(3), { keepPreviews: false });
    assert.ok(bytesOf(image).equals(FINAL));
    assert.equal(partials.length, 0);
  });

  it('a stream that ends without a completed event fails as a cut connection (retryable)', async () => {
    const error = await fails(read(streamOf(2, false)), 'protocol', /ended before the image arrived \(no image_generation\.completed; last event: image_generation\.partial_image\)/);
    assert.equal(error.details.retryable, true);
  });

  it('an empty stream fails the same way', async () => {
    await fails(read(''), 'protocol', /last event: \(none\)/);
  });

  it('event: error with a nested error (CPA once the stream began) fails with its kind and words', async () => {
    const text = streamOf(1, false) + event('error', { error: { type: 'usage_limit_reached', code: 'usage_limit_reached', message: 'The usage limit has been reached', param: null } });
    await fails(read(text), 'usage_limit', /usage limit or quota has been reached during generation.*The usage limit has been reached/);
  });

  it('a flat error event and an unknown event carrying an error fail too', async () => {
    await fails(read(event('error', { type: 'error', code: 'rate_limit_exceeded', message: 'slow down' })), 'rate_limited', /slow down/);
    await fails(read(event('image_generation.failed', { type: 'image_generation.failed', error: { message: 'upstream broke', type: 'server_error' } })), 'server', /upstream broke/);
  });

  it('a completed event without image data is a protocol failure', async () => {
    await fails(read(event('image_generation.completed', { type: 'image_generation.completed', usage: {} })), 'protocol', /carries no image data/);
  });

  it('a completed event with a data: URL in url is read; an http link is refused, not fetched', async () => {
    const { image } = await read(event('image_generation.completed', { type: 'image_generation.completed', url: `data:image/png;base64,${FINAL.toString('base64')}` }));
    assert.ok(bytesOf(image).equals(FINAL));
    await fails(read(event('image_generation.completed', { type: 'image_generation.completed', url: 'https://files.example/x.png' })), 'not_image', /link instead of the image's data/);
  });

  it('data that is not JSON, not an object, or an event of no known type is passed over', async () => {
    const text = event('image_generation.partial_image', '{not json') + event('weird', '[1,2]') + event('image_generation.in_progress', { type: 'image_generation.in_progress' }) + streamOf(0);
    const { image } = await read(text);
    assert.ok(bytesOf(image).equals(FINAL));
  });

  it('the key echoed in an error event is redacted before it is quoted', async () => {
    const error = await fails(read(event('error', { error: { message: `bad key ${KEY}`, type: 'invalid_request_error' } })), 'bad_request', /bad key \[REDACTED\]/);
    assert.doesNotMatch(JSON.stringify(error.details), new RegExp(KEY));
  });

  it('one event over the limit fails as too large, before it is held whole', async () => {
    const huge = `event: image_generation.partial_image\ndata: {"type":"image_generation.partial_image","note":"${'x'.repeat(2 * 1024 * 1024)}"}\n\n`;
    await fails(read(huge, { settings: { maxResponseBytes: 256 * 1024 } }), 'too_large', /event|larger than/);
  });

  it('a stream of previews past the whole budget without an image fails as too large', async () => {
    const cap = 64 * 1024;
    let text = '';
    // Previews that are base64 (taken out of the events, so each event is small) until past 4 × cap + 16 MiB.
    const preview = Buffer.alloc(48 * 1024, 7).toString('base64');
    while (text.length < 4 * cap + 16 * 1024 * 1024 + 1024) text += event('image_generation.partial_image', { type: 'image_generation.partial_image', b64_json: preview, partial_image_index: 0 });
    await fails(read(text, { settings: { maxResponseBytes: cap }, keepPreviews: false }), 'too_large', /stream went past/);
  });

  it('an image value over the size cap is refused', async () => {
    await fails(read(streamOf(0), { settings: { maxResponseBytes: 8 * 1024 } }), 'too_large', /larger than/);
  });
});

describe('readImagesJson', () => {
  const body = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ created: 1778832973, background: 'opaque', data: [{ b64_json: FINAL.toString('base64'), revised_prompt: 'A fox.' }], output_format: 'png', size: '1024x1536', usage: { input_tokens: 1474, output_tokens: 1372, total_tokens: 2846 }, ...extra });
  const readJson = (text: string, size?: (i: number) => number, maxResponseBytes?: number) =>
    readImagesJson(response(text, size), { settings: settings({ stream: false, ...(maxResponseBytes ? { maxResponseBytes } : {}) }), secrets: [KEY], now: () => 0 });

  it("Codex's fixture shape: the image, its revised prompt, the reported size and the usage", async () => {
    const image = await readJson(body());
    assert.ok(bytesOf(image).equals(FINAL));
    assert.equal(image.found.revisedPrompt, 'A fox.');
    assert.equal(image.found.size, '1024x1536');
    assert.deepEqual(image.usage, { input: 1474, output: 1372, total: 2846 });
  });

  it('in 1-byte pieces, and after the blank lines of CPA\'s keep-alive', async () => {
    assert.ok(bytesOf(await readJson(body(), () => 1)).equals(FINAL));
    assert.ok(bytesOf(await readJson(`\n\n\n${body()}`)).equals(FINAL));
  });

  it('"data": [] is no image; an error under status 200 is that error; a cut body is a protocol error', async () => {
    await fails(readJson(JSON.stringify({ created: 1, data: [] })), 'no_image', /Images route answered without an image/);
    await fails(readJson(JSON.stringify({ error: { message: 'upstream request failed: unexpected EOF', type: 'server_error' } })), 'server', /unexpected EOF/);
    await fails(readJson(body().slice(0, 300)), 'protocol', /not valid JSON/);
  });

  it('a body over the size cap is refused', async () => {
    await fails(readJson(body(), undefined, 4096), 'too_large', /larger than/);
  });
});

describe('readImagesData, and the route\'s usage read as TokenUsage', () => {
  it('the first entry with data wins; entries without it are skipped', () => {
    assert.deepEqual(readImagesData({ data: [{}, { b64_json: '' }, { b64_json: 'QUJD', revised_prompt: 'r' }] }), { base64: 'QUJD', revisedPrompt: 'r' });
    assert.equal(readImagesData({ data: 'nope' }), undefined);
    assert.equal(readImagesData(null), undefined);
  });
  it('usage keeps only counts', () => {
    assert.deepEqual(readTokenUsage({ usage: { input_tokens: 3, output_tokens: -1, total_tokens: 'x' } }), { input: 3 });
    assert.deepEqual(
      readTokenUsage({ usage: { input_tokens: 50, output_tokens: 4160, total_tokens: 4210, input_tokens_details: { text_tokens: 40, image_tokens: 10 } } }),
      { input: 50, output: 4160, total: 4210, inputDetails: { text: 40, image: 10 } },
    );
    assert.equal(readTokenUsage({ usage: { note: 'x' } }), undefined);
    assert.equal(readTokenUsage({ usage: 'x' }), undefined);
  });
});
