/**
 * Text from outside (the gateway's messages, the model's words, the revised prompt, file names) made safe to
 * print on a terminal. A terminal acts on control characters instead of showing them: ESC and the 8-bit CSI
 * (U+009B) start sequences that retitle the window, clear the screen, move the cursor over earlier lines or
 * write the clipboard (OSC 52); a line feed or carriage return inside a message can forge a line the tool
 * never printed; the bidi overrides reorder what is shown. Each such code point is replaced by a visible
 * escape (`\x1b`, `\n`, `\u202e`), so the text stays readable and nothing in it reaches the terminal as a
 * command. Backslashes are left alone: the result is for reading, not for parsing back.
 */

/**
 * C0 controls (U+0000–U+001F, line feed and tab included), DEL and the C1 controls (U+007F–U+009F), the
 * Arabic letter mark, the left-to-right and right-to-left marks, the line and paragraph separators, and the
 * bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visibleEscape(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every code point a terminal would act on shown as its escape; any other text is unchanged. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, visibleEscape);
}
