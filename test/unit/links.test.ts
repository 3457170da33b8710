import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { altFromPrompt, formatInsertion, isMarkdownLanguage, type InsertionInput } from '../../src/core/markdown/links';

describe('isMarkdownLanguage', () => {
  for (const id of ['markdown', 'mdx', 'quarto', 'rmd', 'markdown-math', 'Markdown']) {
    it(`${id} is markdown`, () => assert.equal(isMarkdownLanguage(id), true));
  }
  for (const id of ['plaintext', 'html', 'typescript', 'latex', 'restructuredtext', '']) {
    it(`${JSON.stringify(id)} is not`, () => assert.equal(isMarkdownLanguage(id), false));
  }
});

describe('altFromPrompt', () => {
  const cases: [prompt: string, alt: string][] = [
    ['a cute squirrel', 'a cute squirrel'],
    ['  a\n\ncute\t squirrel  ', 'a cute squirrel'],
    ['line\r\nbreak\u0007bell', 'line break bell'],
    ['一只可爱的松鼠', '一只可爱的松鼠'],
    ['[brackets] and \\ backslash', '[brackets] and \\ backslash'],
    ['', ''],
  ];
  for (const [prompt, alt] of cases) {
    it(JSON.stringify(prompt), () => assert.equal(altFromPrompt(prompt), alt));
  }

  it('shortens long prompts at a word boundary with …, within the limit', () => {
    const prompt = 'a cinematic fox detective walking through Bangkok neon rain at midnight, holding a lantern, film grain, 35mm';
    const alt = altFromPrompt(prompt);
    assert.ok([...alt].length <= 80, alt);
    assert.ok(alt.endsWith('…'));
    assert.equal(alt, 'a cinematic fox detective walking through Bangkok neon rain at midnight…');
  });

  it('shortens text without spaces at a character boundary', () => {
    const alt = altFromPrompt('松鼠'.repeat(60), 10);
    assert.equal(alt, '松鼠松鼠松鼠松鼠松…');
  });

  it('never splits an emoji or a surrogate pair', () => {
    const alt = altFromPrompt('👍🏽'.repeat(20), 5);
    assert.equal(alt, '👍🏽👍🏽👍🏽👍🏽…');
  });

  it('a prompt exactly at the limit is kept whole', () => {
    const prompt = 'x'.repeat(80);
    assert.equal(altFromPrompt(prompt), prompt);
  });
});

const doc: Omit<InsertionInput, 'format' | 'alt'> = {
  languageId: 'markdown',
  documentPath: '/ws/docs/guide.md',
  workspaceFolderPath: '/ws',
  imagePath: '/ws/docs/images/a-fox.png',
};

describe('formatInsertion: markdown', () => {
  const cases: { name: string; input: Partial<InsertionInput>; expected: string }[] = [
    { name: 'relative to the document, no ./', input: {}, expected: '![a fox](images/a-fox.png)' },
    { name: 'image in a parent folder', input: { imagePath: '/ws/assets/a-fox.png' }, expected: '![a fox](../assets/a-fox.png)' },
    { name: 'image next to the document', input: { imagePath: '/ws/docs/a-fox.png' }, expected: '![a fox](a-fox.png)' },
    { name: 'spaces → <…>', input: { imagePath: '/ws/docs/my images/a fox.png' }, expected: '![a fox](<my images/a fox.png>)' },
    { name: 'balanced parentheses stay bare', input: { imagePath: '/ws/docs/images/fox(1).png' }, expected: '![a fox](images/fox(1).png)' },
    { name: 'unbalanced parenthesis → <…>', input: { imagePath: '/ws/docs/images/fox(1.png' }, expected: '![a fox](<images/fox(1.png>)' },
    { name: 'closing parenthesis first → <…>', input: { imagePath: '/ws/docs/images/fox)(.png' }, expected: '![a fox](<images/fox)(.png>)' },
    { name: '< and > are escaped inside <…>', input: { imagePath: '/ws/docs/images/a <b>.png' }, expected: '![a fox](<images/a \\<b\\>.png>)' },
    { name: 'a leading < needs brackets', input: { imagePath: '/ws/docs/<x.png' }, expected: '![a fox](<\\<x.png>)' },
    { name: 'CJK path kept as is, not percent-encoded', input: { imagePath: '/ws/docs/images/一只可爱的松鼠.png' }, expected: '![a fox](images/一只可爱的松鼠.png)' },
    { name: 'percent signs kept as is', input: { imagePath: '/ws/docs/images/100%.png' }, expected: '![a fox](images/100%.png)' },
    { name: 'alt brackets and backslashes escaped', input: { alt: 'a [fox] \\ here' }, expected: '![a \\[fox\\] \\\\ here](images/a-fox.png)' },
    { name: 'alt newlines collapsed', input: { alt: 'a\nfox\r\n' }, expected: '![a fox](images/a-fox.png)' },
    { name: 'no document: relative to the workspace folder', input: { documentPath: undefined }, expected: '![a fox](docs/images/a-fox.png)' },
    { name: 'no document and no folder: absolute', input: { documentPath: undefined, workspaceFolderPath: undefined }, expected: '![a fox](/ws/docs/images/a-fox.png)' },
    { name: 'Windows Uri.path form', input: { documentPath: '/c:/p/README.md', imagePath: '/c:/p/images/x.png', workspaceFolderPath: '/c:/p' }, expected: '![a fox](images/x.png)' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(formatInsertion({ ...doc, format: 'markdown', alt: 'a fox', ...c.input }), c.expected));
  }
});

describe('formatInsertion: html', () => {
  it('relative src and escaped attributes', () => {
    assert.equal(
      formatInsertion({ ...doc, format: 'html', alt: 'a "fox" & <cat>', imagePath: '/ws/docs/images/a&b".png' }),
      '<img src="images/a&amp;b&quot;.png" alt="a &quot;fox&quot; &amp; &lt;cat&gt;">',
    );
  });
  it('no markdown escaping of brackets in html', () => {
    assert.equal(formatInsertion({ ...doc, format: 'html', alt: '[x]' }), '<img src="images/a-fox.png" alt="[x]">');
  });
});

describe('formatInsertion: path and auto', () => {
  const cases: { name: string; input: Partial<InsertionInput> & Pick<InsertionInput, 'format'>; expected: string }[] = [
    { name: 'path: relative to the workspace folder', input: { format: 'path' }, expected: 'docs/images/a-fox.png' },
    { name: 'path: absolute without a folder', input: { format: 'path', workspaceFolderPath: undefined }, expected: '/ws/docs/images/a-fox.png' },
    { name: 'path: absolute when outside the folder', input: { format: 'path', imagePath: '/elsewhere/x.png' }, expected: '/elsewhere/x.png' },
    { name: 'path: spaces kept raw', input: { format: 'path', imagePath: '/ws/my pics/x.png' }, expected: 'my pics/x.png' },
    { name: 'auto in markdown → markdown', input: { format: 'auto' }, expected: '![a fox](images/a-fox.png)' },
    { name: 'auto in mdx → markdown', input: { format: 'auto', languageId: 'mdx' }, expected: '![a fox](images/a-fox.png)' },
    { name: 'auto in quarto → markdown', input: { format: 'auto', languageId: 'quarto' }, expected: '![a fox](images/a-fox.png)' },
    { name: 'auto in typescript → path', input: { format: 'auto', languageId: 'typescript' }, expected: 'docs/images/a-fox.png' },
    { name: 'auto without a language → path', input: { format: 'auto', languageId: undefined }, expected: 'docs/images/a-fox.png' },
    { name: 'explicit markdown in a non-markdown file', input: { format: 'markdown', languageId: 'plaintext' }, expected: '![a fox](images/a-fox.png)' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(formatInsertion({ ...doc, alt: 'a fox', ...c.input }), c.expected));
  }
});
