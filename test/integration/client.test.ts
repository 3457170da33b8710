/**
 * The real ImageClient (real undici transport, real SSE reader) against the loopback test gateway,
 * for every scenario: the bytes or the GatewayError that comes out, what the gateway received, the
 * progress events, the retry waits (through a fake clock, so nothing here sleeps for a retry) and
 * the number of attempts the gateway counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImageClient } from '../../src/core/gateway/client';
import { GatewayError, cancelledError } from '../../src/core/errors';
import { REFUSED_RETRIES, STATED_DELAY_MARGIN_MS } from '../../src/core/gateway/retry';
import type {
  Clock,
  GatewaySettings,
  GeneratedImage,
  ImageRequest,
  ImageToolOptions,
  Logger,
  ProgressEvent,
} from '../../src/core/types';
import type { GatewayErrorKind } from '../../src/core/errors';
import { tinyJpeg, tinyPng, tinyWebp } from '../gateway/images';
import { checkPng } from '../gateway/inspect';
import {
  CONTENT_POLICY_MESSAGE,
  FORBIDDEN_MESSAGE,
  INCOMPLETE_TEXT,
  INSUFFICIENT_QUOTA_MESSAGE,
  KEEPALIVE_200_ERROR_MESSAGE,
  MODELS,
  SERVER_ERROR_MESSAGE,
  TEXT_FALLBACK_REPLY,
  TOOL_CHOICE_MESSAGE,
  USAGE_LIMIT_MESSAGE,
  partialImageFor,
  revisedPromptFor,
} from '../gateway/scenarios';
import { startTestGateway, type RecordedRequest, type ScenarioName, type TestGateway } from '../gateway/server';

const KEY = 'sk-test-CANARY-1234';
const PROMPT = 'a red squirrel on a mossy branch';
const IDENTITY = {
  userAgent: 'codex-tui/0.122.0 (test; x86_64) integration (codex-tui; 0.122.0)',
  version: '0.122.0',
  originator: 'codex_cli_rs',
  sessionId: 'test-session',
};

/** Every log line of every client in this file, checked for the key at the end. */
const logLines: string[] = [];
const capturingLogger: Logger = {
  trace: (m) => logLines.push(m),
  debug: (m) => logLines.push(m),
  info: (m) => logLines.push(m),
  warn: (m) => logLines.push(m),
  error: (m) => logLines.push(m),
};

/** The contract's fake clock: sleeps are recorded and return at once; time moves by the slept amount. */
class FakeClock implements Clock {
  t = Date.now();
  readonly sleeps: number[] = [];
  onSleep?: (ms: number) => void;
  now = (): number => this.t;
  random = (): number => 0.5;
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw cancelledError();
    this.sleeps.push(ms);
    this.onSleep?.(ms);
    if (signal?.aborted) throw cancelledError();
    this.t += ms;
  }
}

function settingsFor(
  baseUrl: string,
  overrides: Partial<GatewaySettings> = {},
  tool: Partial<ImageToolOptions> = {},
): GatewaySettings {
  return {
    baseUrl,
    apiKey: KEY,
    model: 'gpt-5.4',
    instructions: 'you are a helpful assistant',
    identity: IDENTITY,
    stream: false,
    tool: { outputFormat: 'png', ...tool },
    timeoutMs: 30_000,
    maxResponseBytes: 64 * 1024 * 1024,
    retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 2, rateLimitRetries: 3 },
    ...overrides,
  };
}

interface Run {
  image?: GeneratedImage;
  error?: GatewayError;
  events: ProgressEvent[];
  /** 'partial:<i>' and 'final' in the order they happened. */
  order: string[];
  clock: FakeClock;
}

interface RunOptions {
  stream?: boolean;
  settings?: Partial<GatewaySettings>;
  tool?: Partial<ImageToolOptions>;
  request?: Partial<ImageRequest>;
  signal?: AbortSignal;
  clock?: FakeClock;
  onProgress?: (event: ProgressEvent) => void;
}

async function generate(url: string, options: RunOptions = {}): Promise<Run> {
  const clock = options.clock ?? new FakeClock();
  const client = new ImageClient({ clock, logger: capturingLogger });
  const events: ProgressEvent[] = [];
  const order: string[] = [];
  const run: Run = { events, order, clock };
  try {
    run.image = await client.generate(
      settingsFor(url, { stream: options.stream ?? false, ...options.settings }, options.tool),
      { prompt: PROMPT, ...options.request },
      {
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (event) => {
          events.push(event);
          if (event.type === 'partialImage') order.push(`partial:${event.index}`);
          options.onProgress?.(event);
        },
      },
    );
    order.push('final');
  } catch (err) {
    if (!(err instanceof GatewayError)) throw new Error(`generate threw something that is not a GatewayError: ${String(err)}`);
    run.error = err;
  } finally {
    await (client as { close?: () => Promise<void> }).close?.();
  }
  return run;
}

function expectImage(run: Run, expected: Buffer): GeneratedImage {
  assert.equal(run.error, undefined, `expected an image, got ${run.error?.kind}: ${run.error?.message}`);
  const image = run.image!;
  assert.deepEqual(Buffer.from(image.bytes), expected);
  return image;
}

/** The error, checked for kind and for the key in any of its texts. */
function expectError(run: Run, kind: GatewayErrorKind): GatewayError {
  assert.ok(run.error, `expected a ${kind} error, got an image`);
  const error = run.error;
  assert.equal(error.kind, kind, `kind (message: ${error.message})`);
  const { details } = error;
  for (const text of [error.message, details.gatewayMessage, details.excerpt, details.modelText, details.code]) {
    assert.ok(!text?.includes(KEY), `the key leaked into an error text: ${text}`);
  }
  assert.ok(error.message.length > 20, 'the message says something');
  return error;
}

function retries(run: Run): Extract<ProgressEvent, { type: 'retry' }>[] {
  return run.events.filter((e): e is Extract<ProgressEvent, { type: 'retry' }> => e.type === 'retry');
}

/** Tests that wait on the network get a bound, so a client that ignores an abort fails instead of hanging. */
const BOUNDED = { timeout: 20_000 };

const modes = [
  { stream: false, label: 'non-stream' },
  { stream: true, label: 'stream' },
] as const;

describe('ImageClient against the test gateway', () => {
  let gw: TestGateway;
  const url = (name: ScenarioName, params?: Record<string, string | number>) => gw.scenarioUrl(name, params);
  const attemptsAt = (u: string) => gw.requestsFor(u).length;

  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw.close();
    const leaked = logLines.filter((l) => l.includes(KEY));
    assert.deepEqual(leaked, [], 'no log line holds the key');
    assert.ok(logLines.length > 0, 'the logger was used');
  });

  describe('the request it sends', () => {
    for (const { stream, label } of modes) {
      it(`${label}: the exact default body of SPEC §1 and every header`, async () => {
        const u = url('ok');
        expectImage(await generate(u, { stream }), tinyPng);
        const [request] = gw.requestsFor(u) as [RecordedRequest];
        assert.equal(request.method, 'POST');
        assert.equal(request.path, `${new URL(u).pathname}/v1/responses`);
        assert.deepEqual(request.json, {
          model: 'gpt-5.4',
          input: PROMPT,
          tools: [{ type: 'image_generation', output_format: 'png' }],
          instructions: 'you are a helpful assistant',
          tool_choice: 'auto',
          stream,
          store: false,
        });
        const h = request.headers;
        assert.equal(h.authorization, `Bearer ${KEY}`);
        assert.match(h['content-type'] ?? '', /^application\/json/);
        assert.equal(h['user-agent'], IDENTITY.userAgent);
        assert.equal(h.version, IDENTITY.version);
        assert.equal(h.originator, IDENTITY.originator);
        assert.equal(h.session_id, IDENTITY.sessionId);
        if (stream) assert.equal(h.accept, 'text/event-stream');
        else assert.doesNotMatch(h.accept ?? '', /event-stream/);
      });
    }

    it('optional tool fields are sent only when set', async () => {
      const u = url('ok');
      await generate(u, {
        stream: true,
        tool: { outputFormat: 'webp', size: '1536x1024', quality: 'high', background: 'opaque', outputCompression: 80, partialImages: 2, moderation: 'low' },
      });
      const json = gw.requestsFor(u)[0]!.json as { tools: Record<string, unknown>[] };
      assert.deepEqual(json.tools, [
        {
          type: 'image_generation',
          output_format: 'webp',
          size: '1536x1024',
          quality: 'high',
          background: 'opaque',
          output_compression: 80,
          partial_images: 2,
          moderation: 'low',
        },
      ]);
    });

    it('an edit sends one user message with input_text and an input_image data URL, and action "edit"', async () => {
      const u = url('ok');
      expectImage(await generate(u, { request: { inputImages: [{ mime: 'image/png', bytes: tinyPng }] } }), tinyPng);
      const json = gw.requestsFor(u)[0]!.json as Record<string, unknown>;
      assert.deepEqual(json.input, [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: PROMPT },
            { type: 'input_image', image_url: `data:image/png;base64,${tinyPng.toString('base64')}` },
          ],
        },
      ]);
      assert.deepEqual(json.tools, [{ type: 'image_generation', action: 'edit', output_format: 'png' }]);
    });

    it('base URL forms host, host/, host/v1, host/v1/ and …/v1/responses all reach <base>/v1/responses', async () => {
      for (const suffix of ['', '/', '/v1', '/v1/', '/v1/responses']) {
        const u = url('ok');
        expectImage(await generate(`${u}${suffix}`), tinyPng);
        assert.equal(gw.requestsFor(u)[0]!.path, `${new URL(u).pathname}/v1/responses`, `suffix "${suffix}"`);
      }
    });

    it('the key the gateway expects is accepted; a wrong key is an auth error that does not show the key', async () => {
      const keyed = await startTestGateway({ expectedKey: KEY });
      try {
        expectImage(await generate(keyed.baseUrl), tinyPng);
        const wrong = await generate(keyed.baseUrl, { settings: { apiKey: 'sk-wrong-key-5678' } });
        const error = expectError(wrong, 'auth');
        assert.equal(error.status, 401);
        assert.match(error.message, /Invalid API key/);
        assert.ok(!error.message.includes('sk-wrong-key-5678'));
      } finally {
        await keyed.close();
      }
    });
  });

  describe('proxies', () => {
    it('settings.proxy.proxyUrl: the request goes through the proxy (absolute-form request line)', async () => {
      // The gateway doubles as a plain-HTTP forward proxy; the target host does not even resolve.
      const id = gw.scenarioUrl('ok');
      const target = `http://image-gateway.invalid:8317${new URL(id).pathname}`;
      const run = await generate(target, { settings: { proxy: { proxyUrl: gw.baseUrl } } });
      expectImage(run, tinyPng);
      const [request] = gw.requestsFor(id);
      assert.equal(request!.path, `${target}/v1/responses`);
      assert.equal(request!.headers.authorization, `Bearer ${KEY}`);
    });

    it('settings.proxy.noProxy: a listed host bypasses a dead proxy', async () => {
      const u = url('ok');
      const run = await generate(u, { settings: { proxy: { proxyUrl: 'http://127.0.0.1:9', noProxy: '127.0.0.1' } } });
      expectImage(run, tinyPng);
      assert.equal(gw.requestsFor(u)[0]!.path, `${new URL(u).pathname}/v1/responses`);
    });
  });

  describe('images', () => {
    for (const { stream, label } of modes) {
      describe(label, () => {
        it('ok: the served PNG, its type, revised prompt, size, response id, one attempt', async () => {
          const u = url('ok');
          const image = expectImage(await generate(u, { stream }), tinyPng);
          assert.equal(image.mime, 'image/png');
          assert.equal(image.extension, 'png');
          assert.equal(image.revisedPrompt, revisedPromptFor(PROMPT));
          assert.equal(image.size, '8x8');
          assert.match(image.responseId ?? '', /^resp_/);
          assert.equal(image.attempts, 1);
          assert.equal(attemptsAt(u), 1);
        });

        it('ok with a large incompressible 1536×1024 PNG', async () => {
          const u = url('ok', { width: 1536, height: 1024, noise: 1 });
          const image = expectImage(await generate(u, { stream }), gw.imageFor(u));
          assert.deepEqual(checkPng(image.bytes), { width: 1536, height: 1024 });
        });

        for (const name of ['generating-status', 'completed-empty-output', 'keepalive', 'crlf', 'blank-lines-before-body'] as const) {
          it(`${name}: the image is found`, async () => {
            const u = url(name);
            const image = expectImage(await generate(u, { stream }), tinyPng);
            assert.equal(image.attempts, 1);
            assert.equal(attemptsAt(u), 1);
          });
        }

        it('split-chunks: tiny pieces, multi-byte characters cut in two, still the exact image and text', async () => {
          const image = expectImage(await generate(url('split-chunks'), { stream }), tinyPng);
          assert.equal(image.revisedPrompt, revisedPromptFor(PROMPT));
        });

        it('webp-instead / jpeg-instead: the real type wins over the asked png', async () => {
          const webp = expectImage(await generate(url('webp-instead'), { stream }), tinyWebp);
          assert.deepEqual([webp.mime, webp.extension], ['image/webp', 'webp']);
          const jpeg = expectImage(await generate(url('jpeg-instead'), { stream }), tinyJpeg);
          assert.deepEqual([jpeg.mime, jpeg.extension], ['image/jpeg', 'jpg']);
        });

        it('huge: a body over maxResponseBytes is refused as too_large and not read to the end', async () => {
          // 48 MiB: far more than loopback socket buffers hold, so the gateway can only finish if the client reads on.
          const u = url('huge', { bytes: 48 * 1024 * 1024 });
          const run = await generate(u, { stream, settings: { maxResponseBytes: 1024 * 1024 } });
          const error = expectError(run, 'too_large');
          assert.match(error.message, /1 MiB/);
          assert.equal((await gw.waitForOutcome(u)).finished, false, 'the client closed the connection early');
          assert.equal(attemptsAt(u), 1);
        });

        it('huge: a 3 MiB streamed image under the cap is decoded whole', async () => {
          const run = await generate(url('huge', { bytes: 3 * 1024 * 1024 }), { stream, settings: { maxResponseBytes: 8 * 1024 * 1024 } });
          assert.equal(run.error, undefined, run.error?.message);
          assert.equal(checkPng(run.image!.bytes).width, 1024);
        });
      });
    }

    it('size cap (stream): the stream may be longer than maxResponseBytes (the image comes twice); one image may not', async () => {
      const params = { width: 1024, height: 1024, noise: 1 }; // 3 MiB PNG, 4 MiB of base64, sent twice
      const u = url('ok', params);
      const fits = await generate(u, { stream: true, settings: { maxResponseBytes: 6 * 1024 * 1024 } });
      expectImage(fits, gw.imageFor(u));
      const tooBig = await generate(url('ok', params), { stream: true, settings: { maxResponseBytes: 3 * 1024 * 1024 } });
      assert.match(expectError(tooBig, 'too_large').message, /An image in the gateway's answer is larger than the 3 MiB limit/);
    });

    it('partial-images: one event per partial, in order, each the served PNG, all before the final image', async () => {
      const u = url('partial-images');
      const run = await generate(u, { stream: true, tool: { partialImages: 2 } });
      expectImage(run, tinyPng);
      const partials = run.events.filter((e): e is Extract<ProgressEvent, { type: 'partialImage' }> => e.type === 'partialImage');
      assert.deepEqual(
        partials.map((p) => p.index),
        [0, 1],
      );
      partials.forEach((p, i) => {
        assert.deepEqual(Buffer.from(p.bytes), partialImageFor(i));
        assert.equal(p.mime, 'image/png');
      });
      assert.deepEqual(run.order, ['partial:0', 'partial:1', 'final']);
      assert.equal((gw.requestsFor(u)[0]!.json as { tools: { partial_images?: number }[] }).tools[0]!.partial_images, 2);
    });

    it('partial-images: previews the gateway sends unasked are reported too (3 from params)', async () => {
      const run = await generate(url('partial-images', { partial: 3 }), { stream: true });
      expectImage(run, tinyPng);
      assert.deepEqual(run.order, ['partial:0', 'partial:1', 'partial:2', 'final']);
    });

    it('queued (stream): the queued phase is reported before generating', async () => {
      const run = await generate(url('queued'), { stream: true });
      expectImage(run, tinyPng);
      const phases = run.events.filter((e) => e.type === 'phase').map((e) => (e as { phase: string }).phase);
      assert.ok(phases.includes('queued'), phases.join(','));
      assert.ok(phases.indexOf('queued') < phases.lastIndexOf('generating'), phases.join(','));
    });

    it('data-only (stream): events without event: lines and a final [DONE] still give the image and the preview', async () => {
      const run = await generate(url('data-only'), { stream: true });
      expectImage(run, tinyPng);
      assert.deepEqual(run.order, ['partial:0', 'final']);
    });

    it('stream phases are reported: connecting, then generating, before the image', async () => {
      const run = await generate(url('ok'), { stream: true });
      const phases = run.events.filter((e) => e.type === 'phase').map((e) => (e as { phase: string }).phase);
      assert.equal(phases[0], 'connecting');
      assert.ok(phases.includes('generating'), phases.join(','));
    });
  });

  describe('rate limits that state a short delay are waited out (fake clock)', () => {
    const cases: { name: ScenarioName; delayMs: number; modes: readonly boolean[] }[] = [
      { name: 'rate-limit-retry-after-ms', delayMs: 250, modes: [false, true] },
      { name: 'rate-limit-retry-after', delayMs: 1000, modes: [false, true] },
      { name: 'rate-limit-reset-seconds', delayMs: 1000, modes: [false, true] },
      { name: 'rate-limit-text', delayMs: 1200, modes: [false, true] },
      { name: 'rate-limit-in-stream', delayMs: 500, modes: [false, true] },
      { name: 'error-event-rate-limit', delayMs: 500, modes: [false, true] },
    ];
    for (const { name, delayMs, modes: which } of cases) {
      for (const stream of which) {
        it(`${name} (${stream ? 'stream' : 'non-stream'}): waits ${delayMs} ms (+ margin), then gets the image`, async () => {
          const u = url(name);
          const run = await generate(u, { stream });
          const image = expectImage(run, tinyPng);
          assert.equal(image.attempts, 2);
          assert.equal(attemptsAt(u), 2);
          const [retry, ...more] = retries(run);
          assert.equal(more.length, 0);
          assert.equal(retry!.reason, 'rate_limited');
          assert.equal(retry!.attempt, 2);
          assert.equal(retry!.delayMs, delayMs + STATED_DELAY_MARGIN_MS);
          assert.deepEqual(run.clock.sleeps, [delayMs + STATED_DELAY_MARGIN_MS]);
          assert.ok(!retry!.message.includes(KEY));
        });
      }
    }

    it('a stream error body without reset_seconds (older CPA sanitizing) is still retried with backoff', async () => {
      const u = url('rate-limit-reset-seconds', { sanitized: 1 });
      const run = await generate(u, { stream: true });
      expectImage(run, tinyPng);
      assert.equal(attemptsAt(u), 2);
      assert.equal(run.clock.sleeps.length, 1);
      assert.ok(run.clock.sleeps[0]! > 0 && run.clock.sleeps[0]! <= 30_000);
    });

    it('gives up after rateLimitRetries and reports rate_limited', async () => {
      const u = url('rate-limit-retry-after-ms', { times: 10, ms: 100 });
      const run = await generate(u, { settings: { retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 2, rateLimitRetries: 3 } } });
      const error = expectError(run, 'rate_limited');
      assert.equal(error.status, 429);
      assert.equal(attemptsAt(u), 4);
      assert.equal(run.clock.sleeps.length, 3);
    });

    it('a stated delay over the ceiling fails at once with the delay', async () => {
      const u = url('rate-limit-retry-after', { seconds: 60 });
      const run = await generate(u, { settings: { retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 2, rateLimitRetries: 3 } } });
      const error = expectError(run, 'rate_limited');
      assert.equal(error.details.retryAfterMs, 60_000);
      assert.equal(attemptsAt(u), 1);
      assert.deepEqual(run.clock.sleeps, []);
    });

    it('a wait is cancellable: aborting during the retry sleep stops at once, no second attempt', async () => {
      const u = url('rate-limit-retry-after', { seconds: 5 });
      const controller = new AbortController();
      const clock = new FakeClock();
      clock.onSleep = () => controller.abort();
      const run = await generate(u, { clock, signal: controller.signal });
      expectError(run, 'cancelled');
      assert.equal(attemptsAt(u), 1);
    });
  });

  describe('long limits fail at once with when they reset', () => {
    for (const { stream, label } of modes) {
      it(`usage-limit (${label}): usage_limit with resetsAt, no retry`, async () => {
        const u = url('usage-limit');
        const before = Date.now();
        const run = await generate(u, { stream });
        const error = expectError(run, 'usage_limit');
        assert.equal(error.status, 429);
        const expected = (Math.floor(before / 1000) + 529498) * 1000;
        assert.ok(Math.abs((error.details.resetsAt ?? 0) - expected) <= 2000, `resetsAt ${error.details.resetsAt}`);
        assert.ok(error.message.includes(new Date(error.details.resetsAt!).toISOString()), error.message);
        assert.ok(error.message.includes(USAGE_LIMIT_MESSAGE));
        assert.equal(attemptsAt(u), 1);
        assert.deepEqual(run.clock.sleeps, []);
      });

      it(`model-cooldown-long (${label}): rate_limited with the 1 h delay, no retry`, async () => {
        const u = url('model-cooldown-long');
        const run = await generate(u, { stream });
        const error = expectError(run, 'rate_limited');
        assert.equal(error.details.retryAfterMs, 3_600_000);
        assert.match(error.message, /60 min|1 h/);
        assert.equal(attemptsAt(u), 1);
        assert.deepEqual(run.clock.sleeps, []);
      });

      it(`error-event-flat (${label}): insufficient_quota is a usage limit, not retried`, async () => {
        const u = url('error-event-flat');
        const error = expectError(await generate(u, { stream }), 'usage_limit');
        assert.ok(error.message.includes('You exceeded your current quota'));
        assert.equal(attemptsAt(u), 1);
      });

      it(`error-event-nested (${label}): the nested error event is read`, async () => {
        const u = url('error-event-nested');
        const error = expectError(await generate(u, { stream }), 'usage_limit');
        assert.equal(error.details.gatewayMessage, INSUFFICIENT_QUOTA_MESSAGE.slice(0, error.details.gatewayMessage?.length));
        assert.equal(attemptsAt(u), 1);
      });
    }
  });

  describe('text instead of an image', () => {
    for (const { stream, label } of modes) {
      it(`tools-empty-once (${label}): retried as a text fallback, then the image`, async () => {
        const u = url('tools-empty-once');
        const run = await generate(u, { stream });
        const image = expectImage(run, tinyPng);
        assert.equal(image.attempts, 2);
        assert.equal(attemptsAt(u), 2);
        assert.deepEqual(
          retries(run).map((r) => r.reason),
          ['text_fallback'],
        );
      });

      it(`tools-empty-always (${label}): no_image after textFallbackRetries, showing the model's words`, async () => {
        const u = url('tools-empty-always');
        const run = await generate(u, { stream });
        const error = expectError(run, 'no_image');
        assert.equal(attemptsAt(u), 3);
        assert.equal(error.details.modelText, TEXT_FALLBACK_REPLY);
        assert.ok(error.message.includes(TEXT_FALLBACK_REPLY.slice(0, 60)), error.message);
      });
    }
  });

  describe('transient failures are retried with backoff (fake clock)', () => {
    for (const { stream, label } of modes) {
      it(`server-error-once (${label}): 503, then the image`, async () => {
        const u = url('server-error-once');
        const run = await generate(u, { stream });
        expectImage(run, tinyPng);
        assert.equal(attemptsAt(u), 2);
        const [retry] = retries(run);
        assert.equal(retry!.reason, 'server_error');
        assert.ok(retry!.delayMs > 0);
        assert.deepEqual(run.clock.sleeps, [retry!.delayMs]);
      });

      it(`server-error-once with Retry-After (${label}): the stated wait is used instead of backoff`, async () => {
        const u = url('server-error-once', { retryAfter: 2 });
        const run = await generate(u, { stream });
        expectImage(run, tinyPng);
        assert.deepEqual(run.clock.sleeps, [2000 + STATED_DELAY_MARGIN_MS]);
      });

      it(`timeout-408 (${label}): 408 once, then the image`, async () => {
        const u = url('timeout-408');
        expectImage(await generate(u, { stream }), tinyPng);
        assert.equal(attemptsAt(u), 2);
      });

      it(`server-error-always (${label}): server after 1 + transientRetries attempts, growing waits`, async () => {
        const u = url('server-error-always');
        const run = await generate(u, { stream });
        const error = expectError(run, 'server');
        assert.equal(error.status, 500);
        assert.equal(attemptsAt(u), 3);
        assert.equal(run.clock.sleeps.length, 2);
        assert.ok(run.clock.sleeps[1]! > run.clock.sleeps[0]!, `exponential: ${run.clock.sleeps.join(', ')}`);
      });

      it(`html-502 (${label}): an HTML page from a proxy is named as such, without the markup`, async () => {
        const u = url('html-502');
        const error = expectError(await generate(u, { stream }), 'server');
        assert.equal(error.status, 502);
        assert.match(error.message, /HTML/);
        assert.match(error.message, /502 Bad Gateway/);
        assert.doesNotMatch(error.message, /<center>|<html>/);
        assert.equal(attemptsAt(u), 3);
      });

      it(`keepalive-200-error (${label}): an error JSON under 200 after blank lines is an error with the gateway's words`, async () => {
        const u = url('keepalive-200-error');
        const error = expectError(await generate(u, { stream }), 'server');
        assert.ok(error.message.includes(KEEPALIVE_200_ERROR_MESSAGE), error.message);
        assert.equal(attemptsAt(u), 3);
      });

      it(`reset-mid-body (${label}): a connection cut mid-body is a network error, retried`, async () => {
        const u = url('reset-mid-body');
        expectError(await generate(u, { stream }), 'network');
        assert.equal(attemptsAt(u), 3);
      });

      it(`truncated-json (${label}): a body cut in the middle is a protocol error, retried`, async () => {
        const u = url('truncated-json');
        expectError(await generate(u, { stream }), 'protocol');
        assert.equal(attemptsAt(u), 3);
      });

      it(`response-failed (${label}): a failed response is a server error with the gateway's words, retried`, async () => {
        const u = url('response-failed');
        const error = expectError(await generate(u, { stream }), 'server');
        assert.ok(error.message.includes(SERVER_ERROR_MESSAGE.slice(0, 80)), error.message);
        assert.equal(attemptsAt(u), 3);
      });
    }

    it('stream-cut-once (stream): a stream that ends without a terminal event is retried', async () => {
      const u = url('stream-cut-once');
      const run = await generate(u, { stream: true });
      expectImage(run, tinyPng);
      assert.equal(attemptsAt(u), 2);
      assert.equal(retries(run)[0]!.reason, 'connection');
    });

    it('stream-cut (stream): protocol error naming the early end, after the retries', async () => {
      const u = url('stream-cut');
      const error = expectError(await generate(u, { stream: true }), 'protocol');
      assert.match(error.message, /ended before/);
      assert.equal(attemptsAt(u), 3);
    });

    it('stream-cut (non-stream): CPA turns the cut into a 408, retried, then a server error', async () => {
      const u = url('stream-cut');
      const error = expectError(await generate(u), 'server');
      assert.equal(error.status, 408);
      assert.equal(attemptsAt(u), 3);
    });

    it('connection refused is a network error, retried once (REFUSED_RETRIES: a gateway restarting), not as a dropped connection', async () => {
      const closed = await startTestGateway();
      const base = closed.baseUrl;
      await closed.close();
      const run = await generate(base);
      const error = expectError(run, 'network');
      assert.match(error.message, /refused/);
      assert.equal(run.clock.sleeps.length, REFUSED_RETRIES);
    });
  });

  describe('failures that are never retried', () => {
    for (const { stream, label } of modes) {
      it(`auth-string-error (${label}): auth, names the next step and the gateway's words`, async () => {
        const u = url('auth-string-error');
        const error = expectError(await generate(u, { stream }), 'auth');
        assert.equal(error.status, 401);
        assert.match(error.message, /Set API Key/);
        assert.match(error.message, /Invalid API key/);
        assert.equal(attemptsAt(u), 1);
      });

      it(`auth-key-echo (${label}): the key the gateway quotes back is redacted everywhere`, async () => {
        const u = url('auth-key-echo');
        const error = expectError(await generate(u, { stream }), 'auth');
        assert.match(error.message, /Incorrect API key provided/);
        assert.equal(attemptsAt(u), 1);
      });

      it(`forbidden (${label}): forbidden with the gateway's words`, async () => {
        const u = url('forbidden');
        const error = expectError(await generate(u, { stream }), 'forbidden');
        assert.equal(error.status, 403);
        assert.ok(error.message.includes(FORBIDDEN_MESSAGE));
        assert.equal(attemptsAt(u), 1);
      });

      it(`not-found (${label}): not_found, "no such route or model"`, async () => {
        const u = url('not-found');
        const error = expectError(await generate(u, { stream }), 'not_found');
        assert.match(error.message, /no such route or model/);
        assert.equal(attemptsAt(u), 1);
      });

      it(`bad-request (${label}): bad_request with the gateway's words`, async () => {
        const u = url('bad-request');
        const error = expectError(await generate(u, { stream }), 'bad_request');
        assert.ok(error.message.includes(TOOL_CHOICE_MESSAGE));
        assert.equal(attemptsAt(u), 1);
      });

      it(`content-policy (${label}): content_policy with the gateway's words`, async () => {
        const u = url('content-policy');
        const error = expectError(await generate(u, { stream }), 'content_policy');
        assert.match(error.message, /refused by the content policy/);
        assert.ok(error.message.includes(CONTENT_POLICY_MESSAGE.slice(0, 100)), error.message);
        assert.equal(attemptsAt(u), 1);
      });

      it(`not-image (${label}): not_image quoting the start of what came back`, async () => {
        const u = url('not-image');
        const error = expectError(await generate(u, { stream }), 'not_image');
        assert.match(error.message, /<!DOCTYPE html>/);
        assert.equal(attemptsAt(u), 1);
      });

      it(`redirect (${label}): not followed, the key never reaches the other origin`, async () => {
        const u = url('redirect');
        const before = gw.redirectedRequests.length;
        const error = expectError(await generate(u, { stream }), 'config');
        assert.equal(error.status, 307);
        assert.match(error.message, /redirect/i);
        assert.equal(gw.redirectedRequests.length, before);
        assert.equal(attemptsAt(u), 1);
      });
    }

    for (const { stream, label } of modes) {
      it(`response-incomplete (${label}): no_image that says the response stopped early, with the model's text`, async () => {
        const u = url('response-incomplete');
        const error = expectError(await generate(u, { stream }), 'no_image');
        assert.match(error.message, /stopped early \(max_output_tokens\)/);
        assert.ok(error.details.modelText?.includes(INCOMPLETE_TEXT), error.details.modelText);
        assert.equal(attemptsAt(u), 1);
      });
    }

    it('content-policy under a 502 (what CPA derives from a typeless upstream error) is still content_policy', async () => {
      const u = url('content-policy', { status: 502 });
      expectError(await generate(u), 'content_policy');
      assert.equal(attemptsAt(u), 1);
    });
  });

  describe('cancellation and timeouts', () => {
    for (const { stream, label } of modes) {
      it(`hang (${label}): aborting once the gateway has the request cancels at once and closes the connection`, BOUNDED, async () => {
        const u = url('hang');
        const controller = new AbortController();
        const pending = generate(u, { stream, signal: controller.signal });
        await gw.waitForRequest(u);
        const abortedAt = Date.now();
        controller.abort();
        const run = await pending;
        assert.ok(Date.now() - abortedAt < 1000, `settled ${Date.now() - abortedAt} ms after the abort`);
        expectError(run, 'cancelled');
        assert.equal((await gw.waitForOutcome(u)).finished, false);
        assert.equal(attemptsAt(u), 1);
      });

      it(`hang (${label}): times out after timeoutMs with a message that says how long`, BOUNDED, async () => {
        const u = url('hang');
        const started = Date.now();
        const run = await generate(u, { stream, settings: { timeoutMs: 300 } });
        const error = expectError(run, 'timeout');
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 290 && elapsed < 5000, `took ${elapsed} ms`);
        assert.equal(error.details.timeoutMs, 300);
        assert.match(error.message, /300 ms/);
        assert.equal(attemptsAt(u), 1);
      });

      it(`hang-after-headers (${label}): a body that stops also times out`, BOUNDED, async () => {
        const u = url('hang-after-headers');
        const error = expectError(await generate(u, { stream, settings: { timeoutMs: 300 } }), 'timeout');
        assert.equal(error.details.timeoutMs, 300);
      });
    }

    it('slow (stream): aborting after the first partial image stops the stream', BOUNDED, async () => {
      const u = url('slow', { delayMs: 200 });
      const controller = new AbortController();
      const started = Date.now();
      const run = await generate(u, {
        stream: true,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'partialImage') controller.abort();
        },
      });
      expectError(run, 'cancelled');
      assert.deepEqual(run.order, ['partial:0']);
      assert.equal((await gw.waitForOutcome(u)).finished, false);
      assert.ok(Date.now() - started < 200 * 16, 'did not wait for the whole stream');
    });

    it('an already aborted signal sends nothing', async () => {
      const u = url('ok');
      const controller = new AbortController();
      controller.abort();
      expectError(await generate(u, { signal: controller.signal }), 'cancelled');
      assert.equal(attemptsAt(u), 0);
    });
  });

  describe('checkConnection', () => {
    async function check(u: string, overrides: Partial<GatewaySettings> = {}) {
      const client = new ImageClient({ clock: new FakeClock(), logger: capturingLogger });
      try {
        return { result: await client.checkConnection(settingsFor(u, overrides)) };
      } catch (err) {
        assert.ok(err instanceof GatewayError);
        return { error: err };
      } finally {
        await (client as { close?: () => Promise<void> }).close?.();
      }
    }

    it('GET <base>/v1/models with the bearer key lists the models', async () => {
      const u = url('ok');
      const { result } = await check(`${u}/v1`);
      assert.deepEqual(result, { status: 200, models: MODELS });
      const [request] = gw.requestsFor(u);
      assert.equal(request!.method, 'GET');
      assert.equal(request!.path, `${new URL(u).pathname}/v1/models`);
      assert.equal(request!.headers.authorization, `Bearer ${KEY}`);
    });

    it('a rejected key is an auth error; a missing route is not_found; a hang times out', async () => {
      assert.equal((await check(url('auth-string-error'))).error?.kind, 'auth');
      assert.equal((await check(url('not-found'))).error?.kind, 'not_found');
      const hang = await check(url('hang'), { timeoutMs: 300 });
      assert.equal(hang.error?.kind, 'timeout');
    });
  });
});
