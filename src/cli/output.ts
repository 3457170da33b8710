/** What the tool prints on stderr: progress lines, the verbose log and messages, all escaped for a terminal by the callers. */
import { escapeForTerminal } from '../core/text/terminalText';
import type { GeneratedImage, Logger, ProgressEvent, RetryReason } from '../core/types';
import { imageTokens, usageTotal } from '../core/gateway/usage';
import { quotaWindows, type QuotaWindow } from '../core/gateway/quota';

export const MIME_NAMES: Record<GeneratedImage['mime'], string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP' };

export const RETRY_REASONS: Record<RetryReason, string> = {
  rate_limited: 'rate limited',
  text_fallback: 'the gateway answered with text',
  server_error: 'server error',
  connection: 'connection lost',
  refused: 'could not connect',
  timeout: 'timed out',
  transparent_refused: 'the gateway refused a transparent background; asking without it, the background is removed locally',
};

/** Prints phase changes (not every event) as `[12.3s] generating…`. */
export function progressPrinter(write: (line: string) => void, now: () => number) {
  const started = now();
  let last = '';
  const print = (text: string): void => {
    if (text === last) return;
    last = text;
    write(`[${((now() - started) / 1000).toFixed(1)}s] ${escapeForTerminal(text)}\n`);
  };
  return {
    print,
    onProgress(event: ProgressEvent): void {
      switch (event.type) {
        case 'phase':
          print(event.phase === 'waiting' ? 'waiting for the gateway…' : `${event.phase}…`);
          break;
        case 'partialImage':
          print(`partial image ${event.index + 1}${event.expected !== undefined ? `/${event.expected}` : ''}`);
          break;
        case 'retry':
          print(`retrying in ${(event.delayMs / 1000).toFixed(1)} s (${RETRY_REASONS[event.reason] ?? event.reason})`);
          break;
        case 'text':
          break;
      }
    },
  };
}

export function stderrLogger(write: (line: string) => void): Logger {
  // Log lines quote the gateway and the model: nothing in them may act on the terminal or start a line of its own.
  const line = (level: string) => (message: string) => write(`[${level}] ${escapeForTerminal(message)}\n`);
  return { trace: line('trace'), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

/** Why a name the real type chose (`x.png` → `x.jpg`) is not written over, and how to proceed. */
export function renamedTakenMessage(named: string, shown: string, type: string, replaced: boolean, overwrite: boolean): string {
  const why = replaced
    ? `The gateway sent a ${type} image, so it would be saved as ${shown} instead of ${named}, but ${shown} already exists`
    : `${named} has no image extension, so the ${type} image would be saved as ${shown}, but ${shown} already exists`;
  const kept = overwrite ? '--overwrite only replaces the file named by --output, so it was left as it is' : 'it was left as it is';
  return `${why}; ${kept} and the image was not saved. To replace it, run again with --output ${shown} --overwrite, or choose another --output.`;
}

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** `5 h`, `7 d`, `90 min`: a quota window by its length. */
function windowName(minutes: number | undefined): string {
  if (minutes === undefined) return 'a window';
  if (minutes % 1440 === 0) return `${minutes / 1440} d`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

/** `4 h 23 min`, `3 d 2 h`, `12 min`: how long until a reset. */
function untilText(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes >= 1440) return `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`;
  if (minutes >= 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${minutes} min`;
}

function windowText(window: QuotaWindow, now: number): string {
  const reset = window.resetsAt !== undefined ? ` (resets in ${untilText(window.resetsAt - now)})` : '';
  return `${window.remainingPercent}% of ${windowName(window.windowMinutes)}${reset}`;
}

/**
 * The --verbose line of one image's cost: `Usage: 1601 tokens (input 1200, output 80, image 321) · quota left: 81% of
 * 5 h (resets in 4 h 23 min), 64% of 7 d (resets in 3 d 0 h)`. The plan type is the gateway's text (bounded by
 * core/gateway/quota.ts); the caller's logger escapes the line for the terminal.
 */
export function usageLine(image: Pick<GeneratedImage, 'usage' | 'quota'>, now: number): string {
  const { usage, quota } = image;
  const total = usageTotal(usage);
  const parts = [
    usage?.input !== undefined ? `input ${usage.input}` : undefined,
    usage?.output !== undefined ? `output ${usage.output}` : undefined,
    imageTokens(usage) !== undefined ? `image ${imageTokens(usage)}` : undefined,
  ].filter((part): part is string => part !== undefined);
  const tokens = total === undefined ? 'not reported by the gateway' : `${total} tokens${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
  const windows = quotaWindows(quota);
  const plan = quota?.planType !== undefined ? ` (${quota.planType} plan)` : '';
  const left = windows.length > 0 ? ` · quota left${plan}: ${windows.map((w) => windowText(w, now)).join(', ')}` : '';
  return `Usage: ${tokens}${left}`;
}

/** Why `auto` left the Responses route, in the words of the one line that says so. */
const ROUTE_SWITCH_REASONS: Record<NonNullable<GeneratedImage['routeSwitch']>['reason'], string> = {
  text_fallback: 'answered with text, not an image',
  tool_not_found: "said Tool choice 'image_generation' not found",
  tool_forbidden: 'refused the image_generation tool (403)',
};

/** The line printed when `--api auto` made the image on the Images route. */
export function routeSwitchLine(change: NonNullable<GeneratedImage['routeSwitch']>): string {
  return (
    `note: the gateway's Responses route ${ROUTE_SWITCH_REASONS[change.reason]}; the image was made on the Images route ` +
    `(/v1/images, model ${change.imageModel}). Pass --api images to go there directly.`
  );
}
