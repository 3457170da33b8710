/**
 * The code and HTML blocks of a markdown document, from markdown-it's block tokens: which lines, which offsets,
 * and that a hostile document stays bounded (not parsed above the cap; below it, no shape costs much more CPU
 * than ordinary markdown of the same size).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PARSED_LENGTH, markdownBlocks } from '../../src/core/markdown/markdownBlocks';

/** The blocks as `kind lines text`, the text being what the offsets cover. */
function blocksOf(text: string): string[] {
  return (markdownBlocks(text) ?? []).map((b) => `${b.kind} ${b.startLine}-${b.endLine} ${JSON.stringify(text.slice(b.start, b.end))}`);
}

describe('markdownBlocks', () => {
  it('finds fenced code, indented code and HTML blocks with their lines and offsets', () => {
    const text = ['# Title', '', '```js', 'x', '```', '', '    indented', '', '<div>', 'html', '</div>', '', 'text', ''].join('\n');
    assert.deepEqual(blocksOf(text), [
      'fence 2-5 "```js\\nx\\n```\\n"',
      'code_block 6-7 "    indented\\n"',
      'html_block 8-11 "<div>\\nhtml\\n</div>\\n"',
    ]);
  });

  it('inside block quotes and list items the block covers whole lines', () => {
    assert.deepEqual(blocksOf('> ```\n> x\n> ```\n\n- item\n\n      code\n'), ['fence 0-3 "> ```\\n> x\\n> ```\\n"', 'code_block 6-7 "      code\\n"']);
    assert.deepEqual(blocksOf('> <div>\n> x\n\nafter'), ['html_block 0-2 "> <div>\\n> x\\n"']);
  });

  it('CRLF and lone CR end lines as they do for markdown-it', () => {
    assert.deepEqual(blocksOf('a\r\n\r\n    code\r\n\r\nb'), ['code_block 2-3 "    code\\r\\n"']);
    assert.deepEqual(blocksOf('a\r\r    code\r\rb'), ['code_block 2-3 "    code\\r"']);
  });

  it('an unclosed fence runs to the end of its container; a blank line ends a <div> block', () => {
    assert.deepEqual(blocksOf('```\nx'), ['fence 0-2 "```\\nx"']);
    assert.deepEqual(blocksOf('> ```\n> x\n\ny'), ['fence 0-2 "> ```\\n> x\\n"']);
    assert.deepEqual(blocksOf('<div>\nx\n\ny\n'), ['html_block 0-2 "<div>\\nx\\n"']);
  });

  it('an indented line cannot interrupt a paragraph, so it is no code block', () => {
    assert.deepEqual(blocksOf('text\n    more'), []);
  });

  it('answers the same text twice with the same result (kept), a different text anew', () => {
    const first = markdownBlocks('    a\n');
    assert.equal(markdownBlocks('    a\n'), first);
    assert.notEqual(markdownBlocks('    b\n'), first);
  });

  it(`parses a text of ${MAX_PARSED_LENGTH} characters; a longer one is not parsed at all`, () => {
    const atCap = `    code\n\n${'x'.repeat(MAX_PARSED_LENGTH - 10)}`;
    assert.equal(atCap.length, MAX_PARSED_LENGTH);
    assert.deepEqual(markdownBlocks(atCap)?.map((b) => b.kind), ['code_block']);
    assert.equal(markdownBlocks(`${atCap}x`), undefined);
  });
});

/** CPU time (user + system) this process spent in `fn`, in ms: other processes do not add to it. */
function cpuMs(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** `unit` repeated to exactly `length` characters. */
function fill(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

describe('markdownBlocks stays bounded on hostile documents', () => {
  // Ordinary markdown: headings (both kinds), paragraphs, lists, a table, code, a quote, HTML.
  const ordinary = '# Title\n\nSome text with ![a fox]() and *emph*, `code`.\n\nSetext\n===\n\n- a list\n- item\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```js\ncode\n```\n\n    indented\n\n> quote\n\n<div>\nhtml\n</div>\n\n';
  // Shapes that make block parsers work hard: deep nesting (capped by maxNesting), many or unclosed reference
  // definitions, lazy continuation lines, HTML and fence openers that never close, tables, setext underlines,
  // blank lines and lone CRs, long runs of one character.
  const hostile: [name: string, unit: string][] = [
    ['nested block quotes', '>'],
    ['block quotes and lists nested in turn', '> - > 1. '],
    ['nested lists', `${Array.from({ length: 300 }, (_, i) => `${' '.repeat(i * 2)}- x\n`).join('')}`],
    ['reference definitions', '[a]: b\n'],
    ['unclosed reference labels', '[a\n'],
    ['lazy continuation lines', '> a\nb\n'],
    ['unclosed HTML blocks', '<div>\n'],
    ['HTML blocks of a lone custom tag', '<x-a>\n\n'],
    ['fence openers', '```\n'],
    ['tables', '|a|b|\n|-|-|\n'],
    ['setext headings', 'a\n=\n'],
    ['blank lines', '\n'],
    ['lone CRs', '\r'],
    ['tabs and spaces', ' \t  \t    x\n'],
  ];
  const best = (text: string) => Math.min(cpuMs(() => markdownBlocks(`${text}a`)), cpuMs(() => markdownBlocks(`${text}b`)), cpuMs(() => markdownBlocks(`${text}c`)));

  it(`no hostile shape of ${MAX_PARSED_LENGTH} characters costs more than 10 times the CPU of ordinary markdown of that size`, () => {
    const length = MAX_PARSED_LENGTH - 1;
    best(fill(ordinary, length)); // warms markdown-it up
    const base = Math.max(best(fill(ordinary, length)), 1);
    const ratios = hostile.map(([name, unit]) => {
      const text = fill(unit, length);
      assert.ok(markdownBlocks(`${text}a`) !== undefined, `${name} was parsed`);
      return { name, ratio: best(text) / base };
    });
    const report = ratios.map((r) => `${r.name}: ${r.ratio.toFixed(2)}`).join(', ');
    assert.ok(
      ratios.every((r) => r.ratio < 10),
      `ordinary: ${base.toFixed(1)} ms of CPU; the hostile shapes, as multiples of it: ${report}`,
    );
  });
});
