/**
 * ImageClient: retry orchestration, progress, cancellation and redaction with an in-memory transport
 * and a fake clock (no real waiting), then the HTTP/SSE paths against a real server on 127.0.0.1.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { ImageClient } from '../../src/core/gateway/client';
import { GatewayError, cancelledError, type GatewayErrorKind } from '../../src/core/errors';
import type { HttpRequest } from '../../src/core/gateway/request';
import type { HttpResponse, HttpTransport } from '../../src/core/gateway/transport';
import type { Clock, GatewaySettings, Logger, ProgressEvent } from '../../src/core/types';
import { removeTempFolderSync } from '../support/removeInside';

const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';
const PNG = Buffer.from(PNG_B64, 'base64');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x1a, 0, 0, 0]), Buffer.from('WEBPVP8L'), Buffer.alloc(8)]);
const KEY = 'sk-test-key-DO-NOT-LEAK-1234';

function settings(overrides: Partial<GatewaySettings> = {}): GatewaySettings {
  return {
    baseUrl: 'http://gateway.test:8317',
    apiKey: KEY,
    model: 'gpt-5.4',
    instructions: 'you are a helpful assistant',
    identity: { userAgent: 'codex-tui/0.122.0', version: '0.122.0', originator: 'codex_cli_rs', sessionId: 'test-session' },
    stream: false,
    tool: { outputFormat: 'png' },
    timeoutMs: 5000,
    maxResponseBytes: 64 * 1024 * 1024,
    retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 2, rateLimitRetries: 3 },
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Fakes

/** A clock whose sleeps return at once and are recorded, with the progress events seen so far. */
class FakeClock implements Clock {
  time = 1_000_000;
  sleeps: { ms: number; eventsBefore: number }[] = [];
  constructor(private readonly events?: ProgressEvent[]) {}
  now(): number {
    return this.time;
  }
  random(): number {
    return 0.5;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw cancelledError();
    this.sleeps.push({ ms, eventsBefore: this.events?.length ?? 0 });
    this.time += ms;
  }
}

/** A clock whose sleep only ends when its signal aborts: for "cancel during the wait". */
class StuckClock extends FakeClock {
  sleeping?: () => void;
  override sleep(_ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((_, reject) => {
      signal?.addEventListener('abort', () => reject(cancelledError()), { once: true });
      this.sleeping?.();
    });
  }
}

async function* bodyOf(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

type Scripted = HttpResponse | Error | ((request: HttpRequest, signal?: AbortSignal) => Promise<HttpResponse>);

class ScriptedTransport implements HttpTransport {
  requests: HttpRequest[] = [];
  constructor(private readonly script: Scripted[]) {}
  async send(request: HttpRequest, options: { signal?: AbortSignal; timeoutMs: number; onSent?: () => void }): Promise<HttpResponse> {
    this.requests.push(request);
    const next = this.script.shift();
    if (!next) throw new Error('the script ran out of responses');
    // A scripted connection failure never delivered the request; anything else did.
    if (next instanceof Error) throw next;
    options.onSent?.();
    if (typeof next === 'function') return next(request, options.signal);
    return next;
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: bodyOf(text) };
}

function sse(events: unknown[], options: { keepAlive?: boolean; end?: string } = {}): HttpResponse {
  const frames = events.map((e) => {
    const type = (e as { type?: string }).type;
    return `${options.keepAlive ? ': keep-alive\n\n' : ''}${type ? `event: ${type}\n` : ''}data: ${JSON.stringify(e)}\n\n`;
  });
  return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: bodyOf(...frames, options.end ?? '') };
}

function imageResponse(b64 = PNG_B64, extra: Record<string, unknown> = {}): unknown {
  return {
    id: 'resp_123',
    object: 'response',
    status: 'completed',
    output: [{ type: 'image_generation_call', status: 'generating', result: b64, revised_prompt: 'A squirrel.', size: '1024x1024' }],
    tools: [{ type: 'image_generation' }],
    ...extra,
  };
}

const TEXT_ONLY = {
  id: 'resp_text',
  object: 'response',
  status: 'completed',
  output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: "I can't generate images here." }] }],
  tools: [],
};

class CapturingLogger implements Logger {
  lines: string[] = [];
  trace(m: string) {
    this.lines.push(`trace ${m}`);
  }
  debug(m: string) {
    this.lines.push(`debug ${m}`);
  }
  info(m: string) {
    this.lines.push(`info ${m}`);
  }
  warn(m: string) {
    this.lines.push(`warn ${m}`);
  }
  error(m: string) {
    this.lines.push(`error ${m}`);
  }
}

function isKind(kind: GatewayErrorKind, extra?: (err: GatewayError) => void) {
  return (err: unknown) => {
    assert.ok(err instanceof GatewayError, `not a GatewayError: ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    extra?.(err);
    return true;
  };
}

function phases(events: ProgressEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'phase' ? [e.phase] : []));
}

// ---------------------------------------------------------------------------------------------

describe('ImageClient.generate (non-streaming, in-memory transport)', () => {
  it('returns the decoded image with its real type, revised prompt, size, id and one attempt', async () => {
    const transport = new ScriptedTransport([json(200, imageResponse())]);
    const events: ProgressEvent[] = [];
    const client = new ImageClient({ transport, clock: new FakeClock() });
    const image = await client.generate(settings(), { prompt: 'a squirrel' }, { onProgress: (e) => events.push(e) });
    assert.deepEqual(Buffer.from(image.bytes), PNG);
    assert.equal(image.mime, 'image/png');
    assert.equal(image.extension, 'png');
    assert.equal(image.revisedPrompt, 'A squirrel.');
    assert.equal(image.size, '1024x1024');
    assert.equal(image.responseId, 'resp_123');
    assert.equal(image.attempts, 1);
    // Issue 11: without a stream the wait after the request is the gateway's, until the whole answer comes.
    assert.deepEqual(phases(events), ['connecting', 'waiting', 'receiving']);
    assert.equal(transport.requests.length, 1);
    assert.equal(transport.requests[0]?.url, 'http://gateway.test:8317/v1/responses');
  });

  for (const [name, bytes, mime, extension] of [
    ['JPEG', JPEG, 'image/jpeg', 'jpg'],
    ['WebP', WEBP, 'image/webp', 'webp'],
  ] as const) {
    it(`names the type by the bytes: asked for png, got ${name}`, async () => {
      const transport = new ScriptedTransport([json(200, imageResponse(bytes.toString('base64')))]);
      const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' });
      assert.equal(image.mime, mime);
      assert.equal(image.extension, extension);
    });
  }

  it('tolerates blank keep-alive lines before the JSON', async () => {
    const transport = new ScriptedTransport([json(200, `\n\n\n${JSON.stringify(imageResponse())}`)]);
    const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' });
    assert.equal(image.mime, 'image/png');
  });

  it('an error JSON under HTTP 200 (CPA keep-alive quirk) is an error', async () => {
    const transport = new ScriptedTransport([json(200, '\n\n{"error":{"code":"invalid_prompt","message":"Your prompt was flagged."}}')]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }),
      isKind('bad_request', (e) => assert.match(e.message, /Your prompt was flagged/)),
    );
  });

  it('bytes that are not an image fail with not_image quoting their start', async () => {
    const transport = new ScriptedTransport([json(200, imageResponse(Buffer.from('<html>oops</html>').toString('base64')))]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }),
      isKind('not_image', (e) => {
        assert.match(e.message, /not a PNG, JPEG or WebP/);
        assert.match(e.message, /<html>oops<\/html>/);
        assert.equal(e.details.excerpt, '<html>oops</html>');
      }),
    );
    assert.equal(transport.requests.length, 1);
  });

  it('a result that is not base64 at all (a URL) fails with not_image', async () => {
    const transport = new ScriptedTransport([json(200, imageResponse('https://cdn.example/img.png'))]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }),
      isKind('not_image', (e) => assert.match(e.message, /not base64.*https:\/\/cdn\.example/)),
    );
  });

  it('truncated JSON is a retryable protocol error with an excerpt', async () => {
    const truncated = JSON.stringify(imageResponse()).slice(0, 60);
    const transport = new ScriptedTransport([json(200, truncated), json(200, truncated), json(200, truncated)]);
    const clock = new FakeClock();
    await assert.rejects(
      new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }),
      isKind('protocol', (e) => assert.match(e.message, /not valid JSON.*"id":"resp_123"/)),
    );
    assert.equal(transport.requests.length, 3);
  });
});

describe('ImageClient.generate retries (fake clock)', () => {
  const rateLimited = () => json(429, { error: { code: 'rate_limit_exceeded', message: 'Rate limit reached for gpt-5.4. Please try again in 1.2s.' } });

  it('waits out a short rate limit, reporting each retry before waiting', async () => {
    const events: ProgressEvent[] = [];
    const clock = new FakeClock(events);
    const transport = new ScriptedTransport([rateLimited(), rateLimited(), json(200, imageResponse())]);
    const image = await new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }, { onProgress: (e) => events.push(e) });
    assert.equal(image.attempts, 3);
    assert.equal(transport.requests.length, 3);
    assert.deepEqual(clock.sleeps.map((s) => s.ms), [1300, 1300]);
    const retries = events.filter((e) => e.type === 'retry');
    assert.deepEqual(
      retries.map((e) => e.type === 'retry' && [e.attempt, e.delayMs, e.reason]),
      [
        [2, 1300, 'rate_limited'],
        [3, 1300, 'rate_limited'],
      ],
    );
    assert.match(retries[0]?.type === 'retry' ? retries[0].message : '', /rate limiting/);
    // The k-th retry event was already out when the clock was asked for the k-th wait.
    clock.sleeps.forEach((sleep, k) => {
      const retriesBefore = events.slice(0, sleep.eventsBefore).filter((e) => e.type === 'retry').length;
      assert.equal(retriesBefore, k + 1, `retry ${k + 1} reported before its wait`);
    });
    // Each attempt starts again from "connecting".
    assert.equal(phases(events).filter((p) => p === 'connecting').length, 3);
    assert.equal(image.elapsedMs, 2600);
  });

  it('gives up when rate limits outlast rateLimitRetries', async () => {
    const clock = new FakeClock();
    const transport = new ScriptedTransport([rateLimited(), rateLimited(), rateLimited(), rateLimited()]);
    await assert.rejects(
      new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }),
      isKind('rate_limited', (e) => assert.equal(e.details.retryAfterMs, 1200)),
    );
    assert.equal(transport.requests.length, 4);
    assert.equal(clock.sleeps.length, 3);
  });

  it('fails at once when the stated delay is over the ceiling', async () => {
    const clock = new FakeClock();
    const transport = new ScriptedTransport([json(429, { error: { code: 'rate_limit_exceeded', message: 'Please try again in 45s.' } })]);
    await assert.rejects(new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }), isKind('rate_limited'));
    assert.equal(transport.requests.length, 1);
    assert.equal(clock.sleeps.length, 0);
  });

  it('honours a Retry-After header on a 429', async () => {
    const clock = new FakeClock();
    const transport = new ScriptedTransport([json(429, { error: { message: 'slow down' } }, { 'retry-after': '2' }), json(200, imageResponse())]);
    await new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' });
    assert.deepEqual(clock.sleeps.map((s) => s.ms), [2100]);
  });

  it('backs off exponentially on a rate limit that states no delay', async () => {
    const clock = new FakeClock();
    const plain429 = () => json(429, { error: { message: 'Too many requests' } });
    const transport = new ScriptedTransport([plain429(), plain429(), plain429(), json(200, imageResponse())]);
    await new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' });
    assert.deepEqual(clock.sleeps.map((s) => s.ms), [1000, 2000, 4000]);
  });

  it('never retries a usage limit and says when it resets', async () => {
    const clock = new FakeClock();
    const resetsAt = Math.floor(clock.now() / 1000) + 7200;
    const transport = new ScriptedTransport([json(429, { error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', resets_at: resetsAt } })]);
    await assert.rejects(
      new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }),
      isKind('usage_limit', (e) => {
        assert.equal(e.details.resetsAt, resetsAt * 1000);
        assert.ok(e.message.includes(new Date(resetsAt * 1000).toISOString()));
      }),
    );
    assert.equal(transport.requests.length, 1);
  });

  it('retries 502 and 503 with exponential backoff, then succeeds', async () => {
    const events: ProgressEvent[] = [];
    const clock = new FakeClock(events);
    const transport = new ScriptedTransport([json(502, 'Bad Gateway'), json(503, { error: { message: 'overloaded' } }), json(200, imageResponse())]);
    const image = await new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }, { onProgress: (e) => events.push(e) });
    assert.equal(image.attempts, 3);
    assert.deepEqual(clock.sleeps.map((s) => s.ms), [1000, 2000]);
    assert.deepEqual(events.flatMap((e) => (e.type === 'retry' ? [e.reason] : [])), ['server_error', 'server_error']);
  });

  it('retries a connection reset as a connection problem', async () => {
    const clock = new FakeClock();
    const reset = new GatewayError('network', 'The connection to the gateway at gateway.test:8317 was closed', { retryable: true, code: 'ECONNRESET' });
    const transport = new ScriptedTransport([reset, json(200, imageResponse())]);
    const events: ProgressEvent[] = [];
    const image = await new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }, { onProgress: (e) => events.push(e) });
    assert.equal(image.attempts, 2);
    assert.deepEqual(events.flatMap((e) => (e.type === 'retry' ? [e.reason] : [])), ['connection']);
  });

  it('stops after transientRetries and throws the last error', async () => {
    const clock = new FakeClock();
    const transport = new ScriptedTransport([json(500, '{}'), json(500, '{}'), json(504, '{"error":{"message":"gateway timeout"}}')]);
    await assert.rejects(
      new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }),
      isKind('server', (e) => {
        assert.equal(e.details.status, 504);
        assert.match(e.message, /gateway timeout/);
      }),
    );
    assert.equal(transport.requests.length, 3);
  });

  for (const [status, kind] of [
    [400, 'bad_request'],
    [401, 'auth'],
    [403, 'forbidden'],
    [404, 'not_found'],
  ] as const) {
    it(`never retries ${status}`, async () => {
      const clock = new FakeClock();
      const transport = new ScriptedTransport([json(status, { error: { message: `status ${status}` } }), json(200, imageResponse())]);
      await assert.rejects(new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }), isKind(kind));
      assert.equal(transport.requests.length, 1);
      assert.equal(clock.sleeps.length, 0);
    });
  }

  it('a redirect is refused, never followed, never retried', async () => {
    const transport = new ScriptedTransport([{ status: 301, headers: { location: 'https://other.example/v1/responses' }, body: bodyOf('') }]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }),
      isKind('config', (e) => assert.match(e.message, /redirected.*https:\/\/other\.example.*not sent there/)),
    );
    assert.equal(transport.requests.length, 1);
  });

  it('retries the text fallback (tools: []) and succeeds when the tool comes back', async () => {
    const events: ProgressEvent[] = [];
    const clock = new FakeClock(events);
    const transport = new ScriptedTransport([json(200, TEXT_ONLY), json(200, TEXT_ONLY), json(200, imageResponse())]);
    const image = await new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }, { onProgress: (e) => events.push(e) });
    assert.equal(image.attempts, 3);
    assert.deepEqual(clock.sleeps.map((s) => s.ms), [500, 500]);
    assert.deepEqual(events.flatMap((e) => (e.type === 'retry' ? [e.reason] : [])), ['text_fallback', 'text_fallback']);
  });

  it('a persisting text fallback shows the text the model answered with', async () => {
    const transport = new ScriptedTransport([json(200, TEXT_ONLY), json(200, TEXT_ONLY), json(200, TEXT_ONLY)]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }),
      isKind('no_image', (e) => {
        assert.match(e.message, /text instead of an image/);
        assert.match(e.message, /I can't generate images here\./);
        assert.equal(e.details.modelText, "I can't generate images here.");
      }),
    );
    assert.equal(transport.requests.length, 3);
  });

  it('a text answer while the tool was offered is not retried', async () => {
    const answer = { ...TEXT_ONLY, tools: [{ type: 'image_generation' }], output: [{ type: 'message', content: [{ type: 'output_text', text: 'What should it look like?' }] }] };
    const transport = new ScriptedTransport([json(200, answer), json(200, imageResponse())]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }),
      isKind('no_image', (e) => assert.match(e.message, /What should it look like\?/)),
    );
    assert.equal(transport.requests.length, 1);
  });

  it('wraps an unexpected error from the transport as a protocol GatewayError', async () => {
    const transport = new ScriptedTransport([new TypeError('boom from nowhere')]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }),
      isKind('protocol', (e) => assert.match(e.message, /boom from nowhere/)),
    );
  });

  it('a config problem (bad base URL) fails before any request', async () => {
    const transport = new ScriptedTransport([]);
    await assert.rejects(new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ baseUrl: 'ftp://x' }), { prompt: 'x' }), isKind('config'));
    assert.equal(transport.requests.length, 0);
  });
});

describe('ImageClient.generate streaming (in-memory transport)', () => {
  const created = { type: 'response.created', response: { id: 'resp_s1', status: 'in_progress', output: [], tools: [{ type: 'image_generation' }] } };
  const imageItem = { type: 'image_generation_call', status: 'generating', result: PNG_B64, revised_prompt: 'Revised.', size: '1024x1024' };

  it('reports phases, partial images and text, and takes the image from output_item.done even if completed is empty', async () => {
    const events: ProgressEvent[] = [];
    const transport = new ScriptedTransport([
      sse(
        [
          created,
          { type: 'response.queued', response: { id: 'resp_s1', status: 'queued' } },
          { type: 'response.in_progress', response: { id: 'resp_s1', status: 'in_progress' } },
          { type: 'response.output_item.added', output_index: 0, item: { type: 'image_generation_call', status: 'in_progress' } },
          { type: 'response.image_generation_call.in_progress', output_index: 0, item_id: 'ig_1' },
          { type: 'response.image_generation_call.generating', output_index: 0, item_id: 'ig_1' },
          { type: 'response.image_generation_call.partial_image', item_id: 'ig_1', partial_image_index: 0, partial_image_b64: JPEG.toString('base64'), output_format: 'png' },
          { type: 'response.image_generation_call.partial_image', item_id: 'ig_1', partial_image_index: 1, partial_image_b64: PNG_B64 },
          { type: 'response.some_future_event', whatever: true },
          { type: 'response.output_item.done', output_index: 0, item: imageItem },
          { type: 'response.output_text.delta', delta: 'Here is ' },
          { type: 'response.output_text.delta', delta: 'your squirrel.' },
          { type: 'response.completed', response: { id: 'resp_s1', status: 'completed', output: [] } },
        ],
        { keepAlive: true },
      ),
    ]);
    const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(
      settings({ stream: true, tool: { outputFormat: 'png', partialImages: 2 } }),
      { prompt: 'x' },
      { onProgress: (e) => events.push(e) },
    );
    assert.deepEqual(Buffer.from(image.bytes), PNG);
    assert.equal(image.revisedPrompt, 'Revised.');
    assert.equal(image.responseId, 'resp_s1');
    // Issue 11: generating once the answer began (its headers), then what the stream's events say.
    assert.deepEqual(phases(events), ['connecting', 'waiting', 'generating', 'queued', 'generating', 'receiving']);
    const partials = events.filter((e) => e.type === 'partialImage');
    assert.deepEqual(
      partials.map((e) => e.type === 'partialImage' && [e.index, e.mime, e.expected, Buffer.from(e.bytes).length]),
      [
        [0, 'image/jpeg', 2, JPEG.length],
        [1, 'image/png', 2, PNG.length],
      ],
    );
    assert.deepEqual(events.flatMap((e) => (e.type === 'text' ? [e.text] : [])), ['Here is ', 'your squirrel.']);
    assert.ok(!phases(events).includes('saving'));
    assert.equal(transport.requests[0]?.headers.accept, 'text/event-stream');
  });

  it('takes the image from response.completed when no output_item.done came', async () => {
    const transport = new ScriptedTransport([sse([created, { type: 'response.completed', response: { id: 'resp_s1', output: [imageItem] } }])]);
    const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' });
    assert.equal(image.size, '1024x1024');
  });

  it('reads the terminal event even without the event: line (type in data only)', async () => {
    const transport = new ScriptedTransport([
      { status: 200, headers: { 'content-type': 'text/event-stream' }, body: bodyOf(`data: ${JSON.stringify({ type: 'response.completed', response: { output: [imageItem] } })}\n\ndata: [DONE]\n\n`) },
    ]);
    const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' });
    assert.equal(image.mime, 'image/png');
  });

  it('an in-stream rate limit (response.failed) is waited out and retried', async () => {
    const clock = new FakeClock();
    const failed = { type: 'response.failed', sequence_number: 0, response: { status: 'failed', error: { code: 'rate_limit_exceeded', message: 'Rate limit reached … Please try again in 1.2s. …' } } };
    const transport = new ScriptedTransport([sse([created, failed]), sse([created, { type: 'response.output_item.done', item: imageItem }, { type: 'response.completed', response: { output: [] } }])]);
    const image = await new ImageClient({ transport, clock }).generate(settings({ stream: true }), { prompt: 'x' });
    assert.equal(image.attempts, 2);
    assert.deepEqual(clock.sleeps.map((s) => s.ms), [1300]);
  });

  it('an in-stream error event (nested, insufficient_quota) is a usage limit, not retried', async () => {
    const transport = new ScriptedTransport([
      sse([created, { type: 'error', sequence_number: 2, error: { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota.', param: null } }]),
    ]);
    await assert.rejects(new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' }), isKind('usage_limit'));
    assert.equal(transport.requests.length, 1);
  });

  it('an in-stream content policy refusal keeps the gateway words', async () => {
    const transport = new ScriptedTransport([
      sse([created, { type: 'response.failed', response: { status: 'failed', error: { code: 'image_content_policy_violation', message: 'This request was rejected by our safety system.' } } }]),
    ]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' }),
      isKind('content_policy', (e) => assert.match(e.message, /refused by the content policy.*rejected by our safety system/)),
    );
  });

  it('a stream that ends without a terminal event and without an image is retried, then fails clearly', async () => {
    const clock = new FakeClock();
    const cut = () => sse([created, { type: 'response.in_progress', response: {} }]);
    const transport = new ScriptedTransport([cut(), cut(), cut()]);
    await assert.rejects(
      new ImageClient({ transport, clock }).generate(settings({ stream: true }), { prompt: 'x' }),
      isKind('protocol', (e) => {
        assert.match(e.message, /^Stopped after 3 attempts: The stream ended before the image arrived/);
        assert.equal(e.details.retryable, true);
      }),
    );
    assert.equal(transport.requests.length, 3);
    assert.deepEqual(clock.sleeps.map((s) => s.ms), [1000, 2000]);
  });

  it('a stream cut after the image item still delivers the image', async () => {
    const transport = new ScriptedTransport([sse([created, { type: 'response.output_item.done', item: imageItem }])]);
    const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' });
    assert.equal(image.attempts, 1);
  });

  it('a completed stream without an image whose tools echo is empty is the text fallback', async () => {
    const textStream = () =>
      sse([
        { type: 'response.created', response: { tools: [] } },
        { type: 'response.output_text.delta', delta: 'Sorry, ' },
        { type: 'response.output_text.delta', delta: 'no tools here.' },
        { type: 'response.completed', response: { status: 'completed', tools: [], output: [] } },
      ]);
    const transport = new ScriptedTransport([textStream(), textStream(), textStream()]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' }),
      isKind('no_image', (e) => {
        assert.equal(e.details.retryable, true);
        assert.match(e.message, /Sorry, no tools here\./);
      }),
    );
    assert.equal(transport.requests.length, 3);
  });

  it('a bare final response borrows the tools echo of response.created and the text of finished message items', async () => {
    const bare = () =>
      sse([
        { type: 'response.created', response: { id: 'r', status: 'in_progress', tools: [], output: [] } },
        { type: 'response.output_item.done', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Only words, sorry.' }] } },
        { type: 'response.completed', response: { id: 'r', status: 'completed', output: [] } },
      ]);
    const clock = new FakeClock();
    const transport = new ScriptedTransport([bare(), bare(), bare()]);
    await assert.rejects(
      new ImageClient({ transport, clock }).generate(settings({ stream: true }), { prompt: 'x' }),
      isKind('no_image', (e) => {
        assert.equal(e.details.retryable, true);
        assert.match(e.message, /Only words, sorry\./);
      }),
    );
    assert.equal(transport.requests.length, 3);
  });

  it('response.incomplete with content_filter and no image is a content policy refusal', async () => {
    const transport = new ScriptedTransport([sse([created, { type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [] } }])]);
    await assert.rejects(new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' }), isKind('content_policy'));
  });

  it('a gateway that answers JSON to a streaming request is still understood', async () => {
    const transport = new ScriptedTransport([json(200, imageResponse())]);
    const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' });
    assert.equal(image.mime, 'image/png');
  });
});

describe('ImageClient with large images: base64 read as it arrives', () => {
  /** A PNG signature and random bytes: an "image" whose base64 is far over the splice threshold. */
  const bigPng = (size: number): Buffer => Buffer.concat([PNG.subarray(0, 16), randomBytes(size)]);
  const final = bigPng(40_000);
  const partials = [bigPng(20_000), bigPng(21_000), bigPng(22_000)];

  /** Splits every piece of a body into pieces of `size` bytes. */
  function rechunk(response: HttpResponse, size: number): HttpResponse {
    const source = response.body;
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) for (let i = 0; i < chunk.length; i += size) yield chunk.subarray(i, i + size);
    }
    return { ...response, body: pieces() };
  }

  /** Runs `fn` and counts the bytes decoded from base64 by Buffer#write (how the splicer decodes) meanwhile. */
  async function countingDecodes<T>(fn: () => Promise<T>): Promise<{ result: T; decoded: number }> {
    const proto = Buffer.prototype as unknown as { write: (...args: unknown[]) => number };
    const original = proto.write;
    let decoded = 0;
    proto.write = function (this: Buffer, ...args: unknown[]): number {
      const written = original.apply(this, args);
      if (args.includes('base64')) decoded += written;
      return written;
    };
    try {
      return { result: await fn(), decoded };
    } finally {
      proto.write = original;
    }
  }

  const STREAM_USAGE = { input_tokens: 2941, input_tokens_details: { cached_tokens: 1920 }, output_tokens: 1249, output_tokens_details: { reasoning_tokens: 1024 }, total_tokens: 4190 };

  /** Three previews, the image (written with `\/` escapes, as some JSON encoders do), text, and the image again. */
  function stream(): HttpResponse {
    const events = [
      { type: 'response.created', response: { id: 'resp_big', output: [] } },
      ...partials.map((p, i) => ({ type: 'response.image_generation_call.partial_image', partial_image_index: i, partial_image_b64: p.toString('base64') })),
      { type: 'response.output_item.done', item: { type: 'image_generation_call', result: final.toString('base64') } },
      { type: 'response.output_text.delta', delta: 'Here it is.' },
      {
        type: 'response.completed',
        // The usage comes after the repeated image, as on the wire (gateway.md §6.2).
        response: { id: 'resp_big', output: [{ type: 'image_generation_call', result: final.toString('base64') }], usage: STREAM_USAGE },
      },
    ];
    const frames = events.map((e) => {
      const data = JSON.stringify(e);
      return `event: ${e.type}\ndata: ${e.type === 'response.output_item.done' ? data.replace(/\//g, '\\/') : data}\n\n`;
    });
    return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: bodyOf(...frames) };
  }

  for (const size of [1, 7, 4096, 65_536]) {
    it(`non-streaming, in ${size}-byte pieces, with and without Content-Length: the exact image`, async () => {
      const text = JSON.stringify(imageResponse(final.toString('base64'))).replace(/\//g, '\\/');
      const variants: Record<string, string>[] = [{}, { 'content-length': String(Buffer.byteLength(text)) }];
      for (const headers of variants) {
        const transport = new ScriptedTransport([rechunk(json(200, text, headers), size)]);
        const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' });
        assert.deepEqual(Buffer.from(image.bytes), final);
        assert.equal(image.revisedPrompt, 'A squirrel.');
        assert.equal(image.responseId, 'resp_123');
      }
    });

    it(`streaming, in ${size}-byte pieces: the exact partial images, image and text`, async () => {
      const events: ProgressEvent[] = [];
      const transport = new ScriptedTransport([rechunk(stream(), size)]);
      const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' }, { onProgress: (e) => events.push(e) });
      assert.deepEqual(Buffer.from(image.bytes), final);
      assert.equal(image.responseId, 'resp_big');
      const seen = events.flatMap((e) => (e.type === 'partialImage' ? [[e.index, e.mime, Buffer.from(e.bytes)]] : []));
      assert.deepEqual(seen, partials.map((p, i) => [i, 'image/png', p]));
      assert.deepEqual(events.flatMap((e) => (e.type === 'text' ? [e.text] : [])), ['Here it is.']);
    });
  }

  it('F2/F3: partial images are not decoded without a listener, nor for one that does not look; the repeat is not decoded', async () => {
    const run = (onProgress?: (e: ProgressEvent) => void) =>
      countingDecodes(() =>
        new ImageClient({ transport: new ScriptedTransport([stream()]), clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' }, onProgress ? { onProgress } : {}),
      );
    // Only the final image, once: not the previews, not its repeat in response.completed.
    const silent = await run();
    assert.deepEqual(Buffer.from(silent.result.bytes), final);
    assert.equal(silent.decoded, final.length);
    const counted: ProgressEvent[] = [];
    const counting = await run((e) => counted.push(e));
    assert.equal(counting.decoded, final.length);
    assert.equal(counted.filter((e) => e.type === 'partialImage').length, 3);
    // A listener that looks decodes each preview once, on first access.
    const looked: Buffer[] = [];
    const looking = await run((e) => {
      if (e.type === 'partialImage') looked.push(Buffer.from(e.bytes), Buffer.from(e.bytes));
    });
    assert.deepEqual(looked, partials.flatMap((p) => [p, p]));
    assert.equal(looking.decoded, final.length + partials.reduce((n, p) => n + p.length, 0));
  });

  it('F3: once the image is in hand, response.completed is read for its usage with the repeated image dropped unread; trailing text still arrives', async () => {
    for (const size of [1, 4096, 16_384]) {
      const events: ProgressEvent[] = [];
      const transport = new ScriptedTransport([rechunk(stream(), size)]);
      const { result: image, decoded } = await countingDecodes(() =>
        new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' }, { onProgress: (e) => events.push(e) }),
      );
      assert.deepEqual(Buffer.from(image.bytes), final);
      assert.deepEqual(events.flatMap((e) => (e.type === 'text' ? [e.text] : [])), ['Here it is.']);
      // The usage follows the image's copy in the same event; the copy is never decoded (only the image and the
      // previews a listener might look at are).
      assert.deepEqual(image.usage, { input: 2941, output: 1249, total: 4190, inputDetails: { cached: 1920 }, outputDetails: { reasoning: 1024 } });
      assert.equal(decoded, final.length, `pieces of ${size}: only the image itself was decoded`);
    }
  });

  it('F5: a stream several times maxResponseBytes long is fine when each event and image is under it', async () => {
    const cap = 100_000; // each image is 40–54 kB of base64; the stream is over 240 kB
    const transport = new ScriptedTransport([rechunk(stream(), 4096)]);
    const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true, maxResponseBytes: cap }), { prompt: 'x' }, { onProgress: () => undefined });
    assert.deepEqual(Buffer.from(image.bytes), final);
  });

  it('F5: one image over maxResponseBytes is too large, in a stream', async () => {
    const transport = new ScriptedTransport([rechunk(stream(), 4096)]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true, maxResponseBytes: 50_000 }), { prompt: 'x' }),
      isKind('too_large', (e) => assert.match(e.message, /An image in the gateway's answer is larger than the 0\.05 MiB limit/)),
    );
  });

  it('F5: a non-streamed body over maxResponseBytes is too large as a whole', async () => {
    const text = JSON.stringify(imageResponse(final.toString('base64')));
    const transport = new ScriptedTransport([rechunk(json(200, text), 4096)]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ maxResponseBytes: text.length - 1 }), { prompt: 'x' }),
      isKind('too_large', (e) => assert.match(e.message, /The gateway's response is larger than/)),
    );
  });

  for (const stream of [false, true]) {
    const respond = (result: string): HttpResponse =>
      stream
        ? sse([{ type: 'response.output_item.done', item: { type: 'image_generation_call', result } }, { type: 'response.completed', response: { output: [] } }])
        : json(200, imageResponse(result));
    const label = stream ? 'stream' : 'non-stream';

    it(`malformed long base64 is not_image quoting its start, not a crash (${label})`, async () => {
      const b64 = final.toString('base64');
      for (const broken of [`${b64.slice(0, 30_000)}$${b64.slice(30_001)}`, `${b64.slice(0, 30_000)}==${b64.slice(30_000)}`]) {
        const transport = new ScriptedTransport([rechunk(respond(broken), 5000)]);
        await assert.rejects(
          new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream }), { prompt: 'x' }),
          isKind('not_image', (e) => {
            assert.match(e.message, /not base64 data; it starts with "iVBORw0KGgo/);
            assert.equal(e.details.excerpt, `${b64.slice(0, 80)}…`);
          }),
        );
        assert.equal(transport.requests.length, 1, 'not retried');
      }
    });

    it(`long clean base64 that is not an image is not_image quoting the bytes (${label})`, async () => {
      const text = Buffer.concat([Buffer.from('<html>oops</html>'), randomBytes(9000)]).toString('base64');
      const transport = new ScriptedTransport([respond(text)]);
      await assert.rejects(
        new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream }), { prompt: 'x' }),
        isKind('not_image', (e) => assert.match(e.message, /9017 bytes that are not a PNG, JPEG or WebP image; they start with "<html>oops<\/html>/)),
      );
    });
  }

  it('a key inside a long base64-looking result is not shown, not even cut in two by the excerpt', async () => {
    const b64 = final.toString('base64');
    const result = `${'A'.repeat(70)}${KEY}${b64.slice(0, 20_000)}$${b64.slice(20_000)}`;
    const transport = new ScriptedTransport([json(200, imageResponse(result))]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }),
      isKind('not_image', (e) => {
        assert.doesNotMatch(e.message + JSON.stringify(e.details), /sk-test/);
        assert.match(e.message, /it starts with "A{70}\[REDACTED/);
      }),
    );
  });

  it('a long result that is prose, not base64, is still named as such', async () => {
    const prose = `I cannot attach images. ${'Here is a long explanation instead. '.repeat(200)}`;
    const transport = new ScriptedTransport([json(200, imageResponse(prose))]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }),
      isKind('not_image', (e) => assert.match(e.message, /not base64 data; it starts with "I cannot attach images\./)),
    );
  });

  it('a long body cut inside the image is a retryable protocol error whose excerpt names the base64, not the bytes', async () => {
    const text = JSON.stringify(imageResponse(final.toString('base64')));
    const truncated = text.slice(0, text.indexOf('"result"') + 20_000);
    const transport = new ScriptedTransport([json(200, truncated), json(200, truncated), json(200, truncated)]);
    await assert.rejects(
      new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }),
      isKind('protocol', (e) => {
        assert.match(e.message, /not valid JSON/);
        assert.match(e.details.excerpt ?? '', /"result":"<base64 #0>$/);
      }),
    );
    assert.equal(transport.requests.length, 3);
  });
});

describe('decoding a short result (the text path)', () => {
  const cases: [string, string, 'ok' | 'not base64'][] = [
    ['clean', PNG_B64, 'ok'],
    ['with line breaks and spaces', PNG_B64.replace(/(.{10})/g, '$1\n '), 'ok'],
    ['URL-safe alphabet', PNG_B64.replace(/\+/g, '-').replace(/\//g, '_'), 'ok'],
    ['a data: URL', `data:image/png;base64,${PNG_B64}`, 'ok'],
    ['an invalid character in the middle', `${PNG_B64.slice(0, 40)}$${PNG_B64.slice(40)}`, 'not base64'],
    ['an invalid lone last character', `${PNG_B64}$`, 'not base64'],
    ['padding in the middle', `${PNG_B64.slice(0, 40)}==${PNG_B64.slice(40)}`, 'not base64'],
  ];
  for (const [name, result, outcome] of cases) {
    it(`${name}: ${outcome}`, async () => {
      const run = new ImageClient({ transport: new ScriptedTransport([json(200, imageResponse(result))]), clock: new FakeClock() }).generate(settings(), { prompt: 'x' });
      if (outcome === 'ok') assert.deepEqual(Buffer.from((await run).bytes), PNG);
      else await assert.rejects(run, isKind('not_image', (e) => assert.match(e.message, /not base64 data/)));
    });
  }
});

describe('ImageClient cancellation', () => {
  it('an aborted signal fails before any request', async () => {
    const transport = new ScriptedTransport([json(200, imageResponse())]);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }, { signal: controller.signal }), isKind('cancelled'));
    assert.equal(transport.requests.length, 0);
  });

  it('cancelling during a retry wait stops at once without another request', async () => {
    const clock = new StuckClock();
    const controller = new AbortController();
    clock.sleeping = () => controller.abort();
    const transport = new ScriptedTransport([json(503, '{}'), json(200, imageResponse())]);
    await assert.rejects(new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }, { signal: controller.signal }), isKind('cancelled'));
    assert.equal(transport.requests.length, 1);
  });

  it('cancelling in the middle of a stream ends with cancelled, even if the body never ends', async () => {
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const transport = new ScriptedTransport([
      async () => ({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: (async function* () {
          yield Buffer.from(`data: ${JSON.stringify({ type: 'response.image_generation_call.partial_image', partial_image_index: 0, partial_image_b64: PNG_B64 })}\n\n`);
          await new Promise(() => undefined); // stalls forever
        })(),
      }),
    ]);
    const run = new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' }, {
      signal: controller.signal,
      onProgress: (e) => {
        events.push(e);
        if (e.type === 'partialImage') setImmediate(() => controller.abort());
      },
    });
    await assert.rejects(run, isKind('cancelled'));
    assert.equal(transport.requests.length, 1);
  });

  it('a transport error caused by the abort is reported as cancelled', async () => {
    const controller = new AbortController();
    const transport = new ScriptedTransport([
      async () => {
        controller.abort();
        throw new Error('socket hang up');
      },
    ]);
    await assert.rejects(new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }, { signal: controller.signal }), isKind('cancelled'));
  });
});

describe('ImageClient logging and secrets', () => {
  it('logs each attempt (method, URL, status, elapsed, retry decision) and never the key or headers', async () => {
    const logger = new CapturingLogger();
    const clock = new FakeClock();
    const transport = new ScriptedTransport([json(503, '{}'), json(200, imageResponse())]);
    await new ImageClient({ transport, clock, logger }).generate(settings(), { prompt: 'x' });
    const text = logger.lines.join('\n');
    assert.match(text, /POST http:\/\/gateway\.test:8317\/v1\/responses \(attempt 1/);
    assert.match(text, /→ 503 after \d+ ms/);
    assert.match(text, /retrying in 1000 ms \(server_error\)/);
    assert.match(text, /→ 200 after/);
    assert.doesNotMatch(text, new RegExp(KEY));
    assert.doesNotMatch(text, /authorization|Bearer/i);
  });

  it('redacts the key when the gateway echoes it back in an error', async () => {
    const logger = new CapturingLogger();
    const transport = new ScriptedTransport([json(401, { error: `Invalid API key: ${KEY}` })]);
    await assert.rejects(new ImageClient({ transport, clock: new FakeClock(), logger }).generate(settings(), { prompt: 'x' }), (err: unknown) => {
      assert.ok(err instanceof GatewayError && err.kind === 'auth');
      assert.doesNotMatch(err.message, new RegExp(KEY));
      assert.match(err.message, /\[REDACTED\]/);
      assert.doesNotMatch(JSON.stringify(err.details), new RegExp(KEY));
      return true;
    });
    assert.doesNotMatch(logger.lines.join('\n'), new RegExp(KEY));
  });

  it('redacts the key from an in-stream error and from a persisting model text', async () => {
    const transport = new ScriptedTransport([sse([{ type: 'error', code: 'invalid_request_error', message: `bad header Bearer ${KEY}` }])]);
    await assert.rejects(new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true }), { prompt: 'x' }), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.doesNotMatch(err.message + JSON.stringify(err.details), new RegExp(KEY));
      return true;
    });
    const leaky = { ...TEXT_ONLY, tools: [{ type: 'image_generation' }], output: [{ type: 'message', content: [{ type: 'output_text', text: `your key is ${KEY}` }] }] };
    await assert.rejects(new ImageClient({ transport: new ScriptedTransport([json(200, leaky)]), clock: new FakeClock() }).generate(settings(), { prompt: 'x' }), (err: unknown) => {
      assert.ok(err instanceof GatewayError && err.kind === 'no_image');
      assert.doesNotMatch(err.message + JSON.stringify(err.details), new RegExp(KEY));
      return true;
    });
  });

  it('a progress listener that throws does not break the generation', async () => {
    const transport = new ScriptedTransport([json(200, imageResponse())]);
    const image = await new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }, {
      onProgress: () => {
        throw new Error('listener bug');
      },
    });
    assert.equal(image.mime, 'image/png');
  });
});

describe('ImageClient.checkConnection (in-memory transport)', () => {
  it('GETs /v1/models and returns the status and model ids', async () => {
    const transport = new ScriptedTransport([json(200, { object: 'list', data: [{ id: 'gpt-5.4' }, { id: 'gpt-5.4-mini' }] })]);
    const result = await new ImageClient({ transport, clock: new FakeClock() }).checkConnection(settings({ baseUrl: 'http://gateway.test:8317/v1' }));
    assert.deepEqual(result, { status: 200, models: ['gpt-5.4', 'gpt-5.4-mini'] });
    assert.equal(transport.requests[0]?.method, 'GET');
    assert.equal(transport.requests[0]?.url, 'http://gateway.test:8317/v1/models');
  });

  it('maps errors like generate does', async () => {
    const transport = new ScriptedTransport([json(401, { error: 'Invalid API key' })]);
    await assert.rejects(new ImageClient({ transport, clock: new FakeClock() }).checkConnection(settings()), isKind('auth', (e) => assert.match(e.message, /Set API Key/)));
  });

  it('an HTML page instead of a model list is a protocol error', async () => {
    const transport = new ScriptedTransport([{ status: 200, headers: { 'content-type': 'text/html' }, body: bodyOf('<!doctype html><title>Router login</title>') }]);
    await assert.rejects(new ImageClient({ transport, clock: new FakeClock() }).checkConnection(settings()), isKind('protocol', (e) => assert.match(e.message, /HTML page.*Router login/)));
  });
});

// ---------------------------------------------------------------------------------------------
// Against a real HTTP server

interface RealServer {
  url: string;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  closedConnections: () => number;
  close(): Promise<void>;
}
const servers: RealServer[] = [];
const clients: ImageClient[] = [];

async function startServer(handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<RealServer> {
  const requests: RealServer['requests'] = [];
  const sockets = new Set<Socket>();
  let closed = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => {
      closed += 1;
      sockets.delete(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const result: RealServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    closedConnections: () => closed,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  servers.push(result);
  return result;
}

function realClient(clock: Clock = new FakeClock()): ImageClient {
  const client = new ImageClient({ clock });
  clients.push(client);
  return client;
}

function writeSlowly(res: http.ServerResponse, pieces: (string | Buffer)[], end = true): void {
  let i = 0;
  const next = (): void => {
    if (i >= pieces.length) {
      if (end) res.end();
      return;
    }
    res.write(pieces[i++] ?? '', () => setImmediate(next));
  };
  next();
}

describe('ImageClient against a real HTTP server', { timeout: 15_000 }, () => {
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.close()));
  });

  it('non-streaming: sends the exact SPEC §1 request and returns the image', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(imageResponse()));
    });
    const image = await realClient().generate(settings({ baseUrl: `${server.url}/v1/` }), { prompt: 'a cute squirrel' });
    assert.deepEqual(Buffer.from(image.bytes), PNG);
    const seen = server.requests[0];
    assert.equal(seen?.method, 'POST');
    assert.equal(seen?.url, '/v1/responses');
    assert.equal(
      seen?.body,
      '{"model":"gpt-5.4","input":"a cute squirrel","tools":[{"type":"image_generation","output_format":"png"}],"instructions":"you are a helpful assistant","tool_choice":"auto","stream":false,"store":false}',
    );
    assert.equal(seen?.headers.authorization, `Bearer ${KEY}`);
    assert.equal(seen?.headers['content-type'], 'application/json');
    assert.equal(seen?.headers.accept, 'application/json');
    assert.equal(seen?.headers['user-agent'], 'codex-tui/0.122.0');
    assert.equal(seen?.headers.version, '0.122.0');
    assert.equal(seen?.headers.originator, 'codex_cli_rs');
    assert.equal(seen?.headers.session_id, 'test-session');
  });

  it('streaming: events in odd pieces with keep-alives, CRLF and partial images', async () => {
    const frames = [
      { type: 'response.created', response: { id: 'resp_real', output: [] } },
      { type: 'response.in_progress', response: { id: 'resp_real' } },
      { type: 'response.image_generation_call.partial_image', partial_image_index: 0, partial_image_b64: PNG_B64 },
      { type: 'response.output_item.done', item: { type: 'image_generation_call', status: 'generating', result: PNG_B64 } },
      { type: 'response.completed', response: { id: 'resp_real', output: [] } },
    ].map((f) => `: keep-alive\r\n\r\nevent: ${f.type}\r\ndata: ${JSON.stringify(f)}\r\n\r\n`);
    const text = frames.join('');
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += 37) pieces.push(text.slice(i, i + 37));
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      writeSlowly(res, pieces, false); // keeps the connection open: the client must stop at response.completed
    });
    const events: ProgressEvent[] = [];
    const image = await realClient().generate(settings({ baseUrl: server.url, stream: true }), { prompt: 'x' }, { onProgress: (e) => events.push(e) });
    assert.equal(image.responseId, 'resp_real');
    assert.equal(events.filter((e) => e.type === 'partialImage').length, 1);
    // On real sockets too: the request written ("waiting"), then the 200's headers ("generating").
    assert.deepEqual(phases(events), ['connecting', 'waiting', 'generating', 'receiving']);
    assert.equal(server.requests[0]?.headers.accept, 'text/event-stream');
    assert.match(server.requests[0]?.body ?? '', /"stream":true/);
  });

  it('non-streaming size cap: stops reading past maxResponseBytes and names the cap in MiB', async () => {
    const total = 32 * 1024 * 1024;
    const piece = 'A'.repeat(64 * 1024);
    let sent = 0;
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"output":[{"type":"image_generation_call","result":"');
      // Write only as fast as the client reads; stop as soon as it goes away.
      const pump = (): void => {
        if (res.destroyed) return;
        if (sent >= total) {
          res.end('"}]}');
          return;
        }
        sent += piece.length;
        res.write(piece, () => setImmediate(pump));
      };
      pump();
    });
    const before = server.closedConnections();
    await assert.rejects(
      realClient().generate(settings({ baseUrl: server.url, maxResponseBytes: 1024 * 1024 }), { prompt: 'x' }),
      isKind('too_large', (e) => assert.match(e.message, /larger than the 1 MiB limit/)),
    );
    assert.equal(server.requests.length, 1, 'too_large is not retried');
    // The client dropped the connection instead of reading the rest.
    while (server.closedConnections() === before) await new Promise((r) => setTimeout(r, 10));
    assert.ok(sent < total / 2, `the server sent ${sent} bytes`);
  });

  it('streaming size cap: one event over maxResponseBytes stops the read and closes the connection', async () => {
    let sent = 0;
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ type: 'response.in_progress' })}\n\ndata: {"type":"response.in_progress","pad":"`);
      const pump = (): void => {
        if (res.destroyed || sent > 10_000_000) return;
        sent += 10_000;
        res.write('x,'.repeat(5_000), () => setImmediate(pump));
      };
      pump();
    });
    const before = server.closedConnections();
    await assert.rejects(
      realClient().generate(settings({ baseUrl: server.url, stream: true, maxResponseBytes: 100_000 }), { prompt: 'x' }),
      isKind('too_large', (e) => assert.match(e.message, /An event of the gateway's stream is larger than the 0\.1 MiB limit/)),
    );
    while (server.closedConnections() === before) await new Promise((r) => setTimeout(r, 10));
    assert.ok(sent < 1_000_000, `the server sent ${sent} bytes`);
  });

  it('streaming size cap: a stream longer than maxResponseBytes whose events are all under it is read to the image', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const filler = `data: ${JSON.stringify({ type: 'response.in_progress', pad: 'x'.repeat(10_000) })}\n\n`;
      const done = `data: ${JSON.stringify({ type: 'response.completed', response: { output: [{ type: 'image_generation_call', result: PNG_B64 }] } })}\n\n`;
      writeSlowly(res, [...Array.from({ length: 50 }, () => filler), done]);
    });
    const image = await realClient().generate(settings({ baseUrl: server.url, stream: true, maxResponseBytes: 100_000 }), { prompt: 'x' });
    assert.deepEqual(Buffer.from(image.bytes), PNG);
  });

  it('a stream cut by the server without a terminal event is retried, then reported', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: {} })}\n\n`);
    });
    const clock = new FakeClock();
    await assert.rejects(
      realClient(clock).generate(settings({ baseUrl: server.url, stream: true }), { prompt: 'x' }),
      isKind('protocol', (e) => assert.match(e.message, /stream ended before the image arrived/)),
    );
    assert.equal(server.requests.length, 3);
  });

  it('a connection reset mid-body is retried and then succeeds', async () => {
    let calls = 0;
    const server = await startServer((req, res) => {
      calls += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (calls === 1) res.write('{"id":"resp_', () => setImmediate(() => req.socket.destroy()));
      else res.end(JSON.stringify(imageResponse()));
    });
    const image = await realClient().generate(settings({ baseUrl: server.url }), { prompt: 'x' });
    assert.equal(image.attempts, 2);
  });

  it('a timeout is reported with how long it waited, and not retried', async () => {
    const server = await startServer(() => undefined); // never answers
    await assert.rejects(
      realClient().generate(settings({ baseUrl: server.url, timeoutMs: 200 }), { prompt: 'x' }),
      isKind('timeout', (e) => {
        assert.equal(e.details.timeoutMs, 200);
        assert.match(e.message, /did not answer within 200 ms/);
      }),
    );
    assert.equal(server.requests.length, 1);
  });

  it('an HTML 502 from a proxy is retried, then reported as an HTML page', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>');
    });
    await assert.rejects(
      realClient().generate(settings({ baseUrl: server.url }), { prompt: 'x' }),
      isKind('server', (e) => assert.match(e.message, /HTML page \(status 502\).*502 Bad Gateway/)),
    );
    assert.equal(server.requests.length, 3);
  });

  it('cancelling mid-stream ends promptly and closes the connection', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ type: 'response.image_generation_call.partial_image', partial_image_index: 0, partial_image_b64: PNG_B64 })}\n\n`);
    });
    const controller = new AbortController();
    const before = server.closedConnections();
    let abortedAt = 0;
    await assert.rejects(
      realClient().generate(settings({ baseUrl: server.url, stream: true, timeoutMs: 60_000 }), { prompt: 'x' }, {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'partialImage') {
            abortedAt = Date.now();
            controller.abort();
          }
        },
      }),
      isKind('cancelled'),
    );
    assert.ok(Date.now() - abortedAt < 1000);
    while (server.closedConnections() === before) await new Promise((r) => setTimeout(r, 10));
  });

  it('a redirect is not followed: the other server never sees the key', async () => {
    const other = await startServer((_req, res) => res.end('{}'));
    const server = await startServer((_req, res) => {
      res.writeHead(302, { location: `${other.url}/v1/responses` });
      res.end();
    });
    await assert.rejects(realClient().generate(settings({ baseUrl: server.url }), { prompt: 'x' }), isKind('config', (e) => assert.ok(e.message.includes(other.url))));
    assert.equal(other.requests.length, 0);
  });

  it('checkConnection against the server', async () => {
    const server = await startServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${KEY}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"Invalid API key"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ id: 'gpt-5.4' }] }));
    });
    assert.deepEqual(await realClient().checkConnection(settings({ baseUrl: server.url })), { status: 200, models: ['gpt-5.4'] });
    assert.equal(server.requests[0]?.url, '/v1/models');
    await assert.rejects(realClient().checkConnection(settings({ baseUrl: server.url, apiKey: 'sk-wrong-key-0000' })), isKind('auth'));
  });
});

describe('undici is loaded lazily', { timeout: 30_000 }, () => {
  it('bundled like the extension, creating a client does not load undici; the first request does', async () => {
    const { build } = await import('esbuild');
    const root = resolve(import.meta.dirname, '../..');
    // The real build's options and plugin: undici stays out of the bundle, which requires ./undici.js beside it.
    const { commonOptions, undiciBesideBundle } = (await import(join(root, 'esbuild.mjs'))) as {
      commonOptions: () => Record<string, unknown>;
      undiciBesideBundle: import('esbuild').Plugin;
    };
    const dir = mkdtempSync(join(tmpdir(), 'cpa-lazy-'));
    try {
      const bundle = join(dir, 'client.cjs');
      const realUndici = join(root, 'node_modules/undici/index.js');
      await build({
        ...commonOptions(),
        entryPoints: [join(root, 'src/core/gateway/client.ts')],
        outfile: bundle,
        sourcemap: false,
        logLevel: 'silent',
        plugins: [undiciBesideBundle],
      });
      // The undici.js beside the bundle marks when it is evaluated.
      writeFileSync(join(dir, 'undici.js'), `globalThis.__undiciLoaded = true; module.exports = require(${JSON.stringify(realUndici)});`);
      const script = join(dir, 'probe.cjs');
      writeFileSync(
        script,
        `
const http = require('node:http');
const loaded = () => globalThis.__undiciLoaded === true;
const { ImageClient } = require(${JSON.stringify(bundle)});
const report = { afterImport: loaded() };
const client = new ImageClient();
report.afterConstruct = loaded();
const server = http.createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"data":[{"id":"m"}]}'); });
server.listen(0, '127.0.0.1', async () => {
  const settings = { baseUrl: 'http://127.0.0.1:' + server.address().port, apiKey: 'k-probe', model: 'm', instructions: '', identity: { userAgent: 'u', version: 'v', originator: 'o', sessionId: 's' }, stream: false, tool: { outputFormat: 'png' }, timeoutMs: 5000, maxResponseBytes: 1e6, retry: { maxRateLimitWaitMs: 0, textFallbackRetries: 0, transientRetries: 0, rateLimitRetries: 0 } };
  const result = await client.checkConnection(settings);
  report.afterRequest = loaded();
  report.models = result.models;
  await client.close();
  server.close();
  process.stdout.write(JSON.stringify(report));
});
`,
      );
      const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), { afterImport: false, afterConstruct: false, afterRequest: true, models: ['m'] });
    } finally {
      removeTempFolderSync(dir);
    }
  });
});
