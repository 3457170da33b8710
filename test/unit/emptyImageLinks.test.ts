import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { filledTarget, findEmptyImageLinks, markdownImageDestination, markdownLanguageIds, promptFromAlt } from '../../src/core/markdown/emptyImageLinks';
import { isMarkdownLanguage } from '../../src/core/markdown/links';
import { MAX_PARSED_LENGTH } from '../../src/core/markdown/markdownBlocks';

/** The links found in `text`, as what a reader checks: the kind, the raw alt, the prompt, and the target text. */
function found(text: string): { kind: string; rawAlt: string; prompt: string; target: string }[] {
  return findEmptyImageLinks(text).map((link) => ({
    kind: link.kind,
    rawAlt: link.rawAlt,
    prompt: link.prompt,
    target: text.slice(link.targetStart, link.targetEnd),
  }));
}

/** `text` with every found link's target filled with `(dest)`, from the end so offsets stay valid. */
function fillAll(text: string, dest: string): string {
  let out = text;
  for (const link of [...findEmptyImageLinks(text)].reverse()) {
    out = out.slice(0, link.targetStart) + filledTarget(dest) + out.slice(link.targetEnd);
  }
  return out;
}

describe('findEmptyImageLinks', () => {
  const candidates: [string, string, { kind: string; rawAlt: string; prompt: string; target: string }[]][] = [
    ['empty parentheses', '![a fox detective in neon rain]()', [{ kind: 'empty', rawAlt: 'a fox detective in neon rain', prompt: 'a fox detective in neon rain', target: '()' }]],
    ['blank parentheses', 'See ![a fox]( ) here', [{ kind: 'empty', rawAlt: 'a fox', prompt: 'a fox', target: '( )' }]],
    ['empty angle brackets', '![a fox](<>)', [{ kind: 'empty', rawAlt: 'a fox', prompt: 'a fox', target: '(<>)' }]],
    ['angle brackets with spaces', '![a fox]( <> )', [{ kind: 'empty', rawAlt: 'a fox', prompt: 'a fox', target: '( <> )' }]],
    ['one line break inside the parentheses', '![a fox](\n)', [{ kind: 'empty', rawAlt: 'a fox', prompt: 'a fox', target: '(\n)' }]],
    ['missing target at the end of a line', 'Intro ![a lighthouse at dusk]\nmore', [{ kind: 'missing', rawAlt: 'a lighthouse at dusk', prompt: 'a lighthouse at dusk', target: '' }]],
    ['missing target at the end of the text', '![a lighthouse]', [{ kind: 'missing', rawAlt: 'a lighthouse', prompt: 'a lighthouse', target: '' }]],
    ['missing target followed by text', '![a lighthouse] and more', [{ kind: 'missing', rawAlt: 'a lighthouse', prompt: 'a lighthouse', target: '' }]],
    ['escaped brackets in the alt', '![a \\[red\\] fox]()', [{ kind: 'empty', rawAlt: 'a \\[red\\] fox', prompt: 'a [red] fox', target: '()' }]],
    ['balanced brackets in the alt', '![a [red] fox]()', [{ kind: 'empty', rawAlt: 'a [red] fox', prompt: 'a [red] fox', target: '()' }]],
    ['entities in the alt', '![cats &amp; dogs &#x1F431;]()', [{ kind: 'empty', rawAlt: 'cats &amp; dogs &#x1F431;', prompt: 'cats & dogs 🐱', target: '()' }]],
    ['alt over two lines', '![a fox\nin the snow]()', [{ kind: 'empty', rawAlt: 'a fox\nin the snow', prompt: 'a fox in the snow', target: '()' }]],
    ['Chinese alt', '![雨夜里的狐狸侦探]()', [{ kind: 'empty', rawAlt: '雨夜里的狐狸侦探', prompt: '雨夜里的狐狸侦探', target: '()' }]],
    ['inside a link (badge)', '[![a badge]()](https://example.com)', [{ kind: 'empty', rawAlt: 'a badge', prompt: 'a badge', target: '()' }]],
    ['several on one line', '![one]() and ![two]( ) and ![three](x.png)', [
      { kind: 'empty', rawAlt: 'one', prompt: 'one', target: '()' },
      { kind: 'empty', rawAlt: 'two', prompt: 'two', target: '( )' },
    ]],
    ['a code span in the alt', '![the `]` key]()', [{ kind: 'empty', rawAlt: 'the `]` key', prompt: 'the `]` key', target: '()' }]],
    ['after a closed fence', '```\n![in code]()\n```\n![after]()', [{ kind: 'empty', rawAlt: 'after', prompt: 'after', target: '()' }]],
    ['after a code span', '`![in code]()` then ![after]()', [{ kind: 'empty', rawAlt: 'after', prompt: 'after', target: '()' }]],
    ['a literal backtick does not open a span', 'a ` tick ![fox]()', [{ kind: 'empty', rawAlt: 'fox', prompt: 'fox', target: '()' }]],
    ['a definition for another label', '![fox]\n\n[dog]: dog.png', [{ kind: 'missing', rawAlt: 'fox', prompt: 'fox', target: '' }]],
  ];
  for (const [name, text, expected] of candidates) {
    it(`finds: ${name}`, () => assert.deepEqual(found(text), expected));
  }

  const ignored: [string, string][] = [
    ['a link with a target', '![a fox](images/fox.png)'],
    ['a target with a title only after the path', '![a fox](fox.png "Fox")'],
    ['a full reference', '![a fox][fox]\n\n[fox]: fox.png'],
    ['a collapsed reference', '![a fox][]'],
    ['a shortcut reference with a definition', '![a fox]\n\n[A  Fox]: fox.png'],
    ['a definition inside a block quote', '![a fox]\n\n> [a fox]: fox.png'],
    ['an empty alt', '![]()'],
    ['a blank alt', '![  ]()'],
    ['an escaped bang', '\\![a fox]()'],
    ['an escaped bracket', '!\\[a fox]()'],
    ['a shebang-like #!', '#![no_std]'],
    ['an unclosed alt', '![a fox'],
    ['an alt cut by a blank line', '![a fox\n\nin the snow]()'],
    ['a target that spans a blank line', '![a fox](\n\n)'],
    ['an unclosed parenthesis', '![a fox]( and more'],
    ['inside a fenced block', '```md\n![a fox]()\n```'],
    ['inside a tilde fence', '~~~\n![a fox]\n~~~'],
    ['inside an unclosed fence', 'text\n```\n![a fox]()'],
    ['inside an indented fence in a list', '- item\n\n    ```\n    ![a fox]()\n    ```'],
    ['inside a fence in a block quote', '> ```\n> ![a fox]()\n> ```'],
    ['inside a code span', 'Write `![a fox]()` to get one.'],
    ['inside a double-backtick code span', 'Write ``![a fox]() ` here`` to get one.'],
    ['inside an HTML comment', '<!-- ![a fox]() -->'],
    ['inside front matter', '---\ntitle: ![a fox]()\n---\n# Doc'],
    ['a longer fence is not closed by a shorter one', '````\n```\n![a fox]()\n```\n````'],
  ];
  for (const [name, text] of ignored) {
    it(`ignores: ${name}`, () => assert.deepEqual(found(text), []));
  }

  it('reports offsets that cover the link, the alt and the target', () => {
    const text = 'Intro: ![a fox]( ) end';
    const [link] = findEmptyImageLinks(text);
    assert.ok(link);
    assert.equal(text.slice(link.start, link.end), '![a fox]( )');
    assert.equal(text.slice(link.altStart, link.altEnd), 'a fox');
    assert.equal(text.slice(link.targetStart, link.targetEnd), '( )');
  });

  it('fills only the target: the alt and the rest of the line stay exactly as written', () => {
    const text = '> Before ![a \\[red\\] fox &amp; hen]( ) after ![dusk] end *emph*';
    assert.equal(
      fillAll(text, 'images/x.png'),
      '> Before ![a \\[red\\] fox &amp; hen](images/x.png) after ![dusk](images/x.png) end *emph*',
    );
  });

  it('finds the link of a CRLF document and keeps its line endings', () => {
    const text = '# T\r\n\r\n![a fox]()\r\n\r\n```\r\n![code]()\r\n```\r\n';
    assert.equal(fillAll(text, 'a.png'), '# T\r\n\r\n![a fox](a.png)\r\n\r\n```\r\n![code]()\r\n```\r\n');
  });

  it('finds nothing in an empty text', () => assert.deepEqual(findEmptyImageLinks(''), []));

  // The CodeLens runs on every change of the document: text full of unclosed brackets, unmatched backticks or
  // parentheses that never close must not make it quadratic (these took 15 s and more before the scan was linear).
  const pathological: [string, string][] = [
    ['unclosed image brackets', '![a '.repeat(50_000)],
    ['parentheses that never close', '![a](  '.repeat(50_000)],
    ['backtick runs of growing length', Array.from({ length: 700 }, (_, i) => `${'`'.repeat(i + 1)} x `).join('')],
    ['comments cut by code blocks', '<!-- a\n```\nb\n```\n'.repeat(20_000) + '-->'],
  ];
  for (const [name, text] of pathological) {
    it(`stays fast on ${name}`, () => {
      const started = performance.now();
      findEmptyImageLinks(text);
      assert.ok(performance.now() - started < 2_000, `took ${Math.round(performance.now() - started)} ms`);
    });
  }
});

describe('promptFromAlt', () => {
  const cases: [string, string][] = [
    ['a fox', 'a fox'],
    ['a \\[fox\\]', 'a [fox]'],
    ['keeps \\a backslash before a letter', 'keeps \\a backslash before a letter'],
    ['a\\\\b', 'a\\b'],
    ['  spaced\n\tout  ', 'spaced out'],
    ['&lt;tag&gt; &quot;q&quot; &unknown;', '<tag> "q" &unknown;'],
    ['&#65;&#x42;&#0;', 'AB\ufffd'],
  ];
  for (const [raw, prompt] of cases) it(`${JSON.stringify(raw)} → ${JSON.stringify(prompt)}`, () => assert.equal(promptFromAlt(raw), prompt));
});

describe('markdownImageDestination', () => {
  const cases: [string, Parameters<typeof markdownImageDestination>[0], string][] = [
    ['next to the document', { imagePath: '/w/docs/images/fox.png', documentPath: '/w/docs/guide.md', workspaceFolderPath: '/w' }, 'images/fox.png'],
    ['in a parent folder', { imagePath: '/w/images/fox.png', documentPath: '/w/docs/guide.md', workspaceFolderPath: '/w' }, '../images/fox.png'],
    ['with a space', { imagePath: '/w/docs/my images/fox.png', documentPath: '/w/docs/guide.md' }, '<my images/fox.png>'],
    ['with an unbalanced parenthesis', { imagePath: '/w/docs/a)b.png', documentPath: '/w/docs/guide.md' }, '<a)b.png>'],
    ['without a document', { imagePath: '/w/images/fox.png', workspaceFolderPath: '/w' }, 'images/fox.png'],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.equal(markdownImageDestination(input), expected));
});

describe('markdownLanguageIds', () => {
  it('offers the actions exactly where a generated image is inserted as a markdown link', () => {
    for (const id of markdownLanguageIds) assert.ok(isMarkdownLanguage(id), id);
    assert.ok(markdownLanguageIds.includes('markdown'));
  });
});

describe('findEmptyImageLinks: indented code and HTML blocks, as markdown-it sees them (issue 10)', () => {
  const ignored: [string, string][] = [
    ['an indented code block', 'Text\n\n    ![a fox]()\n'],
    ['an indented code block at the start', '    ![a fox]()'],
    ['an indented code block with a tab', '\t![a fox]()'],
    ['an indented code block in a list item', '- item\n\n      ![a fox]()'],
    ['an indented code block in a block quote', '>     ![a fox]()'],
    ['a missing target in an indented code block', 'Text\n\n    ![a fox]\n'],
    ['inside a <div> block', '<div>\n![a fox]()\n</div>'],
    ['a <div> block on one line', '<div>![a fox]()</div>'],
    ['inside a <pre> block, across a blank line', '<pre>\n\n![a fox]()\n\n</pre>'],
    ['inside a <details> block in a list item', '- <details>\n  ![a fox]()\n  </details>'],
    ['an HTML block in a block quote', '> <div>\n> ![a fox]()'],
    ['after a tag alone on its line (HTML block of type 7)', '<img src="x.png">\n![a fox]()'],
    ['inside a multi-line HTML comment block', '<!--\n\n![a fox]()\n\n-->'],
  ];
  for (const [name, text] of ignored) {
    it(`ignores: ${name}`, () => assert.deepEqual(found(text), []));
  }

  const candidates: [string, string, string[]][] = [
    ['after a <div> block ended by a blank line (rendered as markdown)', '<div>\n\n![a fox]()\n\n</div>', ['a fox']],
    ['an indented line that continues a paragraph', 'Intro\n    ![a fox]()', ['a fox']],
    ['inline HTML in a paragraph', 'Some <span>x</span> ![a fox]()', ['a fox']],
    ['a list item indented by four spaces', '- item\n\n    ![a fox]()', ['a fox']],
    ['after a <div> block, in CRLF', '<div>\r\n![in html]()\r\n\r\n![a fox]()\r\n', ['a fox']],
    ['an unclosed fence in a block quote ends with the quote', '> ```\n> ![in code]()\n\n![a fox]()', ['a fox']],
    ['``` inside an indented code block opens no fence', '    ```\n\n![a fox]()', ['a fox']],
    ['front matter holding a <div> line does not open an HTML block', '---\nx: <div>\n---\n![a fox]()', ['a fox']],
    ['front matter holding ``` does not open a fence', '---\nx: ```\n---\n![a fox]()', ['a fox']],
  ];
  for (const [name, text, alts] of candidates) {
    it(`finds: ${name}`, () => assert.deepEqual(found(text).map((l) => l.rawAlt), alts));
  }

  it(`a document over ${MAX_PARSED_LENGTH} characters is not parsed by markdown-it: fenced code is still skipped, indented code is not`, () => {
    const tail = '\n\n    ![indented]()\n\n```\n![fenced]()\n```\n\n<div>\n![html]()\n</div>\n';
    const text = `${'x'.repeat(MAX_PARSED_LENGTH)}${tail}`;
    assert.deepEqual(found(text).map((l) => l.rawAlt), ['indented', 'html']);
    // Under the cap, all three are skipped.
    assert.deepEqual(found(`${'x'.repeat(MAX_PARSED_LENGTH - tail.length)}${tail}`), []);
  });
});
