/**
 * Where a markdown document has code blocks and raw HTML blocks, as `markdown-it` (the parser of VS Code's
 * preview and markdown language service) sees them: fenced code (```` ``` ````, `~~~`), indented code (four
 * spaces), and HTML blocks (`<div>` … up to a blank line, `<!-- … -->`, `<pre>`, a tag alone on its line, …),
 * also inside block quotes and list items. Text there is not rendered as markdown, so an image link written in it
 * is not an image. Only the block structure is parsed (markdown-it's `inline` stage is disabled): its tokens
 * `fence`, `code_block` and `html_block` carry the lines they cover (`map`).
 *
 * Bounded: a document longer than `MAX_PARSED_LENGTH` is not parsed (`markdownBlocks` returns undefined and the
 * caller keeps its own, simpler rules); below that, markdown-it's block parser is linear in practice and its nesting
 * is capped (`maxNesting`), so a hostile document costs about what an ordinary one of the same size does. The last
 * answer is kept, since the CodeLens and the code action ask about the same text one after the other.
 *
 * markdown-it is loaded on the first parse, not at activation: in the extension it is `dist/markdown-it.js` beside
 * the bundle (esbuild.mjs), required by path only when a markdown document is first scanned.
 */

/**
 * Longer documents are not parsed. A long README is 50 KB; 256 KiB of ordinary markdown takes markdown-it's block
 * parser about 100 ms of CPU on a busy machine, and the costliest shapes (tables, setext headings) about four times
 * that, for every change of the document.
 */
export const MAX_PARSED_LENGTH = 256 * 1024;

export interface MarkdownBlock {
  kind: 'fence' | 'code_block' | 'html_block';
  /** The lines it covers, 0-based, `endLine` excluded; lines end at `\n`, `\r\n` or `\r`, as in markdown-it. */
  startLine: number;
  endLine: number;
  /** The same lines as offsets into the text: from the start of `startLine` to the start of `endLine` (or the end). */
  start: number;
  end: number;
}

type MarkdownItModule = typeof import('markdown-it').default;
type MarkdownIt = InstanceType<MarkdownItModule>;

let parser: MarkdownIt | undefined;
let last: { text: string; blocks: MarkdownBlock[] } | undefined;

/** markdown-it as VS Code's preview configures it for HTML (`html: true`), with the inline stage switched off. */
function markdownIt(): MarkdownIt {
  if (parser === undefined) {
    const MarkdownItClass = require('markdown-it') as MarkdownItModule;
    parser = new MarkdownItClass('default', { html: true });
    parser.disable('inline');
  }
  return parser;
}

/**
 * The code and HTML blocks of `text`, in document order and disjoint, or undefined when `text` is longer than
 * `MAX_PARSED_LENGTH` (it was not parsed).
 */
export function markdownBlocks(text: string): MarkdownBlock[] | undefined {
  if (text.length > MAX_PARSED_LENGTH) return undefined;
  if (last !== undefined && last.text === text) return last.blocks;
  const tokens = markdownTokens(text);
  const lineStarts = lineStartOffsets(text);
  const offsetOfLine = (line: number): number => lineStarts[line] ?? text.length;
  const blocks: MarkdownBlock[] = [];
  for (const token of tokens) {
    if (token.type !== 'fence' && token.type !== 'code_block' && token.type !== 'html_block') continue;
    if (!token.map) continue;
    const [startLine, endLine] = token.map;
    blocks.push({ kind: token.type, startLine, endLine, start: offsetOfLine(startLine), end: offsetOfLine(endLine) });
  }
  last = { text, blocks };
  return blocks;
}

export type MarkdownToken = ReturnType<MarkdownIt['parse']>[number];

let lastTokens: { text: string; tokens: MarkdownToken[] } | undefined;

/**
 * markdown-it's block tokens of `text` (headings, paragraphs, lists, code, HTML; `inline` tokens keep their raw
 * `content`, unparsed). The caller checks `MAX_PARSED_LENGTH` first. The last answer is kept.
 */
export function markdownTokens(text: string): MarkdownToken[] {
  if (lastTokens !== undefined && lastTokens.text === text) return lastTokens.tokens;
  const tokens = markdownIt().parse(text, {});
  lastTokens = { text, tokens };
  return tokens;
}

/** The offset where each line starts; a line ends at `\r\n`, `\n` or `\r` (markdown-it normalises all three). */
function lineStartOffsets(text: string): number[] {
  const starts = [0];
  const breaks = /\r\n?|\n/g;
  for (let match = breaks.exec(text); match !== null; match = breaks.exec(text)) starts.push(match.index + match[0].length);
  return starts;
}
