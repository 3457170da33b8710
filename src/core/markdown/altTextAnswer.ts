/**
 * The model's description of an image, made into alt text that can be written into a markdown document (issue 14
 * item 5). The answer is untrusted: it goes INTO the user's file, where markdown would read a link, an autolink, raw
 * HTML or a code span in it, and where a line break or a `]` would end the image. So the alt text is:
 *
 * - one line: every run of whitespace (line breaks included) becomes one space; control characters and the bidi
 *   overrides/isolates (U+202A–U+202E, U+2066–U+2069) are removed;
 * - plain words: markdown links and images keep only their text (`[a](javascript:x)` → `a`), HTML tags are removed,
 *   and then every `<`, `>` and backtick left (autolinks, raw HTML and code spans bind tighter than the image's
 *   brackets, so any of them could swallow the `]`);
 * - escaped: `\`, `[`, `]` get a backslash (so the alt cannot close the image), and `|` too (an image in a table cell
 *   would otherwise split the cell);
 * - short: at most `MAX_ALT_CHARS` characters (grapheme clusters) before escaping, cut at a word where there is one,
 *   with `…`;
 * - without the wrapping a model adds: surrounding quotes, an "Alt text:" label.
 *
 * Only the first `MAX_ANSWER_CHARS` of the answer are looked at: the client already keeps no more than that.
 */
import { altFromPrompt } from './links';

/** The longest alt text written, in characters (grapheme clusters), before escaping. */
export const MAX_ALT_CHARS = 250;
/** The most of an answer that is read; anything after is ignored (a real answer is one sentence). */
export const MAX_ANSWER_CHARS = 4096;

const LABEL = /^(?:alt(?:[\s-]?text)?|alternative text|description|caption|替代文本|替代文字|图片描述|描述|说明)\s*[:：]\s*/iu;
const QUOTE_PAIRS: readonly (readonly [string, string])[] = [
  ['"', '"'],
  ["'", "'"],
  ['“', '”'],
  ['‘', '’'],
  ['「', '」'],
  ['『', '』'],
  ['«', '»'],
  ['`', '`'],
  ['*', '*'],
];

function unwrap(text: string): string {
  let current = text.trim();
  for (let round = 0; round < 4; round++) {
    const before = current;
    current = current.replace(LABEL, '').trim();
    for (const [open, close] of QUOTE_PAIRS) {
      if (current.length >= 2 && current.startsWith(open) && current.endsWith(close)) current = current.slice(open.length, -close.length).trim();
    }
    if (current === before) break;
  }
  return current;
}

/**
 * Inert, one-line, escaped markdown alt text from the model's answer; an empty string when nothing usable is left
 * (the caller reports that instead of writing an empty alt).
 */
export function altTextFromAnswer(answer: string): string {
  let text = answer.slice(0, MAX_ANSWER_CHARS);
  // Control characters (but not the whitespace ones, which become spaces below) and bidi controls go first, so
  // they cannot hide the syntax removed next.
  text = text.replace(/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g, '').replace(/[^\S\r\n\t ]|[\p{Cc}]/gu, (c) => (/\s/.test(c) ? ' ' : ''));
  text = text.replace(/\s+/g, ' ');
  // Links and images keep their text; HTML tags and comments go.
  for (let round = 0; round < 3; round++) {
    const before = text;
    text = text.replace(/!?\[([^\[\]]*)\]\([^()]*(?:\([^()]*\)[^()]*)*\)/g, '$1').replace(/!?\[([^\[\]]*)\]\[[^\[\]]*\]/g, '$1');
    if (text === before) break;
  }
  text = text.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<\/?[A-Za-z][^<>]*>/g, ' ');
  text = text.replace(/[<>`]/g, '');
  text = unwrap(text.replace(/\s+/g, ' '));
  // A trailing full stop is kept (it ends the sentence for screen readers); the length is capped before escaping.
  const capped = altFromPrompt(text, MAX_ALT_CHARS);
  return capped.replace(/[\\[\]|]/g, (c) => `\\${c}`);
}
