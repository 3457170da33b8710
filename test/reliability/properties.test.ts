/**
 * Property tests (fast-check) of the readers: any chunking of a valid SSE stream gives exactly the events that
 * were written; any bytes, chunked any way, give the same result as unchunked and never throw (or, over the
 * cap, only `GatewayError('too_large')`); the response and error readers never throw on any JSON or text; the
 * whole client, fed arbitrary or damaged bodies, only ever rejects with a `GatewayError`, within a bound, and
 * decodes a valid answer identically however it is chunked. Plus the slug: any prompt gives a safe file name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ImageClient } from '../../src/core/gateway/client';
import { resolveDestination, slugFromPrompt } from '../../src/core/files/destination';
import { GatewayError } from '../../src/core/errors';
import { detectImageType } from '../../src/core/gateway/imageType';
import {
  echoedToolsLackImageGeneration,
  isErrorBody,
  modelText,
  parseJsonBody,
  readEventError,
  readHttpError,
  readImageFromResponse,
} from '../../src/core/gateway/responseReader';
import { readSseEvents, type SseEvent } from '../../src/core/gateway/sse';
import type { HttpTransport } from '../../src/core/gateway/transport';
import type { ProgressEvent } from '../../src/core/types';
import { makePng, tinyJpeg } from '../gateway/images';
import { CANARY, InstantClock, settingsFor, within } from './support';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);

/** `bytes` cut at the given points (taken modulo its length, deduplicated). */
function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) return [];
  const at = [...new Set(points.map((p) => p % bytes.length))].filter((p) => p > 0).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of at) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

async function* fromChunks(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    // A real socket hands each chunk over in its own turn of the event loop.
    await Promise.resolve();
    yield chunk;
  }
}

type ReadResult = { events: SseEvent[] } | { error: GatewayError };

async function readAll(chunks: readonly Uint8Array[], maxBytes?: number): Promise<ReadResult> {
  const events: SseEvent[] = [];
  try {
    for await (const event of readSseEvents(fromChunks(chunks), maxBytes === undefined ? {} : { maxBytes })) events.push(event);
    return { events };
  } catch (err) {
    if (!(err instanceof GatewayError)) throw new Error(`readSseEvents threw something that is not a GatewayError: ${String(err)}`);
    return { error: err };
  }
}

// ---------------------------------------------------------------------------------------------
// SSE streams: a model of what was written, and its bytes.

/** Text of one SSE line: any Unicode that survives UTF-8, without line ends. */
const lineText = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !/[\r\n]/.test(s) && Buffer.from(s, 'utf8').toString('utf8') === s);
const eventName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,24}$/);

const sseEvent = fc.record({
  name: fc.option(eventName, { nil: undefined }),
  lines: fc.array(lineText, { minLength: 1, maxLength: 4 }),
  comment: fc.boolean(),
  id: fc.boolean(),
});

const sseStream = fc.record({
  events: fc.array(sseEvent, { maxLength: 8 }),
  eol: fc.constantFrom('\n', '\r\n', '\r'),
  /** Whether the last event has its closing blank line (some gateways end without it). */
  closed: fc.boolean(),
});

function serialize(stream: { events: { name?: string; lines: string[]; comment: boolean; id: boolean }[]; eol: string; closed: boolean }): Buffer {
  const { eol } = stream;
  let text = '';
  stream.events.forEach((e, index) => {
    if (e.comment) text += `: keep-alive${eol}${eol}`;
    if (e.id) text += `id: ${index}${eol}`;
    if (e.name !== undefined) text += `event: ${e.name}${eol}`;
    for (const line of e.lines) text += `data: ${line}${eol}`;
    if (stream.closed || index < stream.events.length - 1) text += eol;
  });
  return Buffer.from(text, 'utf8');
}

function expectedEvents(stream: { events: { name?: string; lines: string[] }[] }): SseEvent[] {
  return stream.events.map((e) => (e.name === undefined ? { data: e.lines.join('\n') } : { event: e.name, data: e.lines.join('\n') }));
}

describe('property: the SSE reader', () => {
  it('any chunking of a valid stream gives exactly the events written (and the same as one chunk)', async () => {
    await fc.assert(
      fc.asyncProperty(sseStream, fc.array(fc.nat(), { maxLength: 40 }), async (stream, points) => {
        const bytes = serialize(stream);
        const whole = await readAll([bytes]);
        const chunked = await readAll(cut(bytes, points));
        assert.deepEqual(whole, { events: expectedEvents(stream) });
        assert.deepEqual(chunked, whole);
      }),
      { numRuns: RUNS },
    );
  });

  it('a valid stream cut into single bytes still gives exactly the events written', async () => {
    await fc.assert(
      fc.asyncProperty(sseStream, async (stream) => {
        const bytes = serialize(stream);
        const ones = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
        assert.deepEqual(await readAll(ones), { events: expectedEvents(stream) });
      }),
      { numRuns: 50 },
    );
  });

  it('arbitrary bytes, chunked any way: never throws, same result as one chunk, finishes in bounded time', async () => {
    // Bytes biased towards SSE syntax so that the parser's states are really exercised.
    const sseish = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 32 }),
        fc.constantFrom(...['data:', 'data: ', 'event:', 'id:', 'retry:', ':', '\n', '\r', '\r\n', '\n\n', '\uFEFF', '\u00e9', '\u{1F600}'].map((s) => Buffer.from(s))),
      ),
      { maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(sseish, fc.array(fc.nat(), { maxLength: 40 }), async (parts, points) => {
        const bytes = Buffer.concat(parts);
        const whole = await within(2000, 'readSseEvents', readAll([bytes]));
        const chunked = await within(2000, 'readSseEvents', readAll(cut(bytes, points)));
        assert.ok('events' in whole, 'without a cap nothing fails');
        assert.deepEqual(chunked, whole);
      }),
      { numRuns: RUNS },
    );
  });

  it('with a size cap: too_large exactly when the body is over it, the same events otherwise', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.nat({ max: 400 }), fc.array(fc.nat(), { maxLength: 20 }), async (bytes, maxBytes, points) => {
        const result = await readAll(cut(bytes, points), maxBytes);
        if (bytes.length > maxBytes) {
          assert.ok('error' in result && result.error.kind === 'too_large', 'over the cap');
        } else {
          assert.deepEqual(result, await readAll([bytes]));
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The response and error readers on any input.

/** Gateway-shaped error objects with fields of any type, the shapes the readers look into. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e20, -1, 0, 1e12 + 1, 8.64e15, 8.64e15 + 1, Number.MAX_VALUE, 1e300),
);
const errorCode = fc.oneof(
  fc.constantFrom(
    'usage_limit_reached', 'insufficient_quota', 'rate_limit_exceeded', 'model_cooldown', 'invalid_api_key',
    'image_content_policy_violation', 'server_error', 'model_not_found', 'permission_error', 'invalid_request_error', 'error',
  ),
  anyValue,
);
const errorObject = fc.record(
  {
    message: fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('Please try again in 1.5s', 'rejected by the safety system'), anyValue),
    code: errorCode,
    type: errorCode,
    resets_at: anyValue,
    resets_in_seconds: anyValue,
    reset_seconds: anyValue,
    status: anyValue,
    detail: anyValue,
  },
  { requiredKeys: [] },
);
const gatewayShaped = fc.oneof(
  fc.record({ error: fc.oneof(errorObject, fc.string(), anyValue) }, { requiredKeys: [] }),
  fc.record({ type: fc.constantFrom('error', 'response.failed', 'response.completed', 'response.incomplete'), error: errorObject, response: fc.record({ error: errorObject, status: anyValue, output: anyValue, tools: anyValue }, { requiredKeys: [] }) }, { requiredKeys: ['type'] }),
  errorObject.map((e) => ({ ...e, type: 'error' })),
  fc.record({ output: fc.array(fc.record({ type: fc.constantFrom('image_generation_call', 'message'), result: anyValue, content: anyValue, revised_prompt: anyValue, size: anyValue }, { requiredKeys: [] })), tools: anyValue, status: anyValue, incomplete_details: anyValue }, { requiredKeys: [] }),
  fc.jsonValue(),
);
const headers = fc.dictionary(
  fc.constantFrom('retry-after', 'retry-after-ms', 'content-type', 'Retry-After', 'location', 'x-other'),
  fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('text/html', '1.5', 'Wed, 21 Oct 2015 07:28:00 GMT', '1e400', '-3', 'http://127.0.0.2:9/x', '::::')),
);

function assertGatewayError(error: unknown, where: string): asserts error is GatewayError {
  assert.ok(error instanceof GatewayError, `${where} gave ${String(error)}`);
  assert.ok(error.message.length > 10 && error.message.length < 2000, `${where}: message of ${error.message.length} chars`);
  assert.doesNotMatch(error.message, /undefined|\[object Object\]|NaN|Invalid Date/, `${where}: ${error.message}`);
}

describe('property: the response and error readers never throw', () => {
  it('readImageFromResponse, readEventError, echoedToolsLackImageGeneration, modelText, isErrorBody on any JSON', () => {
    fc.assert(
      fc.property(gatewayShaped, (json) => {
        readImageFromResponse(json);
        echoedToolsLackImageGeneration(json);
        modelText(json);
        isErrorBody(json);
        const error = readEventError(json, 1_700_000_000_000);
        if (error !== undefined) assertGatewayError(error, 'readEventError');
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('readHttpError on any status, headers and body text returns a GatewayError with a readable message', () => {
    const body = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), gatewayShaped.map((j) => JSON.stringify(j)), fc.constantFrom('', '\n\n', '<html><title>x</title>', '{"error":'));
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 599 }), headers, body, (status, h, text) => {
        assertGatewayError(readHttpError(status, h, text, 1_700_000_000_000), `readHttpError(${status})`);
        parseJsonBody(text);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('a usage limit that resets at a time no Date can hold still gives a message (regression: RangeError)', () => {
    for (const error of [{ type: 'usage_limit_reached', resets_at: 1e20 }, { type: 'usage_limit_reached', resets_in_seconds: 1e300 }]) {
      const fromHttp = readHttpError(429, {}, JSON.stringify({ error }));
      assert.equal(fromHttp.kind, 'usage_limit');
      assert.match(fromHttp.message, /Wait until it resets/);
      const fromStream = readEventError({ type: 'error', error });
      assert.equal(fromStream?.kind, 'usage_limit');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The whole client on arbitrary and damaged bodies.

function transportOf(status: number, contentType: string | undefined, body: Buffer, points: readonly number[]): HttpTransport {
  return {
    async send() {
      const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
      return { status, headers, body: fromChunks(cut(body, points)) };
    },
  };
}

const FAST = { transientRetries: 0, textFallbackRetries: 0, maxRateLimitWaitSeconds: 0 };

interface Outcome {
  bytes?: Buffer;
  revisedPrompt?: string;
  error?: string;
  partials: string[];
}

async function runClient(transport: HttpTransport, stream: boolean): Promise<Outcome> {
  const partials: string[] = [];
  const client = new ImageClient({ transport, clock: new InstantClock() });
  try {
    const image = await within(
      5000,
      'generate',
      client.generate(settingsFor('http://gateway.invalid', { ...FAST, stream }, CANARY), { prompt: 'p' }, {
        onProgress: (e: ProgressEvent) => {
          if (e.type === 'partialImage') partials.push(Buffer.from(e.bytes).toString('base64'));
        },
      }),
    );
    return { bytes: Buffer.from(image.bytes), ...(image.revisedPrompt !== undefined ? { revisedPrompt: image.revisedPrompt } : {}), partials };
  } catch (err) {
    if (!(err instanceof GatewayError)) throw new Error(`generate threw something that is not a GatewayError: ${String(err)}`);
    // The catch-all for an exception inside the client (a reader that threw) must never be what the user reads.
    assert.doesNotMatch(err.message, /Unexpected error while talking to the gateway/, err.message);
    assertGatewayError(err, `generate (${err.kind})`);
    return { error: `${err.kind}: ${err.message}`, partials };
  }
}

const png = makePng(24, 16, { noise: true });
const partial = makePng(4, 4);

function validStream(eol: string): Buffer {
  const item = { type: 'image_generation_call', status: 'generating', result: png.toString('base64'), revised_prompt: 'a squirrel — 松鼠 🐿', size: '24x16' };
  const events: [string, unknown][] = [
    ['response.created', { type: 'response.created', response: { id: 'resp_1', status: 'in_progress', tools: [{ type: 'image_generation' }] } }],
    ['response.image_generation_call.partial_image', { type: 'response.image_generation_call.partial_image', partial_image_index: 0, partial_image_b64: partial.toString('base64') }],
    ['response.output_text.delta', { type: 'response.output_text.delta', delta: 'über ' }],
    ['response.output_item.done', { type: 'response.output_item.done', item }],
    ['response.completed', { type: 'response.completed', response: { id: 'resp_1', status: 'completed', output: [] } }],
  ];
  return Buffer.from(events.map(([name, data]) => `event: ${name}${eol}data: ${JSON.stringify(data)}${eol}${eol}`).join(`: keep-alive${eol}${eol}`));
}

function validJson(): Buffer {
  return Buffer.from(
    `\n\n${JSON.stringify({ id: 'resp_2', status: 'completed', tools: [{ type: 'image_generation' }], output: [{ type: 'image_generation_call', result: tinyJpeg.toString('base64'), revised_prompt: 'café' }] })}`,
  );
}

describe('property: the client on arbitrary, damaged and re-chunked bodies', () => {
  it('a valid stream (any line ends) or JSON body, chunked any way, decodes to the same image, previews and texts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), fc.array(fc.nat(), { maxLength: 60 }), async (eol, stream, points) => {
        const body = stream ? validStream(eol) : validJson();
        const type = stream ? 'text/event-stream' : 'application/json';
        const whole = await runClient(transportOf(200, type, body, []), stream);
        const chunked = await runClient(transportOf(200, type, body, points), stream);
        assert.equal(whole.error, undefined, whole.error);
        assert.deepEqual(whole.bytes, stream ? png : tinyJpeg);
        assert.deepEqual(chunked, whole);
      }),
      { numRuns: RUNS },
    );
  });

  it('a valid body cut short or with bytes changed: an image or a GatewayError, never anything else, never a hang', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (stream, length, flips, points) => {
          const original = stream ? validStream('\n') : validJson();
          const body = Buffer.from(original.subarray(0, length % (original.length + 1)));
          for (const [at, value] of flips) if (body.length > 0) body[at % body.length] = value;
          const outcome = await runClient(transportOf(200, stream ? 'text/event-stream' : 'application/json', body, points), stream);
          // An image that comes out of a damaged body is still an image (the client checks the magic number), and
          // an undamaged body (nothing cut, no byte changed) gives exactly the image it holds.
          if (outcome.bytes) assert.ok(detectImageType(outcome.bytes) !== undefined, `not an image: ${outcome.bytes.subarray(0, 8).toString('hex')}`);
          if (body.length === original.length && flips.length === 0) assert.deepEqual(outcome.bytes, stream ? png : tinyJpeg, outcome.error);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('arbitrary status, content type and bytes: the client only ever rejects with a GatewayError, within a bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(200, 201, 204, 301, 307, 400, 401, 403, 404, 408, 429, 500, 502, 503, 520),
        fc.constantFrom('text/event-stream', 'application/json', 'text/html', 'text/plain', undefined),
        fc.oneof(fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)), gatewayShaped.map((j) => Buffer.from(JSON.stringify(j)))),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (status, type, body, stream, points) => {
          await runClient(transportOf(status, type, body, points), stream);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Slugs.

const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

describe('property: any prompt gives a safe file name inside the images folder', () => {
  it('slugFromPrompt: non-empty, ≤ 48 code points, no separators, reserved names or edge dots, and it lands in images/', () => {
    const prompt = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.array(fc.constantFrom('..', '/', '\\', 'CON', 'nul', 'com1', ':', '*', '?', '"', '<', '>', '|', '\0', ' ', '.', '-', 'ａ', '\u0301', '\u202e'), { maxLength: 30 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(prompt, (p) => {
        const slug = slugFromPrompt(p);
        assert.ok(slug.length > 0);
        assert.ok([...slug].length <= 48, slug);
        assert.doesNotMatch(slug, /[/\\:*?"<>|\u0000-\u001f\u007f\s]/u, slug);
        assert.doesNotMatch(slug, /^[.-]|[.-]$/, slug);
        assert.ok(slug !== '.' && slug !== '..');
        assert.ok(!RESERVED.test(slug) && !RESERVED.test(slug.split('.')[0] ?? ''), slug);
        const target = resolveDestination({ documentPath: '/ws/docs/a.md', workspaceFolderPath: '/ws', slug, ext: 'png' });
        assert.equal(target, `/ws/docs/images/${slug}.png`);
      }),
      { numRuns: RUNS * 5 },
    );
  });
});
