/**
 * The language an image's alt text should be written in: the language of the text around the image (issue 14
 * item 5). A document has no reliable language tag, so the script of the nearby words decides.
 *
 * The rule: take the paragraph the image is in (the lines between the blank lines around it); when that holds fewer
 * than `MIN_LETTERS` letters (an image alone on its line), widen to `WINDOW_CHARS` characters on each side. Drop
 * what is not prose: link and image targets, code spans, HTML tags, URLs. Then count letters by script: each Han,
 * kana or Hangul character counts as one, and each run of Latin or Cyrillic letters (a word) counts as one, since one
 * CJK character carries about as much as one word.
 * - CJK characters are at least 30 % of that count → Japanese when there is kana, Korean when there is Hangul (and
 *   more Hangul than Han), else Chinese;
 * - otherwise Cyrillic words are the majority of the words → Russian;
 * - otherwise English (also when there are no letters at all).
 */

export type AltLanguage = 'en' | 'zh' | 'ja' | 'ko' | 'ru';

/** The English name the request uses for each language. */
export const LANGUAGE_NAMES: Readonly<Record<AltLanguage, string>> = {
  en: 'English',
  zh: 'Chinese (the script the document uses)',
  ja: 'Japanese',
  ko: 'Korean',
  ru: 'Russian',
};

export const MIN_LETTERS = 12;
export const WINDOW_CHARS = 600;
export const CJK_SHARE = 0.3;

function paragraphAround(text: string, offset: number): { start: number; end: number } {
  const blank = /\n[ \t]*\r?\n/g;
  let start = 0;
  let end = text.length;
  for (let match = blank.exec(text); match !== null; match = blank.exec(text)) {
    const matchEnd = match.index + match[0].length;
    if (matchEnd <= offset) start = matchEnd;
    else if (match.index >= offset) {
      end = match.index;
      break;
    }
  }
  return { start, end };
}

/** The prose of a piece of markdown: targets, code, tags and URLs removed. */
function prose(piece: string): string {
  return piece
    .replace(/`+[^`]*`+/g, ' ')
    .replace(/\]\([^)]*\)/g, '] ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, ' ');
}

interface Counts {
  han: number;
  kana: number;
  hangul: number;
  latinWords: number;
  cyrillicWords: number;
}

function count(text: string): Counts {
  const han = text.match(/\p{Script=Han}/gu)?.length ?? 0;
  const kana = text.match(/[\p{Script=Hiragana}\p{Script=Katakana}]/gu)?.length ?? 0;
  const hangul = text.match(/\p{Script=Hangul}/gu)?.length ?? 0;
  const latinWords = text.match(/\p{Script=Latin}+/gu)?.length ?? 0;
  const cyrillicWords = text.match(/\p{Script=Cyrillic}+/gu)?.length ?? 0;
  return { han, kana, hangul, latinWords, cyrillicWords };
}

function letters(counts: Counts): number {
  return counts.han + counts.kana + counts.hangul + counts.latinWords + counts.cyrillicWords;
}

/** The language of the prose around `offset` of `text` (see the rule above). */
export function nearbyLanguage(text: string, offset: number): AltLanguage {
  const paragraph = paragraphAround(text, offset);
  let counts = count(prose(text.slice(paragraph.start, paragraph.end)));
  if (letters(counts) < MIN_LETTERS) {
    counts = count(prose(text.slice(Math.max(0, offset - WINDOW_CHARS), Math.min(text.length, offset + WINDOW_CHARS))));
  }
  return languageOf(counts);
}

/** The language of a piece of prose by the same rule, without the paragraph search (for tests and short texts). */
export function languageOfText(text: string): AltLanguage {
  return languageOf(count(prose(text)));
}

function languageOf(counts: Counts): AltLanguage {
  const total = letters(counts);
  if (total === 0) return 'en';
  const cjk = counts.han + counts.kana + counts.hangul;
  if (cjk / total >= CJK_SHARE) {
    if (counts.kana > 0) return 'ja';
    if (counts.hangul > counts.han) return 'ko';
    return 'zh';
  }
  const words = counts.latinWords + counts.cyrillicWords;
  if (words > 0 && counts.cyrillicWords / words > 0.5) return 'ru';
  return 'en';
}
