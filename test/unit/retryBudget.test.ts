/**
 * Issue 9, item 9: one budget for all retries. The pure policy (retry.ts), then the client with an in-memory
 * transport and a fake clock (no real waiting): a gateway that alternates 429, 503 and text-only answers gets
 * `maxAttempts` requests, not the sum of the per-kind counts; the deadline cuts the last attempt and stops the
 * next; the final message says how many attempts were made. Invalid `Retry-After` values state no delay, and the
 * partial-image index shown never exceeds what was asked for.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ImageClient } from '../../src/core/gateway/client';
import { GatewayError, cancelledError } from '../../src/core/errors';
import type { HttpRequest } from '../../src/core/gateway/request';
import { readHttpError } from '../../src/core/gateway/responseReader';
import { finalError, overallBudget, parseRetryDelayMs, withinOverallBudget, type RetryDecision } from '../../src/core/gateway/retry';
import type { HttpResponse, HttpTransport } from '../../src/core/gateway/transport';
import type { Clock, GatewaySettings, Logger, ProgressEvent } from '../../src/core/types';

const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';
const NOW = Date.parse('2026-05-01T12:00:00Z');

function settings(overrides: Partial<GatewaySettings> = {}, retry: Partial<GatewaySettings['retry']> = {}): GatewaySettings {
  return {
    baseUrl: 'http://gateway.test:8317',
    apiKey: 'sk-test-key-budget-1234',
    model: 'gpt-5.4',
    instructions: 'you are a helpful assistant',
    identity: { userAgent: 'codex-tui/0.122.0', version: '0.122.0', originator: 'codex_cli_rs', sessionId: 'test-session' },
    stream: false,
    tool: { outputFormat: 'png' },
    timeoutMs: 600_000,
    maxResponseBytes: 64 * 1024 * 1024,
    // The defaults of toGatewaySettings: 1 + 3 + 3 + 2 = 9 requests if each kind only counted itself.
    retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 3, rateLimitRetries: 3, ...retry },
    ...overrides,
  };
}

class FakeClock implements Clock {
  time = 1_000_000;
  sleeps: number[] = [];
  now(): number {
    return this.time;
  }
  random(): number {
    return 0.5;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw cancelledError();
    this.sleeps.push(ms);
    this.time += ms;
  }
}

async function* bodyOf(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: bodyOf(JSON.stringify(body)) };
}

const TEXT_ONLY = {
  id: 'resp_text',
  status: 'completed',
  output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: "I can't generate images here." }] }],
  tools: [],
};

/** The `retry-mix-forever` scenario of the test gateway, in memory: 429, 503, text-only, in turn, forever. */
class MixForever implements HttpTransport {
  requests: { request: HttpRequest; timeoutMs: number }[] = [];
  constructor(private readonly stated: string = '50') {}
  async send(request: HttpRequest, options: { timeoutMs: number }): Promise<HttpResponse> {
    this.requests.push({ request, timeoutMs: options.timeoutMs });
    switch ((this.requests.length - 1) % 3) {
      case 0:
        return json(429, { error: { code: 'rate_limit_exceeded', message: 'Too Many Requests' } }, { 'retry-after-ms': this.stated });
      case 1:
        return json(503, { error: { message: 'The server is overloaded or not ready yet.', type: 'server_error' } }, { 'retry-after-ms': this.stated });
      default:
        return json(200, TEXT_ONLY);
    }
  }
}

class Lines implements Logger {
  lines: string[] = [];
  trace = (m: string) => void this.lines.push(m);
  debug = (m: string) => void this.lines.push(m);
  info = (m: string) => void this.lines.push(m);
  warn = (m: string) => void this.lines.push(m);
  error = (m: string) => void this.lines.push(m);
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    return err;
  }
  assert.fail('expected a failure');
}

describe('overall budget: the pure policy', () => {
  const retry: RetryDecision = { retry: true, delayMs: 1000, reason: 'rate_limited', budget: 'rateLimitRetries' };
  const budget = { maxAttempts: 5, totalTimeoutMs: 60_000 };

  it('lets a retry through while attempts and time remain', () => {
    assert.deepEqual(withinOverallBudget(retry, 4, 58_999 - 1000, budget), retry);
  });
  it('stops at the attempt cap, whatever the kind', () => {
    const d = withinOverallBudget(retry, 5, 0, budget);
    assert.equal(d.retry, false);
    assert.equal(!d.retry && d.stoppedBy, 'maxAttempts');
    assert.match(!d.retry ? d.why : '', /limit of 5 attempts for one generation.*maxAttempts/);
  });
  it('stops when the wait would reach the deadline', () => {
    const d = withinOverallBudget(retry, 1, 59_000, budget);
    assert.equal(!d.retry && d.stoppedBy, 'totalTimeout');
  });
  it('keeps a refusal as it is', () => {
    const no: RetryDecision = { retry: false, why: 'auth errors are never retried' };
    assert.equal(withinOverallBudget(no, 9, 1e9, budget), no);
  });
  it('defaults: 5 attempts and 900 s when a caller gives none', () => {
    assert.deepEqual(overallBudget(settings().retry), { maxAttempts: 5, totalTimeoutMs: 900_000 });
    assert.deepEqual(overallBudget(settings({}, { maxAttempts: 2, totalTimeoutMs: 10 }).retry), { maxAttempts: 2, totalTimeoutMs: 10 });
  });
  it('finalError: a single attempt that was not stopped by a limit keeps its message; otherwise the count comes first', () => {
    const error = new GatewayError('server', 'The gateway failed (503).', { status: 503, retryable: true });
    assert.equal(finalError(error, 1), error);
    const after = finalError(error, 3);
    assert.equal(after.message, 'Stopped after 3 attempts: The gateway failed (503).');
    assert.deepEqual({ ...after.details }, { status: 503, retryable: true, attempts: 3 });
    assert.equal(finalError(error, 1, 'maxAttempts').message, 'Stopped after 1 attempt: The gateway failed (503). No more attempts: 1 is the limit for one generation (maxAttempts).');
    const cancelled = cancelledError();
    assert.equal(finalError(cancelled, 4), cancelled, 'a cancellation is not a failure to count');
  });
});

describe('overall budget: the client against a gateway that alternates 429, 503 and text forever', () => {
  it('stops after 5 requests by default (not 1 + 3 + 3 + 2 = 9), saying so', async () => {
    const transport = new MixForever();
    const clock = new FakeClock();
    const log = new Lines();
    const error = await failure(new ImageClient({ transport, clock, logger: log }).generate(settings(), { prompt: 'x' }));
    assert.equal(transport.requests.length, 5);
    assert.equal(clock.sleeps.length, 4);
    assert.equal(error.kind, 'server', 'the fifth answer was the 503');
    assert.match(error.message, /^Stopped after 5 attempts: The gateway failed .*No more attempts: 5 is the limit for one generation \(maxAttempts\)\.$/);
    assert.equal(error.details.attempts, 5);
    assert.equal(error.details.stoppedBy, 'maxAttempts');
    assert.ok(log.lines.some((l) => /Attempt 5 failed \(server\); not retrying: the limit of 5 attempts/.test(l)), log.lines.join('\n'));
  });

  for (const cap of [1, 2, 3, 20]) {
    it(`maxAttempts ${cap}: ${Math.min(cap, 9)} request(s)`, async () => {
      const transport = new MixForever();
      const error = await failure(new ImageClient({ transport, clock: new FakeClock() }).generate(settings({}, { maxAttempts: cap }), { prompt: 'x' }));
      // With 20 the per-kind counts end it first: after the third text-only answer (1 + 3 + 3 + 2 = 9).
      const expected = Math.min(cap, 9);
      assert.equal(transport.requests.length, expected);
      assert.match(error.message, new RegExp(`^Stopped after ${expected} attempts?: `));
      assert.equal(error.details.attempts, expected);
      assert.equal(error.details.stoppedBy, cap <= 9 ? 'maxAttempts' : undefined);
    });
  }

  it('the deadline: no retry starts once the wait would reach it, and the message says why', async () => {
    // 429 and 503 ask for 4 s each (+0.1 s margin); 8 s in all: attempt 1 at 0, 2 at 4.1 s, 3 at 8.2 s would pass.
    const transport = new MixForever('4000');
    const clock = new FakeClock();
    const error = await failure(new ImageClient({ transport, clock }).generate(settings({}, { totalTimeoutMs: 8_000 }), { prompt: 'x' }));
    assert.equal(transport.requests.length, 2);
    assert.deepEqual(clock.sleeps, [4100]);
    assert.equal(error.details.stoppedBy, 'totalTimeout');
    assert.match(error.message, /^Stopped after 2 attempts: .*No more attempts: another one would end after the overall time limit for one generation \(totalTimeoutSeconds\)\.$/);
  });

  it('the deadline cuts the timeout of each attempt to the time left', async () => {
    const transport = new MixForever('1000');
    const clock = new FakeClock();
    await failure(new ImageClient({ transport, clock }).generate(settings({ timeoutMs: 5_000 }, { totalTimeoutMs: 7_000 }), { prompt: 'x' }));
    // 7 s in all: 5 s (its own timeout); after 1.1 s (429), 5.9 → 5 s; after 2.2 s (503), 4.8 s; after 2.7 s (text), 4.3 s.
    assert.deepEqual(transport.requests.slice(0, 4).map((r) => r.timeoutMs), [5_000, 5_000, 4_800, 4_300]);
  });

  it('an attempt that the deadline cut short is a timeout of the whole generation, not "raise timeoutSeconds"', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const transport: HttpTransport = {
      async send(_request, options) {
        calls += 1;
        if (calls === 1) return json(429, { error: { message: 'slow down' } }, { 'retry-after-ms': '500' });
        clock.time += options.timeoutMs;
        throw new GatewayError('timeout', `The gateway did not answer within ${options.timeoutMs} ms. Raise the timeout (timeoutSeconds).`, { timeoutMs: options.timeoutMs });
      },
    };
    const error = await failure(new ImageClient({ transport, clock }).generate(settings({ timeoutMs: 600_000 }, { totalTimeoutMs: 60_000 }), { prompt: 'x' }));
    assert.equal(calls, 2);
    assert.equal(error.kind, 'timeout');
    assert.equal(error.details.stoppedBy, 'totalTimeout');
    assert.equal(error.details.timeoutMs, 60_000);
    assert.match(error.message, /^Stopped after 2 attempts: The image was not finished within the overall limit of 1 minute for one generation: raise totalTimeoutSeconds/);
    assert.doesNotMatch(error.message, /timeoutSeconds\)/);
  });

  it('one attempt that fails for good keeps its own message (no count)', async () => {
    const transport: HttpTransport = { send: async () => json(401, { error: { message: 'Invalid API key' } }) };
    const error = await failure(new ImageClient({ transport, clock: new FakeClock() }).generate(settings(), { prompt: 'x' }));
    assert.doesNotMatch(error.message, /Stopped after/);
    assert.equal(error.details.attempts, undefined);
  });
});

describe('Retry-After: -5 and other invalid values state no delay (no "wait 0 ms")', () => {
  for (const value of ['-5', '+5', '-1.5', '12/31', '2026-05-01', ' 7 x', 'Infinity', '1e3', 'NaN', 'soon']) {
    it(`Retry-After: ${JSON.stringify(value)} → none`, () => {
      assert.equal(parseRetryDelayMs({ 'retry-after': value }, undefined, undefined, NOW), undefined);
    });
  }
  for (const [value, expected] of [
    ['Fri, 01 May 2026 12:00:30 GMT', 30_000],
    ['Friday, 01-May-26 12:00:30 GMT', 30_000],
    ['Fri May  1 12:00:30 2026', undefined],
    ['30', 30_000],
  ] as const) {
    it(`Retry-After: ${JSON.stringify(value)} is still read`, () => {
      const ms = parseRetryDelayMs({ 'retry-after': value }, undefined, undefined, NOW);
      // asctime has no zone; it is read as local time, so only its presence is checked.
      if (expected === undefined) assert.ok(ms !== undefined);
      else assert.equal(ms, expected);
    });
  }

  it('a 429 with Retry-After: -5: no stated delay, no "wait" in the message, and the retry backs off instead of waiting 0 ms', async () => {
    const error = readHttpError(429, { 'retry-after': '-5' }, '{"error":{"message":"slow down"}}', NOW);
    assert.equal(error.details.retryAfterMs, undefined);
    assert.doesNotMatch(error.message, /wait/);
    const events: ProgressEvent[] = [];
    const clock = new FakeClock();
    let calls = 0;
    const transport: HttpTransport = {
      send: async () =>
        (calls += 1) === 1
          ? json(429, { error: { message: 'slow down' } }, { 'retry-after': '-5' })
          : json(200, { output: [{ type: 'image_generation_call', status: 'completed', result: PNG_B64 }], tools: [{ type: 'image_generation' }] }),
    };
    const image = await new ImageClient({ transport, clock }).generate(settings(), { prompt: 'x' }, { onProgress: (e) => events.push(e) });
    assert.equal(image.attempts, 2);
    assert.deepEqual(clock.sleeps, [1000], 'the rate-limit backoff (1 s), not a stated 0 ms + margin');
    const retry = events.find((e) => e.type === 'retry');
    assert.ok(retry && retry.type === 'retry' && retry.delayMs === 1000 && !/wait/.test(retry.message));
  });
});

describe('partial images: the index shown never exceeds what was asked for', () => {
  function sse(events: unknown[]): HttpResponse {
    const text = events.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
    return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: bodyOf(text) };
  }
  const preview = (index: unknown) => ({ type: 'response.image_generation_call.partial_image', partial_image_index: index, partial_image_b64: PNG_B64 });
  const done = { type: 'response.output_item.done', item: { type: 'image_generation_call', status: 'completed', result: PNG_B64 } };

  async function shown(partialImages: number | undefined, indexes: unknown[]): Promise<[number, number | undefined][]> {
    const transport: HttpTransport = { send: async () => sse([...indexes.map(preview), done]) };
    const events: ProgressEvent[] = [];
    const tool = { outputFormat: 'png' as const, ...(partialImages !== undefined ? { partialImages } : {}) };
    await new ImageClient({ transport, clock: new FakeClock() }).generate(settings({ stream: true, tool }), { prompt: 'x' }, { onProgress: (e) => events.push(e) });
    return events.flatMap((e) => (e.type === 'partialImage' ? [[e.index, e.expected] as [number, number | undefined]] : []));
  }

  it('a gateway numbering from 1505, with more previews than the 3 asked: 1/3, 2/3, 3/3 and no more', async () => {
    assert.deepEqual(await shown(3, [1505, 1506, 1507, 1508, 1509]), [
      [0, 3],
      [1, 3],
      [2, 3],
    ]);
  });
  it('indexes within what was asked are kept; negative, fractional and absent ones take the preview\'s rank', async () => {
    assert.deepEqual(await shown(3, [2, -1, 0.5]), [
      [2, 3],
      [1, 3],
      [2, 3],
    ]);
    assert.deepEqual(await shown(2, [0, 1]), [
      [0, 2],
      [1, 2],
    ]);
    assert.deepEqual(await shown(2, [undefined, undefined]), [
      [0, 2],
      [1, 2],
    ]);
  });
  it('none asked for (0): none shown; not set: at most the 3 the API allows', async () => {
    assert.deepEqual(await shown(0, [0, 1]), []);
    assert.deepEqual(await shown(undefined, [1505, 7, 0, 1]), [
      [0, undefined],
      [1, undefined],
      [0, undefined],
    ]);
  });
});
