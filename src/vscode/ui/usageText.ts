/**
 * Token usage and plan quota in words, localised, for the preview, the history's tooltips and the status bar
 * (issue 13 item 6): `1,601 tokens (input 1,200 · output 80 · image 321)` and `81% of 5 h left (resets 12/5/26, 2:20 PM)`.
 * Resets are told as a moment, not as "in 4 h": a tooltip or a stored entry is read long after it was made.
 * The numbers are ours (bounded by core/gateway/usage.ts and quota.ts); the plan type is the gateway's word, so the
 * caller passes the whole text through the inertText function of its sink.
 */
import { l10n } from 'vscode';
import { imageTokens, usageTotal, type TokenUsage, type UsageTally } from '../../core/gateway/usage';
import { quotaWindows, type QuotaStatus, type QuotaWindow } from '../../core/gateway/quota';
import { formatLocalDate } from './format';

function count(n: number, language: string): string {
  try {
    return n.toLocaleString(language);
  } catch {
    return String(n);
  }
}

/** `1,601 tokens (input 1,200 · output 80 · image 321)`; undefined when the gateway reported no usage. */
export function tokensText(usage: TokenUsage | undefined, language: string): string | undefined {
  const total = usageTotal(usage);
  if (total === undefined) return undefined;
  const image = imageTokens(usage);
  const parts = [
    usage?.input !== undefined ? l10n.t('input {0}', count(usage.input, language)) : undefined,
    usage?.output !== undefined ? l10n.t('output {0}', count(usage.output, language)) : undefined,
    image !== undefined ? l10n.t('image {0}', count(image, language)) : undefined,
  ].filter((part): part is string => part !== undefined);
  const tokens = l10n.t('{0} tokens', count(total, language));
  return parts.length > 0 ? `${tokens} (${parts.join(' · ')})` : tokens;
}

/** `5 h`, `7 d`, `90 min`. */
function windowName(minutes: number | undefined): string | undefined {
  if (minutes === undefined) return undefined;
  if (minutes % 1440 === 0) return l10n.t('{0} d', minutes / 1440);
  if (minutes % 60 === 0) return l10n.t('{0} h', minutes / 60);
  return l10n.t('{0} min', minutes);
}

function windowText(window: QuotaWindow, now: number, language: string): string {
  const name = windowName(window.windowMinutes);
  const left = name !== undefined ? l10n.t('{0}% of {1} left', window.remainingPercent, name) : l10n.t('{0}% left', window.remainingPercent);
  // A reset that has passed says nothing any more about what is left now.
  if (window.resetsAt === undefined || window.resetsAt <= now) return left;
  return `${left} (${l10n.t('resets {0}', formatLocalDate(window.resetsAt, language, 'short'))})`;
}

/** `81% of 5 h left (resets …) · 64% of 7 d left (resets …)`; undefined without a window. */
export function quotaText(quota: QuotaStatus | undefined, now: number, language: string): string | undefined {
  const windows = quotaWindows(quota);
  if (windows.length === 0) return undefined;
  return windows.map((window) => windowText(window, now, language)).join(' · ');
}

/** `Plan quota (plus): 81% of 5 h left …`, the line of a tooltip; undefined without a window. */
export function quotaLine(quota: QuotaStatus | undefined, now: number, language: string): string | undefined {
  const text = quotaText(quota, now, language);
  if (text === undefined) return undefined;
  return quota?.planType !== undefined ? l10n.t('Plan quota ({0}): {1}', quota.planType, text) : l10n.t('Plan quota: {0}', text);
}

/** `1 image · 1,601 tokens`, `3 images` (when no answer reported a usage). */
export function tallyText(tally: UsageTally, language: string): string {
  const images = tally.images === 1 ? l10n.t('1 image') : l10n.t('{0} images', count(tally.images, language));
  return tally.imagesWithUsage > 0 ? `${images} · ${l10n.t('{0} tokens', count(tally.tokens, language))}` : images;
}

/** The status bar's short text between generations: `1,601 tokens`, or `1 image` without usage. */
export function tallyLabel(tally: UsageTally, language: string): string {
  if (tally.imagesWithUsage > 0) return l10n.t('{0} tokens', count(tally.tokens, language));
  return tally.images === 1 ? l10n.t('1 image') : l10n.t('{0} images', count(tally.images, language));
}
