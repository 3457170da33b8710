import type { Logger } from './types';
import { redactForDisplay } from './text/redaction';

/** A logger that drops everything: the default for library callers and unit tests. */
export const nullLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Wraps a logger so that no line it forwards can contain one of the secrets (in any form, see redaction.ts) or the
 * password of a URL, whatever the caller formatted into it. `secrets` is read at every call so a key changed later
 * is covered.
 */
export function redactingLogger(inner: Logger, secrets: () => readonly (string | undefined)[]): Logger {
  const wrap = (fn: (m: string) => void) => (message: string) => fn(redactForDisplay(message, secrets()));
  return {
    trace: wrap((m) => inner.trace(m)),
    debug: wrap((m) => inner.debug(m)),
    info: wrap((m) => inner.info(m)),
    warn: wrap((m) => inner.warn(m)),
    error: wrap((m) => inner.error(m)),
  };
}
