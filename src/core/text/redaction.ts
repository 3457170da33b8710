/**
 * Keeps secrets out of every text that is logged, printed or shown (RELIABILITY.md, issue 9 item 8):
 *
 * - the API key, in every form a gateway may write it back in: as is, percent-encoded (`encodeURIComponent`,
 *   or every byte as `%XX`), JSON-escaped (`\"`, `\\`, `\/`, `\uXXXX`), any mix of these, in any letter case,
 *   and every occurrence. Redaction runs on the raw text before it is parsed, so a `\u`-escaped key that
 *   `JSON.parse` would turn back into the key is caught while it is still escaped;
 * - the password of a URL (`http://user:pass@host` → `http://user:***@host`), wherever a URL appears in a line.
 *
 * One module so that the CLI's `--verbose` lines, the extension's log and the error messages share one rule.
 */

export const REDACTED = '[REDACTED]';
/** Secrets shorter than this are ignored so that redaction cannot shred ordinary text. */
export const MIN_SECRET_LENGTH = 4;

/** JSON's two-character escapes (RFC 8259 §7); `/` may be escaped too, and some serialisers do. */
const JSON_SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

const encoder = new TextEncoder();

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** The pattern of one character of the key: itself, its JSON escapes, its UTF-8 bytes percent-encoded. */
function characterPattern(char: string): string {
  const forms = [escapeRegex(char)];
  const short = JSON_SHORT_ESCAPES[char];
  if (short !== undefined) forms.push(escapeRegex(short));
  let units = '';
  for (let i = 0; i < char.length; i++) units += `\\\\u${hex(char.charCodeAt(i), 4)}`;
  forms.push(units);
  forms.push(Array.from(encoder.encode(char), (byte) => `%${hex(byte, 2)}`).join(''));
  return `(?:${forms.join('|')})`;
}

/** Compiled patterns by secret: redaction runs on every log line and every event of a stream. */
const patterns = new Map<string, RegExp>();
const MAX_CACHED_PATTERNS = 64;

/**
 * Every form of `secret`, case-insensitively. The pattern is a plain sequence of small alternations, no nested
 * quantifier, so matching stays linear in the text.
 */
export function secretPattern(secret: string): RegExp {
  let pattern = patterns.get(secret);
  if (!pattern) {
    if (patterns.size >= MAX_CACHED_PATTERNS) patterns.clear();
    pattern = new RegExp(Array.from(secret, characterPattern).join(''), 'gi');
    patterns.set(secret, pattern);
  }
  pattern.lastIndex = 0;
  return pattern;
}

function usable(secrets: readonly (string | undefined)[]): string[] {
  return secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
}

/** Replaces every occurrence of every secret, in any of its forms, with `[REDACTED]`. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of usable(secrets)) out = out.replace(secretPattern(secret), REDACTED);
  return out;
}

/**
 * How many characters at the end of `text` could be the beginning of a secret (as is or percent-encoded, in any
 * letter case): a redactor of text that arrives in pieces holds them back until the next piece tells.
 */
export function secretPrefixLength(text: string, secrets: readonly (string | undefined)[]): number {
  const list = usable(secrets);
  if (list.length === 0) return 0;
  const longest = Math.max(...list.map((s) => encodeURIComponent(s).length));
  const tail = text.slice(Math.max(0, text.length - longest)).toLowerCase();
  let held = 0;
  for (const secret of list) {
    for (const form of new Set([secret, encodeURIComponent(secret)].map((f) => f.toLowerCase()))) {
      for (let k = Math.min(form.length - 1, tail.length); k > held; k--) {
        if (tail.endsWith(form.slice(0, k))) {
          held = k;
          break;
        }
      }
    }
  }
  return held;
}

/** What ends the authority of a URL (`scheme://authority/path?query#fragment`), as URL parsers read it. */
const AUTHORITY_END = new Set(['/', '\\', '?', '#', ' ', '\t', '\n', '\r', '\f', '\v']);

/**
 * `http://user:pass@host/v1` → `http://user:***@host/v1`, for every URL in `text`. The user info runs to the last `@`
 * of the authority (as URL parsers read it); a user name without a password is kept. A scan, not a regular
 * expression: each `://` is found with `indexOf` and its authority read once (authorities cannot overlap, since they
 * hold no `/`), so the cost is linear whatever the text (a pattern with a scheme class backtracked quadratically on
 * `a.a.a.…`: 37 s for 40 KB).
 */
export function redactUrlCredentials(text: string): string {
  let out = '';
  let copied = 0;
  for (let mark = text.indexOf('://'); mark !== -1; mark = text.indexOf('://', mark + 3)) {
    const start = mark + 3;
    // One pass over the authority: where it ends, its last '@' and its first ':' (searching the whole text for
    // them from every '://' would be quadratic on "a://a://…").
    let end = start;
    let at = -1;
    let colon = -1;
    for (; end < text.length; end++) {
      const char = text.charAt(end);
      if (AUTHORITY_END.has(char) || /\s/.test(char)) break;
      if (char === '@') at = end;
      else if (char === ':' && colon === -1) colon = end;
    }
    // No password (no ':' before the last '@', or an empty one): nothing to hide.
    if (at === -1 || colon === -1 || colon >= at - 1) continue;
    out += text.slice(copied, colon + 1) + '***';
    copied = at;
    mark = end - 3;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Both rules: what every log line and printed message goes through. */
export function redactForDisplay(text: string, secrets: readonly (string | undefined)[]): string {
  return redactSecrets(redactUrlCredentials(text), secrets);
}
