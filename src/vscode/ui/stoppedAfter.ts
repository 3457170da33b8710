/**
 * The sentence that says how many attempts a failed generation made (issue 9, item 9): "Stopped after 5 attempts:
 * <what went wrong>", and which overall limit ended it. `errorMessages.ts` wraps every user-facing error in it.
 *
 * No `vscode` import: the caller passes VS Code's `l10n`, so the unit test composes the English and the Chinese
 * sentence with the real bundle (test/unit/stoppedAfter.test.ts).
 */
import type { GatewayError } from '../../core/errors';

/** The part of `vscode.l10n` this file needs. */
export interface Translator {
  t(message: string, ...args: (string | number | boolean)[]): string;
}

/**
 * `message` as is, or prefixed with the number of attempts when the client recorded it (more than one, or a limit
 * stopped it). A timeout that the overall limit cut short says so itself; the others get the limit's sentence.
 */
export function withAttempts(l10n: Translator, message: string, error: Pick<GatewayError, 'kind' | 'details'>): string {
  const { attempts, stoppedBy } = error.details;
  if (attempts === undefined) return message;
  const stopped = attempts === 1 ? l10n.t('Stopped after 1 attempt: {0}', message) : l10n.t('Stopped after {0} attempts: {1}', attempts, message);
  switch (stoppedBy) {
    case 'maxAttempts':
      return `${stopped} ${l10n.t('No more attempts: cpaImage.maxAttempts allows {0} for one image.', attempts)}`;
    case 'totalTimeout':
      if (error.kind === 'timeout') return stopped;
      return `${stopped} ${l10n.t('No more attempts: the time for one image (cpaImage.totalTimeoutSeconds) is used up.')}`;
    default:
      return stopped;
  }
}
