/**
 * Markdown authoring (SPEC §7): finds the image links a writer left without a target — `![a fox in the rain]()`,
 * `![…]( )`, `![…](<>)`, or `![…]` followed by neither `(` nor `[` — so the editor can offer to generate the image
 * from the alt text and fill the target in. Pure text scanning, no `vscode`: the CodeLens, the code action and the
 * unit tests share it.
 *
 * What is deliberately not a candidate: anything inside code blocks (fenced or indented), HTML blocks (as
 * markdown-it, VS Code's parser, finds them: markdownBlocks.ts), code spans, HTML comments or front matter;
 * reference-style images (`![alt][ref]`, `![alt][]`); a bare `![alt]` whose label has a link reference definition
 * (`[alt]: url`), since that is a working shortcut reference; an escaped `\![…]`; an empty alt (there is nothing to
 * generate from); and `#![…]` (a shebang or a Rust attribute, not an image).
 */
import { formatInsertion } from './links';
import type { InsertionInput } from './links';
import { markdownBlocks } from './markdownBlocks';

/** The markdown-like languages the authoring actions are offered in (each is `isMarkdownLanguage`). */
export const markdownLanguageIds: readonly string[] = ['markdown', 'mdx', 'quarto', 'rmd', 'markdown-math'];

export interface EmptyImageLink {
  /** `empty`: `()`, `( )` or `(<>)` is there; `missing`: nothing follows the `]`. */
  kind: 'empty' | 'missing';
  /** Offset of the `!`. */
  start: number;
  /** Offset just after the link (after the `)`, or after the `]` when the target is missing). */
  end: number;
  /** The alt text exactly as written between the brackets. */
  rawAlt: string;
  /** Offsets of the alt text (inside the brackets). */
  altStart: number;
  altEnd: number;
  /** The prompt: the alt text with markdown escapes and entities decoded and whitespace collapsed. */
  prompt: string;
  /**
   * What filling the target replaces: the `(…)` of an empty target, or the empty range right after the `]` of a
   * missing one. Only this range changes; the alt text stays exactly as written.
   */
  targetStart: number;
  targetEnd: number;
}

/** A half-open range [start, end) of the text that is code, HTML, a comment or front matter. */
export interface Span {
  start: number;
  end: number;
  /** A code or HTML block, or front matter: it ends the paragraph around it. */
  block?: boolean;
}

/** CommonMark's escapable characters: ASCII punctuation. */
const ESCAPABLE = /[!-/:-@[-`{-~]/;

/**
 * An empty target at a `(`: spaces and tabs with at most one line break, optionally around `<>`. Sticky and bounded,
 * so a `(` that opens a real target is rejected at its first other character.
 */
const EMPTY_TARGET = /\([ \t]*(\r?\n)?[ \t]*(?:<>[ \t]*(\r?\n)?[ \t]*)?\)/y;

/**
 * Each `![` of `text` that opens an image, with the `]` that closes its alt, in document order: none in code, HTML,
 * comments or front matter (`excluded`), none escaped (`\![`), none right after `#` (`#![…]`: a Rust attribute in a
 * code span's absence, never an image).
 */
export function* imageOpenings(text: string, excluded: ReturnType<typeof excludedSpans> = excludedSpans(text)): Generator<{ bang: number; close: number }> {
  const isExcluded = spanLookup(excluded);
  const closers = matchBrackets(text, excluded);
  let from = 0;
  for (;;) {
    const bang = text.indexOf('![', from);
    if (bang === -1) return;
    from = bang + 1;
    if (isExcluded(bang) || isEscaped(text, bang) || text[bang - 1] === '#') continue;
    const close = closers.get(bang + 1);
    if (close !== undefined) yield { bang, close };
  }
}

export function findEmptyImageLinks(text: string): EmptyImageLink[] {
  const excluded = excludedSpans(text);
  const definitions = referenceDefinitions(text, excluded);
  const found: EmptyImageLink[] = [];
  // A link's own text is not searched for links of its own.
  let skipUntil = 0;
  for (const { bang, close } of imageOpenings(text, excluded)) {
    if (bang < skipUntil) continue;
    const altStart = bang + 2;
    const rawAlt = text.slice(altStart, close);
    const prompt = promptFromAlt(rawAlt);
    if (prompt === '') continue;

    const afterBracket = close + 1;
    const next = text[afterBracket];
    let link: EmptyImageLink | undefined;
    if (next === '(') {
      const target = emptyTarget(text, afterBracket);
      if (target !== undefined) {
        link = { kind: 'empty', start: bang, end: target, rawAlt, altStart, altEnd: close, prompt, targetStart: afterBracket, targetEnd: target };
      }
    } else if (next !== '[' && !definitions.has(normalizeLabel(rawAlt))) {
      link = { kind: 'missing', start: bang, end: afterBracket, rawAlt, altStart, altEnd: close, prompt, targetStart: afterBracket, targetEnd: afterBracket };
    }
    if (link) {
      found.push(link);
      skipUntil = link.end;
    }
  }
  return found;
}

/** The prompt an alt text stands for: escapes and entities decoded, whitespace collapsed to single spaces. */
export function promptFromAlt(rawAlt: string): string {
  return decodeEntities(rawAlt.replace(/\\(.)/gs, (whole, c: string) => (ESCAPABLE.test(c) ? c : whole)))
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The link destination the normal markdown insertion would write for an image (relative to the document, `/`
 * separators, `<…>` when needed): taken from `formatInsertion` itself so the two can never disagree.
 */
export function markdownImageDestination(input: Omit<InsertionInput, 'format' | 'alt' | 'languageId'>): string {
  const link = formatInsertion({ ...input, format: 'markdown', alt: '' });
  const prefix = '![](';
  if (!link.startsWith(prefix) || !link.endsWith(')')) throw new Error(`unexpected markdown link shape: ${link}`);
  return link.slice(prefix.length, -1);
}

/** The text that fills the target of `link`: `(destination)`. */
export function filledTarget(destination: string): string {
  return `(${destination})`;
}

/** Whether the character at `index` is escaped by an odd number of backslashes before it. */
function isEscaped(text: string, index: number): boolean {
  let count = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

/**
 * For every `[` of link text, the `]` that closes it: brackets nest, escapes are honoured, code spans and comments
 * are skipped, and a blank line or a code block ends a paragraph (link text never spans one). One pass with a stack,
 * so a text full of unclosed brackets costs no more than any other.
 */
function matchBrackets(text: string, excluded: readonly Span[]): Map<number, number> {
  const closers = new Map<number, number>();
  const open: number[] = [];
  let next = 0; // the next excluded span
  for (let i = 0; i < text.length; i++) {
    const span = excluded[next];
    if (span && i >= span.start) {
      if (span.block || /\n[ \t]*\r?\n/.test(text.slice(span.start, span.end))) open.length = 0;
      i = span.end - 1;
      next++;
      continue;
    }
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '\n') {
      if (isBlankLineAfter(text, i)) open.length = 0;
    } else if (c === '[') open.push(i);
    else if (c === ']') {
      const opener = open.pop();
      if (opener !== undefined) closers.set(opener, i);
    }
  }
  return closers;
}

/** Whether the line that starts after the line break at `newline` is blank. */
function isBlankLineAfter(text: string, newline: number): boolean {
  for (let i = newline + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') return true;
    if (c !== ' ' && c !== '\t' && c !== '\r') return false;
  }
  return true;
}

/** For `(` at `open`: the offset after the `)` when what is inside is empty, blank, or `<>`; else undefined. */
function emptyTarget(text: string, open: number): number | undefined {
  EMPTY_TARGET.lastIndex = open;
  const match = EMPTY_TARGET.exec(text);
  if (!match) return undefined;
  // At most one line break inside the parentheses (two would be a blank line: the paragraph ends).
  if (match[1] !== undefined && match[2] !== undefined) return undefined;
  return open + match[0].length;
}

/** Labels match case-insensitively with whitespace collapsed (CommonMark's label normalisation, simplified). */
function normalizeLabel(label: string): string {
  return label.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Labels of the link reference definitions (`[label]: destination`) outside code. */
function referenceDefinitions(text: string, excluded: readonly Span[]): Set<string> {
  const labels = new Set<string>();
  const isExcluded = spanLookup(excluded);
  const definition = /^ {0,3}(?:>[ \t]?)*\[((?:\\.|[^\\\]\n])+)\]:/gm;
  for (const match of text.matchAll(definition)) {
    const label = match[1];
    if (label !== undefined && !isExcluded(match.index)) labels.add(normalizeLabel(label));
  }
  return labels;
}

/** A lookup over sorted, disjoint spans. */
function spanLookup(spans: readonly Span[]): (offset: number) => boolean {
  return (offset) => {
    let low = 0;
    let high = spans.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const span = spans[mid] as Span;
      if (offset < span.start) high = mid - 1;
      else if (offset >= span.end) low = mid + 1;
      else return true;
    }
    return false;
  };
}

/** Front matter, code and HTML blocks, HTML comments and code spans, in document order and disjoint. */
function excludedSpans(text: string): Span[] {
  const blocks = blockSpans(text);
  const comments = new CommentEnds(text);
  const spans: Span[] = [];
  let position = 0;
  for (const block of blocks) {
    for (const span of inlineSpans(text, position, block.start, comments)) spans.push(span);
    spans.push(block);
    position = block.end;
  }
  for (const span of inlineSpans(text, position, text.length, comments)) spans.push(span);
  return spans;
}

/**
 * Front matter at the very start, then the code and HTML blocks as markdown-it sees them (fenced, indented, HTML
 * blocks; inside block quotes and lists too). A document too long for markdown-it (`MAX_PARSED_LENGTH`) gets the
 * simpler rules instead: fenced code blocks only.
 */
function blockSpans(text: string): Span[] {
  const lines = lineStarts(text);
  const lineText = (i: number): string => {
    const start = lines[i] as number;
    const end = i + 1 < lines.length ? (lines[i + 1] as number) : text.length;
    return text.slice(start, end).replace(/\r?\n$/, '');
  };
  const lineEnd = (i: number): number => (i + 1 < lines.length ? (lines[i + 1] as number) : text.length);

  const spans: Span[] = [];
  let index = 0;
  if (lines.length > 0 && /^---[ \t]*$/.test(lineText(0))) {
    for (let i = 1; i < lines.length; i++) {
      if (/^(?:---|\.\.\.)[ \t]*$/.test(lineText(i))) {
        spans.push({ start: 0, end: lineEnd(i), block: true });
        index = i + 1;
        break;
      }
    }
  }
  const frontMatterEnd = spans[0]?.end ?? 0;
  // markdown-it does not know front matter: its lines are blanked (same length, so the offsets stay), else a
  // `---` or a ``` in it would change how the rest is read.
  const parsed = frontMatterEnd === 0 ? text : text.slice(0, frontMatterEnd).replace(/[^\r\n]/g, ' ') + text.slice(frontMatterEnd);
  const blocks = markdownBlocks(parsed);
  if (blocks !== undefined) {
    for (const block of blocks) if (block.start >= frontMatterEnd && block.end > block.start) spans.push({ start: block.start, end: block.end, block: true });
    return spans;
  }
  return spans.concat(fencedBlocks(text, index, lines, lineText, lineEnd));
}

/** Fenced code blocks (``` or ~~~, inside block quotes and lists too) from line `index` on: the simpler rules. */
function fencedBlocks(text: string, index: number, lines: readonly number[], lineText: (i: number) => string, lineEnd: (i: number) => number): Span[] {
  const spans: Span[] = [];
  const opening = /^(?:[ \t]*>)*[ \t]*(`{3,}|~{3,})(.*)$/;
  while (index < lines.length) {
    const match = opening.exec(lineText(index));
    const fence = match?.[1];
    if (!match || fence === undefined || (fence.startsWith('`') && (match[2] ?? '').includes('`'))) {
      index++;
      continue;
    }
    const closing = new RegExp(`^(?:[ \\t]*>)*[ \\t]*${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`);
    let end = text.length;
    let next = lines.length;
    for (let i = index + 1; i < lines.length; i++) {
      if (closing.test(lineText(i))) {
        end = lineEnd(i);
        next = i + 1;
        break;
      }
    }
    spans.push({ start: lines[index] as number, end, block: true });
    index = next;
  }
  return spans;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    if (i + 1 < text.length) starts.push(i + 1);
  }
  return text.length === 0 ? [] : starts;
}

/** HTML comments and code spans between `from` and `to` (outside blocks), whichever starts first winning. */
function inlineSpans(text: string, from: number, to: number, comments: CommentEnds): Span[] {
  const spans: Span[] = [];
  const closers = new BacktickClosers(text, from, to);
  let i = from;
  while (i < to) {
    const c = text[i];
    if (c === '<' && text.startsWith('<!--', i)) {
      const close = comments.after(i + 4);
      const end = close === -1 || close + 3 > to ? to : close + 3;
      spans.push({ start: i, end });
      i = end;
      continue;
    }
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '`') {
      let run = 1;
      while (text[i + run] === '`') run++;
      const close = closers.next(i + run, run);
      if (close !== undefined) {
        spans.push({ start: i, end: close + run });
        i = close + run;
      } else {
        i += run; // no closer: the backticks are literal
      }
      continue;
    }
    i++;
  }
  return spans;
}

/** The next `-->`, remembered across segments: the offsets asked for only grow, so one answer serves many. */
class CommentEnds {
  private found = -2;

  constructor(private readonly text: string) {}

  after(offset: number): number {
    if (this.found !== -1 && this.found < offset) this.found = this.text.indexOf('-->', offset);
    return this.found;
  }
}

/**
 * Finds the run of exactly n backticks that closes a code span, in the same paragraph. The runs and the blank lines
 * are indexed once, so each lookup is a binary search: a text full of unmatched backticks stays linear.
 */
class BacktickClosers {
  /** Starts of the maximal backtick runs, by run length, in order. */
  private readonly runs = new Map<number, number[]>();
  /** Offsets of the line breaks that are followed by a blank line (paragraph ends), in order. */
  private readonly paragraphEnds: number[] = [];

  constructor(text: string, from: number, private readonly to: number) {
    for (let i = from; i < to; i++) {
      const c = text[i];
      if (c === '`') {
        let run = 1;
        while (i + run < to && text[i + run] === '`') run++;
        const starts = this.runs.get(run) ?? [];
        starts.push(i);
        this.runs.set(run, starts);
        i += run - 1;
      } else if (c === '\n' && isBlankLineAfter(text, i)) {
        this.paragraphEnds.push(i);
      }
    }
  }

  /** The start of the first run of exactly `length` backticks at or after `after`, before the paragraph ends. */
  next(after: number, length: number): number | undefined {
    const starts = this.runs.get(length);
    if (!starts) return undefined;
    const candidate = starts[firstAtOrAfter(starts, after)];
    if (candidate === undefined || candidate >= this.to) return undefined;
    const paragraphEnd = this.paragraphEnds[firstAtOrAfter(this.paragraphEnds, after)];
    return paragraphEnd !== undefined && paragraphEnd < candidate ? undefined : candidate;
  }
}

/** The index of the first value ≥ `target` in an ascending array (its length when there is none). */
function firstAtOrAfter(sorted: readonly number[], target: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((sorted[mid] as number) < target) low = mid + 1;
    else high = mid;
  }
  return low;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

/** The entities a writer is likely to type in alt text: the common named ones and numeric references. */
function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));/g, (whole, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED_ENTITIES[name] ?? whole;
    const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
    if (!Number.isFinite(code) || code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
    return String.fromCodePoint(code);
  });
}
