/** What the tool prints on stderr: progress lines, the verbose log and messages, all escaped for a terminal by the callers. */
import { escapeForTerminal } from '../core/text/terminalText';
import type { GeneratedImage, Logger, ProgressEvent, RetryReason } from '../core/types';

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
