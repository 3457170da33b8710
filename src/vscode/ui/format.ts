/** Small, pure formatting helpers for live status (unit-tested; no `vscode` import). */
import { oneLineExcerpt } from '../../core/text/describe';

/** `0:07`, `1:05`, `62:00`: elapsed time as the status bar and the progress notification show it. */
export function formatElapsed(ms: number): string {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** Seconds with one decimal (`1.2`), never negative: the remaining wait of a retry. */
export function formatSeconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(1);
}

/** The first `max` characters of a prompt on one line, with `…` when cut: for titles and tooltips. */
export function promptExcerpt(prompt: string, max = 40): string {
  return oneLineExcerpt(prompt, max);
}

/** Joins the lines of a multi-line selection into one line for the prompt box (which is single-line). */
export function promptFromSelection(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').trim();
}

export { hostOf } from '../../core/text/describe';

/**
 * A moment in the display language (`env.language`), `short` for tree rows and `medium` for the preview; the ISO
 * form when the runtime has no data for that language.
 */
export function formatLocalDate(epochMs: number, language: string, style: 'short' | 'medium'): string {
  try {
    return new Date(epochMs).toLocaleString(language, { dateStyle: style, timeStyle: 'short' });
  } catch {
    return new Date(epochMs).toISOString();
  }
}
