/** "Illustrate This Section": the prompt from the headings and the paragraph at the cursor (src/core/markdown/sectionPrompt.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SECTION_PROMPT_BUDGET, plainText, sectionPrompt } from '../../src/core/markdown/sectionPrompt';

const doc = [
  '# 产品指南 Product Guide', // 0
  '',
  'Intro paragraph.', // 2
  '',
  '## Install', // 4
  '',
  '```sh', // 6
  '# not a heading',
  '```',
  '',
  '### On Windows', // 10
  '',
  'Run the **installer** and follow [the wizard](https://example.com).', // 12
  'It asks for a `folder` first.', // 13
  '',
  'Then restart.', // 15
  '',
  '## Use', // 17
  '',
  'Open a file.', // 19
  '',
].join('\n');

const offsetOf = (line: number, column = 0): number => doc.split('\n').slice(0, line).join('\n').length + (line > 0 ? 1 : 0) + column;

describe('sectionPrompt', () => {
  it('the cursor inside a paragraph: the heading path (code blocks are no headings) and that paragraph as plain text', () => {
    const section = sectionPrompt(doc, offsetOf(13, 5));
    assert.ok(section);
    assert.deepEqual(section.headings, ['产品指南 Product Guide', 'Install', 'On Windows']);
    assert.equal(section.paragraph, 'Run the installer and follow the wizard. It asks for a folder first.');
    assert.equal(section.prompt, '产品指南 Product Guide › Install › On Windows: Run the installer and follow the wizard. It asks for a folder first.');
    assert.equal(section.insertAt, offsetOf(13) + 'It asks for a `folder` first.'.length, 'after the paragraph\'s last character');
  });

  it('the cursor on a blank line after a paragraph: that paragraph; on a heading line: the first paragraph below it', () => {
    assert.equal(sectionPrompt(doc, offsetOf(16))?.paragraph, 'Then restart.');
    assert.equal(sectionPrompt(doc, offsetOf(17, 3))?.paragraph, 'Open a file.');
    assert.deepEqual(sectionPrompt(doc, offsetOf(17, 3))?.headings, ['产品指南 Product Guide', 'Use']);
  });

  it('a section without a paragraph of its own gives nothing rather than a paragraph of another section', () => {
    const text = ['# A', '', 'Text of A.', '', '## B', '', '```', 'code', '```', ''].join('\n');
    assert.equal(sectionPrompt(text, text.indexOf('code')), undefined);
  });

  it('a long paragraph is cut to the budget at a sentence end; the headings stay', () => {
    const sentence = 'The harbour at dawn has fishing boats and gulls over calm water. ';
    const text = `# Harbour\n\n${sentence.repeat(40)}\n`;
    const section = sectionPrompt(text, text.length - 3);
    assert.ok(section);
    assert.ok(Array.from(section.prompt).length <= SECTION_PROMPT_BUDGET, `${section.prompt.length}`);
    assert.match(section.prompt, /^Harbour: The harbour at dawn/);
    assert.match(section.prompt, /water\.…$/);
  });

  it('CRLF documents: the link goes before the line break', () => {
    const text = '# T\r\n\r\nA paragraph\r\non two lines.\r\n\r\nNext.\r\n';
    const section = sectionPrompt(text, 10);
    assert.equal(section?.paragraph, 'A paragraph on two lines.');
    assert.equal(text.slice(0, section?.insertAt), '# T\r\n\r\nA paragraph\r\non two lines.');
  });

  it('plainText unwraps markup and drops images and tags', () => {
    assert.equal(plainText('A ![pic](x.png) **bold** _it_ `code` [link](u) <b>tag</b> \\*star\\*'), 'A bold it code link tag *star*');
  });
});
