import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decideRetry,
  initialRetryState,
  nextRetryState,
  parseRetryDelayMs,
  RATE_LIMIT_BACKOFF_CAP_MS,
  STATED_DELAY_MARGIN_MS,
  TEXT_FALLBACK_DELAY_MS,
  type RetryDecision,
  type RetryState,
  decideTransparencyRetry,
} from '../../src/core/gateway/retry';
import { GatewayError, type GatewayErrorDetails, type GatewayErrorKind } from '../../src/core/errors';
import type { RetrySettings } from '../../src/core/types';

const NOW = Date.parse('2026-05-01T12:00:00Z');

describe('parseRetryDelayMs', () => {
  const cases: { name: string; headers?: Record<string, string>; error?: unknown; message?: string; expected: number | undefined }[] = [
    { name: 'nothing stated', expected: undefined },
    { name: 'retry-after-ms as float ms', headers: { 'retry-after-ms': '1234.5' }, expected: 1234.5 },
    { name: 'retry-after-ms wins over retry-after', headers: { 'retry-after-ms': '200', 'retry-after': '10' }, expected: 200 },
    { name: 'header names in any case', headers: { 'Retry-After-Ms': '300' }, expected: 300 },
    { name: 'a bad retry-after-ms falls through to retry-after', headers: { 'retry-after-ms': 'soon', 'retry-after': '2' }, expected: 2000 },
    { name: 'negative retry-after-ms is ignored', headers: { 'retry-after-ms': '-5' }, expected: undefined },
    { name: 'Retry-After seconds', headers: { 'retry-after': '10' }, expected: 10_000 },
    { name: 'Retry-After fractional seconds', headers: { 'retry-after': '1.5' }, expected: 1500 },
    { name: 'Retry-After HTTP date, relative to now', headers: { 'retry-after': 'Fri, 01 May 2026 12:00:30 GMT' }, expected: 30_000 },
    { name: 'Retry-After date in the past → 0', headers: { 'retry-after': 'Fri, 01 May 2026 11:00:00 GMT' }, expected: 0 },
    { name: 'Retry-After garbage is ignored', headers: { 'retry-after': 'later' }, expected: undefined },
    { name: 'headers win over the body', headers: { 'retry-after': '3' }, error: { resets_in_seconds: 100 }, expected: 3000 },
    { name: 'resets_in_seconds', error: { type: 'usage_limit_reached', resets_in_seconds: 529498, resets_at: 1 }, expected: 529_498_000 },
    { name: 'resets_at (unix seconds) relative to now', error: { resets_at: NOW / 1000 + 90 }, expected: 90_000 },
    { name: 'resets_at in the past → 0', error: { resets_at: NOW / 1000 - 90 }, expected: 0 },
    { name: 'reset_seconds (CPA model_cooldown)', error: { code: 'model_cooldown', reset_seconds: 10, reset_time: '10s' }, expected: 10_000 },
    { name: 'reset_seconds as a string', error: { reset_seconds: '7' }, expected: 7000 },
    { name: 'resets_* win over reset_seconds', error: { resets_in_seconds: 5, reset_seconds: 10 }, expected: 5000 },
    { name: 'an envelope {error:{…}} is looked into', error: { error: { reset_seconds: 4 } }, expected: 4000 },
    { name: 'a response.failed event is looked into', error: { type: 'response.failed', response: { error: { resets_in_seconds: 6 } } }, expected: 6000 },
    { name: '"try again in 11.054s"', message: 'Rate limit reached for gpt-5.1. Please try again in 11.054s. Visit …', expected: 11_054 },
    { name: '"try again in 28ms"', message: 'Please try again in 28ms.', expected: 28 },
    { name: '"Try again in 35 seconds" (Azure)', message: 'Rate limit exceeded. Try again in 35 seconds.', expected: 35_000 },
    { name: '"try again in 1 second"', message: 'try again in 1 second', expected: 1000 },
    { name: '"try again in1.2s" (no space)', message: 'try again in1.2s', expected: 1200 },
    { name: 'the message of the error object when none is given', error: { message: 'Please try again in 2s.' }, expected: 2000 },
    { name: '"try again later" says nothing', message: 'Please try again later.', expected: undefined },
    { name: 'body delays win over the message', error: { reset_seconds: 9 }, message: 'try again in 1s', expected: 9000 },
  ];
  for (const { name, headers, error, message, expected } of cases) {
    it(name, () => assert.equal(parseRetryDelayMs(headers, error, message, NOW), expected));
  }
});

const SETTINGS: RetrySettings = { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 3, rateLimitRetries: 3 };

function err(kind: GatewayErrorKind, details: GatewayErrorDetails = {}): GatewayError {
  return new GatewayError(kind, `a ${kind} error`, details);
}

function state(partial: Partial<RetryState> = {}): RetryState {
  return { ...initialRetryState, ...partial };
}

describe('decideRetry', () => {
  const half = () => 0.5;
  const cases: { name: string; error: GatewayError; state?: RetryState; random?: () => number; expected: Partial<RetryDecision> & { retry: boolean } }[] = [
    // Rate limits with a stated delay.
    { name: 'rate limit with a stated 1.2 s delay waits it out (plus margin)', error: err('rate_limited', { retryAfterMs: 1200, status: 429 }), expected: { retry: true, delayMs: 1200 + STATED_DELAY_MARGIN_MS, reason: 'rate_limited', budget: 'rateLimitRetries' } },
    { name: 'a fractional stated delay is rounded up', error: err('rate_limited', { retryAfterMs: 11_054.4 }), expected: { retry: true, delayMs: 11_055 + STATED_DELAY_MARGIN_MS } },
    { name: 'a stated delay exactly at the ceiling is waited', error: err('rate_limited', { retryAfterMs: 30_000 }), expected: { retry: true, delayMs: 30_000 + STATED_DELAY_MARGIN_MS } },
    { name: 'a stated delay over the ceiling fails at once', error: err('rate_limited', { retryAfterMs: 30_001 }), expected: { retry: false } },
    { name: 'rate-limit retries are bounded', error: err('rate_limited', { retryAfterMs: 100 }), state: state({ rateLimitRetries: 3 }), expected: { retry: false } },
    { name: 'other budgets do not limit rate-limit retries', error: err('rate_limited', { retryAfterMs: 100 }), state: state({ transientRetries: 3, textFallbackRetries: 2 }), expected: { retry: true } },
    // Rate limits without a stated delay: exponential backoff.
    { name: 'no stated delay: 1 s first (jitter 0.5 → ×1)', error: err('rate_limited'), expected: { retry: true, delayMs: 1000, reason: 'rate_limited', budget: 'rateLimitRetries' } },
    { name: 'no stated delay: 2 s second', error: err('rate_limited'), state: state({ rateLimitRetries: 1 }), expected: { retry: true, delayMs: 2000 } },
    { name: 'no stated delay: 4 s third', error: err('rate_limited'), state: state({ rateLimitRetries: 2 }), expected: { retry: true, delayMs: 4000 } },
    { name: 'jitter low end ×0.75', error: err('rate_limited'), random: () => 0, expected: { retry: true, delayMs: 750 } },
    // Usage limits: never.
    { name: 'usage limit never retried', error: err('usage_limit', { resetsAt: NOW + 1000, retryAfterMs: 1000 }), expected: { retry: false } },
    // Text fallback.
    { name: 'text-only answer with the tool stripped is retried shortly', error: err('no_image', { retryable: true }), expected: { retry: true, delayMs: TEXT_FALLBACK_DELAY_MS, reason: 'text_fallback', budget: 'textFallbackRetries' } },
    { name: 'text fallback retries are bounded', error: err('no_image', { retryable: true }), state: state({ textFallbackRetries: 2 }), expected: { retry: false } },
    { name: 'text-only answer with the tool present is not retried', error: err('no_image', { retryable: false }), expected: { retry: false } },
    // Transient failures: backoff with jitter.
    { name: '502 backs off 1 s first', error: err('server', { status: 502, retryable: true }), expected: { retry: true, delayMs: 1000, reason: 'server_error', budget: 'transientRetries' } },
    { name: '503 backs off 2 s second', error: err('server', { status: 503, retryable: true }), state: state({ transientRetries: 1 }), expected: { retry: true, delayMs: 2000 } },
    { name: '504 backs off 4 s third with jitter ×1.25 at the high end', error: err('server', { status: 504, retryable: true }), state: state({ transientRetries: 2 }), random: () => 0.9999999, expected: { retry: true, delayMs: 5000 } },
    { name: 'a 503 that states Retry-After waits that', error: err('server', { status: 503, retryable: true, retryAfterMs: 2500 }), expected: { retry: true, delayMs: 2500 + STATED_DELAY_MARGIN_MS } },
    { name: 'transient retries are bounded', error: err('server', { status: 500, retryable: true }), state: state({ transientRetries: 3 }), expected: { retry: false } },
    { name: 'a non-transient server error is not retried', error: err('server', { status: 501, retryable: false }), expected: { retry: false } },
    { name: 'connection reset retried as a connection problem', error: err('network', { code: 'ECONNRESET', retryable: true }), expected: { retry: true, reason: 'connection', budget: 'transientRetries' } },
    { name: 'DNS failure not retried', error: err('network', { code: 'ENOTFOUND', retryable: false }), expected: { retry: false } },
    // Issue 11: a refused connection is "could not connect", retried once (a gateway restarting), not 3 times.
    { name: 'a refused connection is retried once, as "refused"', error: err('network', { code: 'ECONNREFUSED', retryable: true }), expected: { retry: true, delayMs: 1000, reason: 'refused', budget: 'transientRetries' } },
    { name: 'a refused connection is not retried a second time', error: err('network', { code: 'ECONNREFUSED', retryable: true }), state: state({ transientRetries: 1 }), expected: { retry: false } },
    { name: 'stream cut without a terminal event retried', error: err('protocol', { retryable: true }), expected: { retry: true, reason: 'connection' } },
    { name: 'invalid JSON that is not a cut is not retried', error: err('protocol', { retryable: false }), expected: { retry: false } },
  ];
  for (const kind of ['auth', 'forbidden', 'not_found', 'bad_request', 'content_policy', 'not_image', 'too_large', 'cancelled', 'config', 'timeout'] as const) {
    cases.push({ name: `${kind} is never retried, even if marked retryable`, error: err(kind, { retryable: true, retryAfterMs: 10 }), expected: { retry: false } });
  }

  for (const { name, error, state: s, random, expected } of cases) {
    it(name, () => {
      const decision = decideRetry(error, s ?? state(), SETTINGS, random ?? half);
      assert.equal(decision.retry, expected.retry, JSON.stringify(decision));
      for (const [key, value] of Object.entries(expected)) assert.deepEqual((decision as Record<string, unknown>)[key], value, key);
      if (!decision.retry) assert.ok(decision.why.length > 0);
    });
  }

  it('rate-limit backoff never exceeds its cap nor the configured ceiling', () => {
    for (let n = 0; n < 10; n += 1) {
      const d = decideRetry(err('rate_limited'), state({ rateLimitRetries: n }), { ...SETTINGS, rateLimitRetries: 100 }, () => 0.999);
      assert.ok(d.retry && d.delayMs <= RATE_LIMIT_BACKOFF_CAP_MS, JSON.stringify(d));
      const low = decideRetry(err('rate_limited'), state({ rateLimitRetries: n }), { ...SETTINGS, rateLimitRetries: 100, maxRateLimitWaitMs: 1500 }, () => 0.999);
      assert.ok(low.retry && low.delayMs <= 1500, JSON.stringify(low));
    }
  });

  it('a whole sequence: three stated rate limits, then the fourth gives up', () => {
    let s = state();
    const delays: number[] = [];
    for (;;) {
      const d = decideRetry(err('rate_limited', { retryAfterMs: 500 }), s, SETTINGS, half);
      if (!d.retry) break;
      delays.push(d.delayMs);
      s = nextRetryState(s, d);
    }
    assert.deepEqual(delays, [600, 600, 600]);
    assert.deepEqual(s, { rateLimitRetries: 3, textFallbackRetries: 0, transientRetries: 0, transparencyRetries: 0 });
  });
});

describe('nextRetryState', () => {
  it('counts a retry against its budget only', () => {
    const s = nextRetryState(state({ transientRetries: 1 }), { retry: true, delayMs: 1, reason: 'server_error', budget: 'transientRetries' });
    assert.deepEqual(s, { rateLimitRetries: 0, textFallbackRetries: 0, transientRetries: 2, transparencyRetries: 0 });
  });
  it('leaves the state alone for a refusal, and never mutates the initial state', () => {
    const s = state();
    assert.equal(nextRetryState(s, { retry: false, why: 'x' }), s);
    nextRetryState(initialRetryState, { retry: true, delayMs: 1, reason: 'rate_limited', budget: 'rateLimitRetries' });
    assert.equal(initialRetryState.rateLimitRetries, 0);
  });
});

describe('parseRetryDelayMs: resets_at in milliseconds (issue 10, planted bug: milliseconds read as seconds)', () => {
  it('a resets_at in epoch milliseconds is a delay from now, not 1000 times too far', () => {
    assert.equal(parseRetryDelayMs(undefined, { error: { type: 'usage_limit_reached', resets_at: NOW + 90_000 } }, undefined, NOW), 90_000);
    assert.equal(parseRetryDelayMs(undefined, { error: { resets_at: NOW / 1000 + 90 } }, undefined, NOW), 90_000);
  });
});

describe('decideTransparencyRetry: a 400 that refuses the transparent background', () => {
  const refusal = new GatewayError('bad_request', 'The gateway rejected the request (HTTP 400): Transparent background is not supported for this model.', {
    status: 400,
    code: 'invalid_value',
    gatewayMessage: 'Transparent background is not supported for this model.',
  });

  it('asks once more at once, without transparency, when the request asked for it', () => {
    assert.deepEqual(decideTransparencyRetry(refusal, initialRetryState, true), { retry: true, delayMs: 0, reason: 'transparent_refused', budget: 'transparencyRetries' });
  });

  it('only once: a second refusal is final', () => {
    const after = nextRetryState(initialRetryState, decideTransparencyRetry(refusal, initialRetryState, true) as RetryDecision);
    assert.equal(after.transparencyRetries, 1);
    assert.equal(decideTransparencyRetry(refusal, after, true)?.retry, false);
  });

  it('leaves every other error to decideRetry', () => {
    assert.equal(decideTransparencyRetry(refusal, initialRetryState, false), undefined, 'transparency was not asked');
    const other400 = new GatewayError('bad_request', 'Invalid size', { status: 400, gatewayMessage: "Invalid value: '7x7'." });
    assert.equal(decideTransparencyRetry(other400, initialRetryState, true), undefined);
    const server = new GatewayError('server', 'transparent proxy error', { status: 502, gatewayMessage: 'transparent proxy failed' });
    assert.equal(decideTransparencyRetry(server, initialRetryState, true), undefined, 'not a 400');
  });
});
