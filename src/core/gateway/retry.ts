/**
 * The retry policy of SPEC §5 as pure functions: where a stated delay comes from, and whether an
 * error is worth another attempt. Time and randomness are parameters, so tests never sleep.
 */
import type { RetryReason, RetrySettings } from '../types';
import { GatewayError } from '../errors';
import { defaultSettings } from '../config/config';
import { formatDuration } from './transport';
import { asRecord } from '../json';

/** How many retries of each kind were already spent in this generation. */
export interface RetryState {
  rateLimitRetries: number;
  textFallbackRetries: number;
  transientRetries: number;
  /** Requests asked again without `background: transparent` after the gateway refused it: at most one. */
  transparencyRetries: number;
}

/** Which budget of `RetryState` a retry is counted against. */
export type RetryBudget = keyof RetryState;

export type RetryDecision =
  | { retry: true; delayMs: number; reason: RetryReason; budget: RetryBudget }
  | { retry: false; why: string; stoppedBy?: 'maxAttempts' | 'totalTimeout' };

export const initialRetryState: RetryState = Object.freeze({
  rateLimitRetries: 0,
  textFallbackRetries: 0,
  transientRetries: 0,
  transparencyRetries: 0,
});

/** The state after `decision` was acted on. */
export function nextRetryState(state: RetryState, decision: RetryDecision): RetryState {
  if (!decision.retry) return state;
  return { ...state, [decision.budget]: state[decision.budget] + 1 };
}

/** Added to a stated delay so the retry does not land a hair before the limit lifts. */
export const STATED_DELAY_MARGIN_MS = 100;
/** First wait of a rate limit that states no delay; doubles each time. */
export const RATE_LIMIT_BACKOFF_BASE_MS = 1000;
export const RATE_LIMIT_BACKOFF_CAP_MS = 8000;
/** Wait before retrying a text-only answer (the tool was missing; the next attempt may get it). */
export const TEXT_FALLBACK_DELAY_MS = 500;
/** First wait after a 5xx or a dropped connection; doubles each time, with jitter. */
export const TRANSIENT_BACKOFF_BASE_MS = 1000;
export const TRANSIENT_BACKOFF_CAP_MS = 16000;
/** A refused connection gets one more try (a gateway restarting), not the transient budget of a dropped one. */
export const REFUSED_RETRIES = 1;

/**
 * A 400 that refuses a transparent background (gpt-image-2 and its successors: "Transparent background is not
 * supported for this model."), when the request asked for one. Asking once more without it, at once, is worth more
 * than failing: the post-process stage removes the background locally (core/image/background.ts). Undefined for
 * any other error, which `decideRetry` decides.
 */
export function decideTransparencyRetry(error: GatewayError, state: RetryState, askedTransparency: boolean): RetryDecision | undefined {
  if (!askedTransparency || error.kind !== 'bad_request' || error.details.status !== 400) return undefined;
  if (!/transparen/i.test(`${error.details.gatewayMessage ?? ''} ${error.message}`)) return undefined;
  if (state.transparencyRetries >= 1) return { retry: false, why: 'the gateway refused the transparent background again' };
  return { retry: true, delayMs: 0, reason: 'transparent_refused', budget: 'transparencyRetries' };
}

/** The start of an HTTP-date: IMF-fixdate `Sun, 06 Nov 1994 …`, RFC 850 `Sunday, 06-Nov-94 …`, asctime `Sun Nov  6 …`. */
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i;

const TRY_AGAIN = /try again in\s*(\d+(?:\.\d+)?)\s*(ms|s|seconds?)/i;

function finiteNonNegative(value: number): number | undefined {
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function numberField(object: Record<string, unknown>, name: string): number | undefined {
  const value = object[name];
  if (typeof value === 'number') return finiteNonNegative(value);
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return finiteNonNegative(Number(value));
  return undefined;
}

/** The error object itself, whether given bare or wrapped as `{error:{…}}` / `{response:{error:{…}}}`. */
function errorObject(errorJson: unknown): Record<string, unknown> | undefined {
  const record = asRecord(errorJson);
  if (!record) return undefined;
  const inner = asRecord(record.error) ?? asRecord(asRecord(record.response)?.error);
  return inner ?? record;
}

/** `resets_at` is unix seconds in the wild; a value that is clearly milliseconds is taken as such. */
export function epochMsFromResetsAt(value: number): number {
  return value > 1e12 ? value : value * 1000;
}

/**
 * The delay the gateway asked for, in ms, or undefined when it stated none. Sources, first match wins:
 * `retry-after-ms` header → `retry-after` header (seconds or HTTP date, relative to `now`) →
 * `error.resets_in_seconds` / `error.resets_at` → `error.reset_seconds` → "try again in 1.2s" in the message.
 */
export function parseRetryDelayMs(
  headers: Record<string, string> | undefined,
  errorJson: unknown,
  message: string | undefined,
  now: number,
): number | undefined {
  const header = (name: string): string | undefined => {
    if (!headers) return undefined;
    for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
    return undefined;
  };

  const retryAfterMs = header('retry-after-ms');
  if (retryAfterMs !== undefined && retryAfterMs.trim() !== '') {
    const ms = finiteNonNegative(Number(retryAfterMs));
    if (ms !== undefined) return ms;
  }

  const retryAfter = header('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Number(retryAfter) * 1000;
    // Only an HTTP-date (RFC 9110 §10.2.3; all three forms begin with the day's name) is read as a date:
    // `Date.parse` also takes "-5" (the year 2001) or "2026", which would become a wait of 0 ms.
    const date = HTTP_DATE.test(retryAfter) ? Date.parse(retryAfter) : Number.NaN;
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }

  const error = errorObject(errorJson);
  if (error) {
    const resetsIn = numberField(error, 'resets_in_seconds');
    if (resetsIn !== undefined) return resetsIn * 1000;
    const resetsAt = numberField(error, 'resets_at');
    if (resetsAt !== undefined) return Math.max(0, epochMsFromResetsAt(resetsAt) - now);
    const resetSeconds = numberField(error, 'reset_seconds');
    if (resetSeconds !== undefined) return resetSeconds * 1000;
  }

  const text = message ?? (typeof error?.message === 'string' ? error.message : undefined);
  const match = text ? TRY_AGAIN.exec(text) : null;
  if (match) {
    const amount = Number(match[1]);
    const unit = (match[2] ?? 's').toLowerCase();
    return unit === 'ms' ? amount : amount * 1000;
  }
  return undefined;
}

/** `base·2^n`, capped, scaled into [0.75, 1.25) by `random` so that clients do not retry in step. */
function backoff(base: number, cap: number, n: number, random: () => number): number {
  const raw = Math.min(cap, base * 2 ** n);
  const jitter = 0.75 + 0.5 * Math.min(Math.max(random(), 0), 1);
  return Math.round(raw * jitter);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** Whether `error`, raised by an attempt, deserves another one, and after how long. */
export function decideRetry(
  error: GatewayError,
  state: RetryState,
  settings: RetrySettings,
  random: () => number,
): RetryDecision {
  const { details } = error;
  switch (error.kind) {
    case 'rate_limited': {
      if (state.rateLimitRetries >= settings.rateLimitRetries) {
        return { retry: false, why: `still rate limited after ${state.rateLimitRetries} retries` };
      }
      const stated = details.retryAfterMs;
      if (stated !== undefined) {
        if (stated > settings.maxRateLimitWaitMs) {
          return {
            retry: false,
            why: `the stated wait of ${seconds(stated)} is longer than the ${seconds(settings.maxRateLimitWaitMs)} limit`,
          };
        }
        return { retry: true, delayMs: Math.ceil(stated) + STATED_DELAY_MARGIN_MS, reason: 'rate_limited', budget: 'rateLimitRetries' };
      }
      const cap = Math.min(RATE_LIMIT_BACKOFF_CAP_MS, settings.maxRateLimitWaitMs);
      return {
        retry: true,
        delayMs: Math.min(cap, backoff(RATE_LIMIT_BACKOFF_BASE_MS, cap, state.rateLimitRetries, random)),
        reason: 'rate_limited',
        budget: 'rateLimitRetries',
      };
    }
    case 'no_image': {
      if (!details.retryable) return { retry: false, why: 'the model answered with text although the tool was offered' };
      if (state.textFallbackRetries >= settings.textFallbackRetries) {
        return { retry: false, why: `the text-only answer persisted after ${state.textFallbackRetries} retries` };
      }
      return { retry: true, delayMs: TEXT_FALLBACK_DELAY_MS, reason: 'text_fallback', budget: 'textFallbackRetries' };
    }
    case 'server':
    case 'network':
    case 'protocol': {
      if (!details.retryable) return { retry: false, why: `a ${error.kind} error that is not transient` };
      // A refused connection is not a dropped one: nothing is listening at the address, which another attempt seldom
      // changes. One more try after the usual pause covers a gateway that was restarting; then the error says so.
      if (error.kind === 'network' && details.code === 'ECONNREFUSED') {
        if (state.transientRetries >= REFUSED_RETRIES) return { retry: false, why: `the connection was refused again after ${state.transientRetries} retry` };
        return { retry: true, delayMs: backoff(TRANSIENT_BACKOFF_BASE_MS, TRANSIENT_BACKOFF_CAP_MS, state.transientRetries, random), reason: 'refused', budget: 'transientRetries' };
      }
      if (state.transientRetries >= settings.transientRetries) {
        return { retry: false, why: `the error persisted after ${state.transientRetries} retries` };
      }
      const reason: RetryReason = error.kind === 'server' ? 'server_error' : 'connection';
      // A 503 that says when to come back is believed, within the same ceiling as rate limits.
      const stated = details.retryAfterMs;
      const delayMs =
        stated !== undefined && stated <= settings.maxRateLimitWaitMs
          ? Math.ceil(stated) + STATED_DELAY_MARGIN_MS
          : backoff(TRANSIENT_BACKOFF_BASE_MS, TRANSIENT_BACKOFF_CAP_MS, state.transientRetries, random);
      return { retry: true, delayMs, reason, budget: 'transientRetries' };
    }
    default:
      // auth, forbidden, not_found, bad_request, usage_limit, content_policy, not_image,
      // too_large, cancelled, config, timeout, file: another attempt cannot help.
      return { retry: false, why: `${error.kind} errors are never retried` };
  }
}

/** The whole generation's budget: requests in all, and time in all (attempts and waits). */
export interface OverallBudget {
  maxAttempts: number;
  totalTimeoutMs: number;
}

/** The budget of `settings`, with the defaults where a caller's settings lack it (`toGatewaySettings` sets both). */
export function overallBudget(settings: RetrySettings): OverallBudget {
  return {
    maxAttempts: settings.maxAttempts ?? defaultSettings.maxAttempts,
    totalTimeoutMs: settings.totalTimeoutMs ?? defaultSettings.totalTimeoutSeconds * 1000,
  };
}

/**
 * `decision`, unless the whole generation's budget is spent: `attemptsMade` requests reached the cap, or the next
 * attempt would start at or after the deadline (`elapsedMs` since the generation began, plus the wait).
 * One budget for every kind of retry, so a gateway that alternates 429, 5xx and text answers cannot make
 * the per-kind counts add up (RELIABILITY.md, issue 9 item 9).
 */
export function withinOverallBudget(decision: RetryDecision, attemptsMade: number, elapsedMs: number, budget: OverallBudget): RetryDecision {
  if (!decision.retry) return decision;
  if (attemptsMade >= budget.maxAttempts) {
    return { retry: false, why: `the limit of ${budget.maxAttempts} attempts for one generation was reached (maxAttempts)`, stoppedBy: 'maxAttempts' };
  }
  if (elapsedMs + decision.delayMs >= budget.totalTimeoutMs) {
    return {
      retry: false,
      why: `another attempt would start after the overall limit of ${formatDuration(budget.totalTimeoutMs)} for one generation (totalTimeoutSeconds)`,
      stoppedBy: 'totalTimeout',
    };
  }
  return decision;
}

/** An attempt cut short by the deadline of the whole generation, rather than by its own timeout. */
export function overallTimeoutError(budget: OverallBudget, cause?: unknown): GatewayError {
  return new GatewayError(
    'timeout',
    `The image was not finished within the overall limit of ${formatDuration(budget.totalTimeoutMs)} for one generation: ` +
      `raise totalTimeoutSeconds if the gateway is slow, or check that it is running.`,
    { timeoutMs: budget.totalTimeoutMs, stoppedBy: 'totalTimeout', ...(cause !== undefined ? { cause } : {}) },
  );
}

/**
 * The error a generation ends with: after more than one attempt, or when the overall budget stopped it, the
 * message says how many attempts were made ("Stopped after 5 attempts: …") and, for the budget, which limit.
 */
export function finalError(error: GatewayError, attempts: number, stoppedBy?: 'maxAttempts' | 'totalTimeout'): GatewayError {
  const by = stoppedBy ?? error.details.stoppedBy;
  if (attempts <= 1 && by === undefined) return error;
  if (error.kind === 'cancelled') return error;
  const limit =
    by === 'maxAttempts'
      ? ` No more attempts: ${attempts} is the limit for one generation (maxAttempts).`
      : by === 'totalTimeout' && error.details.stoppedBy === undefined
        ? ' No more attempts: another one would end after the overall time limit for one generation (totalTimeoutSeconds).'
        : '';
  const message = `Stopped after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${error.message}${limit}`;
  return new GatewayError(error.kind, message, { ...error.details, attempts, ...(by !== undefined ? { stoppedBy: by } : {}) });
}
