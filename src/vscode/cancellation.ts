/** Bridges VS Code's CancellationToken to the AbortSignal the core understands. */
import type { CancellationToken, Disposable } from 'vscode';

/**
 * Aborts `controller` when `token` fires. Returns the listener so the caller can dispose it when the
 * operation ends (a long-lived token would otherwise keep every finished operation's controller alive).
 */
export function abortOnCancellation(token: CancellationToken, controller: AbortController): Disposable {
  if (token.isCancellationRequested) controller.abort();
  return token.onCancellationRequested(() => controller.abort());
}
