/** Short descriptions of things for messages and logs, written once: what an error says, which host a URL names. */

/** The message of anything thrown. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `host:port` of a URL, for messages that must not show its path or credentials; `fallback` when it is not a URL. */
export function hostOf(url: string, fallback = url): string {
  try {
    return new URL(url).host || fallback;
  } catch {
    return fallback;
  }
}
