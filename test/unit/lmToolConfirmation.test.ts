/**
 * The agent tool's confirmation (issue 13 item 7): what it says it will spend — requests, images, the model — and,
 * for a fill, the alt texts of the links, bounded and made inert. Composed with an `l10n` that formats like VS Code's,
 * in English and with the real Chinese bundle.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  MAX_CONFIRMATION_ALT_LENGTH,
  MAX_CONFIRMATION_ALT_TEXTS,
  fillConfirmation,
  generateConfirmation,
  type ToolConfirmation,
} from '../../src/vscode/features/lmTool/toolConfirmation';
import type { Translator } from '../../src/vscode/ui/stoppedAfter';

const bundle = JSON.parse(readFileSync(fileURLToPath(new URL('../../l10n/bundle.l10n.zh-cn.json', import.meta.url)), 'utf8')) as Record<string, string>;

function translator(table?: Record<string, string>): Translator {
  return {
    t(message, ...args) {
      const text = table ? table[message] : message;
      assert.ok(text !== undefined, `no translation for "${message}"`);
      return text.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));
    },
  };
}
const en = translator();
const zh = translator(bundle);

/** The message as the dialog shows it (markdown and text parts joined; VS Code escapes the text parts). */
const shown = (c: ToolConfirmation): string => c.parts.map((p) => p.text).join('');
const textParts = (c: ToolConfirmation): string[] => c.parts.filter((p) => p.kind === 'text').map((p) => p.text);
const ZWSP = '\u200b';

describe('the agent tool confirmation: one prompt, variants', () => {
  it('one image: one request, the model, the prompt, where it goes', () => {
    const c = generateConfirmation(en, { prompt: 'a paper crane' }, { model: 'gpt-5.4' });
    assert.equal(c.title, 'Generate an image with CPA GPT Image?');
    const text = shown(c);
    assert.match(text, /uses your image generation quota/);
    assert.match(text, /\*\*Prompt:\*\* a paper crane/);
    assert.match(text, /\*\*Requests:\*\* 1 request, 1 image/);
    assert.match(text, /\*\*Model:\*\* gpt-5\.4/);
    assert.match(text, /\*\*Save to:\*\* where generated images go by default/);
    assert.doesNotMatch(text, /Insert the link into/, 'no insertion asked, none mentioned');
  });

  it('three variants: three requests at the same time, three images, in the title too', () => {
    const c = generateConfirmation(en, { prompt: 'a paper crane', variants: 3, destination: 'art/crane.png' }, { model: 'gpt-5.4' }, 'docs/guide.md');
    assert.equal(c.title, 'Generate 3 images with CPA GPT Image?');
    const text = shown(c);
    assert.match(text, /\*\*Requests:\*\* 3 requests at the same time, 3 images \(variants of the prompt\)/);
    assert.match(text, /\*\*Save to:\*\* art\/crane\.png/);
    assert.match(text, /\*\*Insert the link into:\*\* docs\/guide\.md/);
  });

  it('an insertion asked for with no markdown editor says so', () => {
    assert.match(shown(generateConfirmation(en, { prompt: 'x', insertIntoActiveMarkdown: true }, { model: 'm' }, null)), /Insert the link into:\*\* nothing: no markdown editor is active/);
  });

  it('a configuration that cannot be read names the problem instead of a model', () => {
    const c = generateConfirmation(en, { prompt: 'x' }, { problem: 'Set cpaImage.baseUrl [first](command:workbench.action.terminal.new)' });
    assert.match(shown(c), /\*\*Model:\*\* unknown: Set cpaImage\.baseUrl/);
    assert.ok(!shown(c).includes('](command:'), 'the problem text is made inert');
  });

  it('the prompt, destination, document and model are data: links, autolinks and icons are broken', () => {
    const evil = '[click](command:workbench.action.terminal.new) <https://evil.example> $(sync~spin)';
    const c = generateConfirmation(en, { prompt: evil, destination: evil, insertIntoActiveMarkdown: true }, { model: evil }, evil);
    for (const part of textParts(c)) {
      assert.ok(!part.includes('](') && !part.includes('<https') && !part.includes('$('), `inert: ${JSON.stringify(part)}`);
    }
    assert.equal(textParts(c).filter((p) => p.includes(ZWSP)).length, 4, 'prompt, model, destination and document each broken');
  });

  it('reads the same in Chinese, with the numbers in place', () => {
    const c = generateConfirmation(zh, { prompt: '纸鹤', variants: 2 }, { model: 'gpt-5.4' });
    assert.equal(c.title, '使用 CPA GPT Image 生成 2 张图像？');
    assert.match(shown(c), /同时发出 2 个请求，2 张图像/);
    assert.match(shown(c), /\*\*模型:\*\* gpt-5\.4/);
  });
});

describe('the agent tool confirmation: fill a document', () => {
  it('two placeholders: two requests, the model, the document, both alt texts listed', () => {
    const c = fillConfirmation(en, 'docs/guide.md', ['a fox in the snow', 'a lighthouse at dusk'], 2, { model: 'gpt-5.4' });
    assert.equal(c.title, 'Generate 2 missing images with CPA GPT Image?');
    const text = shown(c);
    assert.match(text, /one request per link, and uses your image generation quota/);
    assert.match(text, /\*\*Document:\*\* docs\/guide\.md/);
    assert.match(text, /\*\*Requests:\*\* 2 requests, 2 images/);
    assert.match(text, /\*\*Model:\*\* gpt-5\.4/);
    assert.match(text, /\*\*Alt texts \(the prompts\):\*\*\n\n• a fox in the snow\n\n• a lighthouse at dusk\n\n/);
    assert.match(text, /fills only its own link/);
  });

  it(`lists at most ${MAX_CONFIRMATION_ALT_TEXTS} alt texts, each on one line and cut to ${MAX_CONFIRMATION_ALT_LENGTH} characters, and counts the rest`, () => {
    const alts = Array.from({ length: 25 }, (_, i) => `figure ${i + 1}\nsecond line ${'x'.repeat(200)}`);
    const c = fillConfirmation(en, 'docs/long.md', alts, 25, { model: 'm' });
    const items = shown(c).split('\n').filter((line) => line.startsWith('• '));
    assert.equal(items.length, MAX_CONFIRMATION_ALT_TEXTS + 1);
    assert.equal(items.at(-1), '• … and 5 more');
    for (const item of items.slice(0, -1)) {
      assert.ok(Array.from(item.slice(2)).length <= MAX_CONFIRMATION_ALT_LENGTH, item);
      assert.match(item, /^• figure \d+ second line x+…$/);
    }
    assert.match(shown(c), /25 requests, 25 images/);
  });

  it('says when the document has more empty links than one run fills', () => {
    const c = fillConfirmation(en, 'docs/many.md', ['a', 'b'], 250, { model: 'm' });
    assert.match(shown(c), /2 requests, 2 images \(250 empty links found; at most 2 are filled in one run\)/);
  });

  it('alt texts and the document name are data: made inert before the dialog', () => {
    const c = fillConfirmation(en, 'docs/[x](command:y).md', ['![img](https://evil.example/a.png) $(check) <img src=x>'], 1, { model: 'm' });
    for (const part of textParts(c)) assert.ok(!part.includes('](') && !part.includes('$(') && !part.includes('<img'), `inert: ${JSON.stringify(part)}`);
    assert.match(shown(c), /1 request, 1 image/);
  });

  it('reads the same in Chinese', () => {
    const c = fillConfirmation(zh, 'docs/guide.md', ['狐狸', '灯塔'], 2, { model: 'gpt-5.4' });
    assert.equal(c.title, '使用 CPA GPT Image 生成 2 张缺失的图像？');
    assert.match(shown(c), /2 个请求，2 张图像/);
    assert.match(shown(c), /• 狐狸\n\n• 灯塔\n\n/);
  });
});
