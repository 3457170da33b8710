/**
 * The language an image's alt text should be written in: the language of the text around the image (issue 14
 * item 5). A document has no reliable language tag, so the script of the nearby words decides.
 *
 * The rule: take the paragraph the image is in (the lines between the blank lines around it); when that holds fewer
 * than `MIN_WORDS` words (an image alone on its line), take the nearest paragraph that has enough, looking before
 * and after in turn (the one before first), at most `MAX_PARAGRAPHS_AWAY` paragraphs away. Drop what is not prose:
 * link and image targets, code spans, HTML tags, URLs. Then count by script: each Han, kana or Hangul character
 * counts as one word, and each run of Latin or Cyrillic letters (a word) counts as one, since one CJK character
 * carries about as much as one word.
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

export const MIN_WORDS = 5;
export const MAX_PARAGRAPHS_AWAY = 3;
export const CJK_SHARE = 0.3;

/** The paragraphs of `text` (split at blank lines) as offsets, in order. */
function paragraphs(text: string): { start: number; end: number }[] {
  const found: { start: number; end: number }[] = [];
  const blank = /\n[ \t]*\r?\n(?:[ \t]*\r?\n)*/g;
  let start = 0;
  for (let match = blank.exec(text); match !== null; match = blank.exec(text)) {
    found.push({ start, end: match.index });
    start = match.index + match[0].length;
  }
  found.push({ start, end: text.length });
  return found;
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
  const all = paragraphs(text);
  const here = Math.max(0, all.findIndex((p) => offset <= p.end));
  const countAt = (index: number): Counts | undefined => {
    const paragraph = all[index];
    return paragraph ? count(prose(text.slice(paragraph.start, paragraph.end))) : undefined;
  };
  const own = countAt(here) as Counts;
  if (letters(own) >= MIN_WORDS) return languageOf(own);
  for (let away = 1; away <= MAX_PARAGRAPHS_AWAY; away++) {
    for (const index of [here - away, here + away]) {
      const counts = countAt(index);
      if (counts && letters(counts) >= MIN_WORDS) return languageOf(counts);
    }
  }
  return languageOf(own);
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
