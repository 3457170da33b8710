/**
 * The plan quota the Codex backend reports in its response headers, which CPA passes through with
 * `passthrough-headers: true` (gateway.md §2.5): `x-codex-primary-used-percent`, `…-window-minutes`,
 * `…-reset-after-seconds`, `…-reset-at`, the same for `secondary`, and `x-codex-plan-type`. Which window is which is
 * told by its minutes, not its name (a plan with one window sends its weekly window as `primary`), so each window
 * keeps its minutes. Headers are not trusted: a value that is not a plain decimal within its bounds is left out,
 * and nothing here throws (RELIABILITY.md "Plan quota").
 */
import { asRecord } from '../json';

export interface QuotaWindow {
  /** 0–100: how much of the window's allowance is spent. */
  usedPercent: number;
  /** 100 − usedPercent. */
  remainingPercent: number;
  /** How long the window is (300: five hours; 10080: a week). */
  windowMinutes?: number;
  /** Epoch ms when the window starts afresh. */
  resetsAt?: number;
}

export interface QuotaStatus {
  primary?: QuotaWindow;
  secondary?: QuotaWindow;
  /** `plus`, `pro`, `team`…: letters, digits, `_`, `-` and `.` only, at most 32. */
  planType?: string;
  /** Epoch ms when the headers were read. */
  readAt: number;
}

/** The longest window accepted, and the furthest reset: a year and a day. */
const MAX_WINDOW_MINUTES = 366 * 24 * 60;
const MAX_RESET_MS = 366 * 24 * 60 * 60 * 1000;
/** A reset time this far in the past is a stale or wrong clock, not a reset. */
const STALE_RESET_MS = 24 * 60 * 60 * 1000;
const DECIMAL = /^\d{1,6}(\.\d{1,6})?$/;
const WHOLE = /^\d{1,15}$/;
const PLAN_TYPE = /^[A-Za-z0-9_.-]{1,32}$/;

function header(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

/** A percentage: a plain decimal; above 100 (spent past the allowance) counts as 100. */
export function percentValue(text: string | undefined): number | undefined {
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  return Math.min(100, Number(text));
}

function wholeNumber(text: string | undefined, max: number): number | undefined {
  if (text === undefined || !WHOLE.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

function readWindow(headers: Readonly<Record<string, string>>, name: 'primary' | 'secondary', now: number): QuotaWindow | undefined {
  const used = percentValue(header(headers, `x-codex-${name}-used-percent`));
  if (used === undefined) return undefined;
  const minutesText = header(headers, `x-codex-${name}-window-minutes`);
  const windowMinutes = wholeNumber(minutesText, MAX_WINDOW_MINUTES);
  // A window of 0 minutes is how the backend says the plan has no such window (all its fields are then 0 or empty).
  if (windowMinutes === 0) return undefined;
  const window: QuotaWindow = { usedPercent: used, remainingPercent: roundPercent(100 - used) };
  if (windowMinutes !== undefined) window.windowMinutes = windowMinutes;
  const resetsAt = resetTime(headers, name, now);
  if (resetsAt !== undefined) window.resetsAt = resetsAt;
  return window;
}

/** `reset-at` (epoch seconds) when it is sound, else now + `reset-after-seconds`. */
function resetTime(headers: Readonly<Record<string, string>>, name: string, now: number): number | undefined {
  const atSeconds = wholeNumber(header(headers, `x-codex-${name}-reset-at`), Number.MAX_SAFE_INTEGER);
  if (atSeconds !== undefined) {
    const at = atSeconds * 1000;
    if (at >= now - STALE_RESET_MS && at <= now + MAX_RESET_MS) return at;
  }
  const afterSeconds = wholeNumber(header(headers, `x-codex-${name}-reset-after-seconds`), MAX_RESET_MS / 1000);
  return afterSeconds !== undefined ? now + afterSeconds * 1000 : undefined;
}

function roundPercent(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The quota the headers report, or undefined when they carry no sound window. */
export function readCodexQuota(headers: Readonly<Record<string, string>> | undefined, now: number): QuotaStatus | undefined {
  try {
    if (!headers) return undefined;
    const primary = readWindow(headers, 'primary', now);
    const secondary = readWindow(headers, 'secondary', now);
    if (!primary && !secondary) return undefined;
    const plan = header(headers, 'x-codex-plan-type');
    return {
      ...(primary ? { primary } : {}),
      ...(secondary ? { secondary } : {}),
      ...(plan !== undefined && PLAN_TYPE.test(plan) ? { planType: plan } : {}),
      readAt: now,
    };
  } catch {
    return undefined;
  }
}

function storedWindow(value: unknown): QuotaWindow | undefined {
  const object = asRecord(value);
  const used = object?.usedPercent;
  if (!object || typeof used !== 'number' || !Number.isFinite(used) || used < 0 || used > 100) return undefined;
  const window: QuotaWindow = { usedPercent: used, remainingPercent: roundPercent(100 - used) };
  const minutes = object.windowMinutes;
  if (typeof minutes === 'number' && Number.isInteger(minutes) && minutes > 0 && minutes <= MAX_WINDOW_MINUTES) window.windowMinutes = minutes;
  const resetsAt = object.resetsAt;
  if (typeof resetsAt === 'number' && Number.isSafeInteger(resetsAt) && resetsAt >= 0) window.resetsAt = resetsAt;
  return window;
}

/** A `QuotaStatus` as stored (the history), read back with the same bounds; undefined when unsound. */
export function parseStoredQuota(value: unknown): QuotaStatus | undefined {
  try {
    const object = asRecord(value);
    const readAt = object?.readAt;
    if (!object || typeof readAt !== 'number' || !Number.isSafeInteger(readAt) || readAt < 0) return undefined;
    const primary = storedWindow(object.primary);
    const secondary = storedWindow(object.secondary);
    if (!primary && !secondary) return undefined;
    const plan = object.planType;
    return {
      ...(primary ? { primary } : {}),
      ...(secondary ? { secondary } : {}),
      ...(typeof plan === 'string' && PLAN_TYPE.test(plan) ? { planType: plan } : {}),
      readAt,
    };
  } catch {
    return undefined;
  }
}

/** The windows that are known, shortest first (the five-hour window before the weekly one). */
export function quotaWindows(quota: QuotaStatus | undefined): QuotaWindow[] {
  const windows = [quota?.primary, quota?.secondary].filter((w): w is QuotaWindow => w !== undefined);
  return windows.sort((a, b) => (a.windowMinutes ?? Number.MAX_SAFE_INTEGER) - (b.windowMinutes ?? Number.MAX_SAFE_INTEGER));
}
