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

/**
 * `text` on one line (runs of whitespace as one space, trimmed), at most `max` characters including the `…` that
 * marks a cut. Characters are code points, so a cut never splits a surrogate pair (an emoji, a rare CJK character)
 * into a lone half that renders as a replacement mark.
 */
export function oneLineExcerpt(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(oneLine);
  if (chars.length <= max) return oneLine;
  return `${chars.slice(0, Math.max(0, max - 1)).join('').trimEnd()}…`;
}
