/**
 * "Illustrate This Section" (issue 13 item 4): a prompt made from where the cursor is in a markdown document — the
 * path of headings above it ("Guide › Install › On Windows") and the paragraph at the cursor — and where the image's
 * link goes: right after that paragraph. The document's block structure comes from markdown-it (as the empty-link
 * finder's does, markdownBlocks.ts), so a `#` in a code block is no heading and a paragraph is what the preview shows
 * as one.
 *
 * Bounded: the prompt is at most SECTION_PROMPT_BUDGET characters (the headings are kept, the paragraph is cut at a
 * word or sentence boundary with `…`); a document over MAX_PARSED_LENGTH is not parsed (undefined).
 */
import { MAX_PARSED_LENGTH, markdownTokens } from './markdownBlocks';

/** The most characters of a section prompt: enough for a paragraph or two, short enough for an image model. */
export const SECTION_PROMPT_BUDGET = 800;

export interface SectionPrompt {
  /** The headings above the cursor, outermost first, as plain text. */
  headings: string[];
  /** The paragraph's text, as plain text (markup removed), before any cut. */
  paragraph: string;
  /** What goes to the prompt box: the heading path and the paragraph, within the budget. */
  prompt: string;
  /** The offset just after the paragraph's last character: the link goes after it, on a line of its own. */
  insertAt: number;
}

interface Paragraph {
  startLine: number;
  endLine: number;
  content: string;
}

/** The section prompt for the cursor at `offset`, or undefined when there is no paragraph to illustrate near it. */
export function sectionPrompt(text: string, offset: number, budget = SECTION_PROMPT_BUDGET): SectionPrompt | undefined {
  if (text.length > MAX_PARSED_LENGTH) return undefined;
  const tokens = markdownTokens(text);
  const lineStarts = lineStartOffsets(text);
  const cursorLine = lineOf(lineStarts, Math.max(0, Math.min(offset, text.length)));

  const headings: string[] = [];
  let headingsAtCursor: string[] = [];
  const paragraphs: { paragraph: Paragraph; headings: string[] }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token?.map) continue;
    if (token.type === 'heading_open') {
      const level = Number(token.tag.slice(1));
      const content = plainText(tokens[i + 1]?.content ?? '');
      headings.length = Math.max(0, level - 1);
      headings[level - 1] = content;
      if (token.map[0] <= cursorLine) headingsAtCursor = headings.filter((h) => h !== undefined);
    } else if (token.type === 'paragraph_open' && token.level === 0) {
      const content = tokens[i + 1]?.content ?? '';
      paragraphs.push({ paragraph: { startLine: token.map[0], endLine: token.map[1], content }, headings: headings.filter((h) => h !== undefined) });
    }
  }
  const sectionKey = (list: string[]): string => list.join('\u0000');
  const inSection = paragraphs.filter((p) => sectionKey(p.headings) === sectionKey(headingsAtCursor));
  // The paragraph under the cursor; else the last one of this section above it; else the first one below it.
  const chosen =
    inSection.find((p) => p.paragraph.startLine <= cursorLine && cursorLine < p.paragraph.endLine) ??
    [...inSection].reverse().find((p) => p.paragraph.endLine <= cursorLine) ??
    inSection.find((p) => p.paragraph.startLine > cursorLine);
  if (!chosen) return undefined;
  const { paragraph } = chosen;
  const plain = plainText(paragraph.content);
  const lastLineEnd = endOfLine(text, lineStarts, paragraph.endLine - 1);
  return { headings: headingsAtCursor, paragraph: plain, prompt: withinBudget(headingsAtCursor, plain, budget), insertAt: lastLineEnd };
}

/** The heading path, then the paragraph cut to what is left of the budget. */
function withinBudget(headings: readonly string[], paragraph: string, budget: number): string {
  const path = headings.join(' › ');
  const head = path === '' ? '' : `${cut(path, Math.floor(budget / 3))}: `;
  const room = Math.max(20, budget - Array.from(head).length);
  return `${head}${cut(paragraph, room)}`;
}

/** `text` within `max` code points: cut after the last sentence end that keeps half, else at a space, then `…`. */
function cut(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const kept = chars.slice(0, max - 1).join('');
  const sentence = Math.max(kept.lastIndexOf('. '), kept.lastIndexOf('。'), kept.lastIndexOf('! '), kept.lastIndexOf('? '));
  if (sentence >= kept.length / 2) return `${kept.slice(0, sentence + 1).trimEnd()}…`;
  const space = kept.lastIndexOf(' ');
  return `${(space >= kept.length * 0.6 ? kept.slice(0, space) : kept).trimEnd()}…`;
}

/**
 * The words of a paragraph or heading without its markup: images and HTML tags dropped, links reduced to their text,
 * emphasis, code and escapes unwrapped, lines joined.
 */
export function plainText(markdown: string): string {
  // Escaped characters are set aside first (as private-use marks holding their code), so `\*` is never emphasis.
  return markdown
    .replace(/\\([\\`*_{}[\]()#+\-.!|~<>])/g, (_whole, c: string) => `\uE000${c.charCodeAt(0)}\uE001`)
    .replace(/!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\](\[[^\]]*\])?/g, ' ')
    .replace(/<[^<>]+>/g, ' ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/(\*\*|__|\*|_|~~)(\S(?:.*?\S)?)\1/g, '$2')
    .replace(/\uE000(\d+)\uE001/g, (_whole, code: string) => String.fromCharCode(Number(code)))
    .replace(/\s+/g, ' ')
    .trim();
}

function lineStartOffsets(text: string): number[] {
  const starts = [0];
  const breaks = /\r\n?|\n/g;
  for (let match = breaks.exec(text); match !== null; match = breaks.exec(text)) starts.push(match.index + match[0].length);
  return starts;
}

function lineOf(lineStarts: readonly number[], offset: number): number {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((lineStarts[mid] as number) <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** The offset of the end of `line` (before its line break). */
function endOfLine(text: string, lineStarts: readonly number[], line: number): number {
  const next = lineStarts[line + 1];
  if (next === undefined) return text.length;
  let end = next;
  if (text[end - 1] === '\n') end -= 1;
  if (text[end - 1] === '\r') end -= 1;
  return end;
}
