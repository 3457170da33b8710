/**
 * Write Alt Text (issue 14 item 5), the pure parts: which images need an alt (empty or placeholder, never in code,
 * HTML or front matter), the alt fill that changes no other byte, the answer made inert (hostile answers), the
 * language rule, the text request (no tools, the image as a data URL) and the local image read (contained,
 * size-capped, typed by its bytes).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyAltFills, findImagesNeedingAlt, isPlaceholderAlt } from '../../src/core/markdown/altTextImages';
import { MAX_ALT_CHARS, altTextFromAnswer } from '../../src/core/markdown/altTextAnswer';
import { languageOfText, nearbyLanguage } from '../../src/core/markdown/nearbyLanguage';
import { altTextInstruction, skipReason } from '../../src/core/markdown/altTextWriter';
import { buildTextRequest } from '../../src/core/gateway/request';
import { readLocalImage } from '../../src/core/files/localImage';
import { graphemes } from '../../src/core/text/graphemes';
import MarkdownIt from 'markdown-it';
import { removeTempFolder } from '../support/removeInside';
import { makePng } from '../gateway/images';
import type { GatewaySettings } from '../../src/core/types';

/** Parses `text` the way markdown-it reads an inline image's alt: what the document shows as the alt. */
function altsOf(text: string): string[] {
  return findImagesNeedingAlt(text).map((image) => image.rawAlt);
}

describe('images that need alt text', () => {
  it('finds empty alts and placeholders (MD045 and common placeholder words, English and Chinese, file names)', () => {
    const text = [
      '![](diagram.png)',
      '![image](a.png) ![Image 3](b.png) ![IMG](c.jpg) ![screenshot](d.png) ![Screenshot_2](e.png)',
      '![图片](f.png) ![截图](g.png) ![diagram.png](h.png) ![  ](i.png)',
      '![A red fox jumping over a log](j.png)',
      '![fox](k.png)',
    ].join('\n');
    const found = findImagesNeedingAlt(text);
    assert.deepEqual(
      found.map((f) => f.destination),
      ['diagram.png', 'a.png', 'b.png', 'c.jpg', 'd.png', 'e.png', 'f.png', 'g.png', 'h.png', 'i.png'],
    );
    assert.equal(text.slice(found[0]!.start, found[0]!.end), '![](diagram.png)');
    assert.equal(found[0]!.altStart, found[0]!.altEnd);
    assert.ok(isPlaceholderAlt('Fig. 2') && isPlaceholderAlt('示意图') && isPlaceholderAlt('alt text'));
    assert.ok(!isPlaceholderAlt('fox') && !isPlaceholderAlt('A diagram of the pipeline'));
  });

  it('skips code blocks, code spans, HTML, comments, front matter, escapes, reference images and empty targets', () => {
    const text = [
      '---',
      'cover: ![](front.png)',
      '---',
      '```',
      '![](fenced.png)',
      '```',
      '',
      '    ![](indented.png)',
      '',
      '<div>',
      '![](html.png)',
      '</div>',
      '',
      'Text `![](span.png)` and <!-- ![](comment.png) --> and \\![](escaped.png).',
      '',
      '![][ref] ![]() ![image]',
      '',
      '[ref]: ref.png',
      '',
      '![](real.png)',
    ].join('\n');
    assert.deepEqual(findImagesNeedingAlt(text).map((f) => f.destination), ['real.png']);
  });

  it('reads targets with <…>, titles, escapes, percent-encoding, parentheses; marks remote and other schemes', () => {
    const text = '![](<my pic.png> "A title") ![](a\\(1\\).png) ![](b(2).png \'t\') ![](c%20d.png?x=1#y) ![](https://x.test/a.png) ![](//cdn.test/b.png) ![](data:image/png;base64,AAAA) ![](C:\\img\\z.png)';
    const found = findImagesNeedingAlt(text);
    assert.deepEqual(
      found.map((f) => [f.destination, f.remote, f.unsupported]),
      [
        ['my pic.png', false, false],
        ['a(1).png', false, false],
        ['b(2).png', false, false],
        ['c d.png', false, false],
        ['https://x.test/a.png', true, false],
        ['//cdn.test/b.png', true, false],
        ['data:image/png;base64,AAAA', false, true],
        ['C:\\img\\z.png', false, false],
      ],
    );
    assert.match(skipReason(found[4]!) ?? '', /remote image; only local images/);
    assert.match(skipReason(found[6]!) ?? '', /not a local file path/);
    assert.equal(skipReason(found[0]!), undefined);
  });

  it('fills only the alts: every other byte stays as it was (CRLF, tabs, titles, other images)', () => {
    const text = '# Title\r\n\r\nSee\t![](a.png "t") and ![image](<b c.png>)\r\n![kept](k.png)\r\n';
    const found = findImagesNeedingAlt(text);
    const filled = applyAltFills(text, [
      { image: found[1]!, alt: 'Second' },
      { image: found[0]!, alt: 'First \\[x\\]' },
    ]);
    assert.equal(filled, '# Title\r\n\r\nSee\t![First \\[x\\]](a.png "t") and ![Second](<b c.png>)\r\n![kept](k.png)\r\n');
    assert.throws(() => applyAltFills(text.replace('![](a.png', '![x](a.png'), [{ image: found[0]!, alt: 'y' }]), /no longer the one/);
  });

  it('does not take a hostile document for an image (unclosed brackets, a long run of ![ ) and stays linear', () => {
    const text = '!['.repeat(50_000) + '](x.png)';
    assert.ok(findImagesNeedingAlt(text).length <= 1);
    assert.deepEqual(altsOf('![a [nested] b](x.png) ![](y.png)'), ['']);
  });
});

describe('alt text from the model answer', () => {
  it('keeps an ordinary sentence as it is', () => {
    assert.equal(altTextFromAnswer('A bar chart of monthly sales.'), 'A bar chart of monthly sales.');
    assert.equal(altTextFromAnswer('一张柱状图，比较三种产品的月销售额。'), '一张柱状图，比较三种产品的月销售额。');
  });

  it('removes links, javascript: targets, HTML, code spans, line breaks and the label and quotes a model adds', () => {
    const alt = altTextFromAnswer('Alt text: "A chart](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n# Heading [click](command:workbench.action.terminal.new) `code` a|b \\ end"');
    assert.doesNotMatch(alt, /[\r\n<>`]/);
    assert.doesNotMatch(alt, /(^|[^\\])\]\(/, 'no link can form: every ] is escaped');
    assert.doesNotMatch(alt, /command:workbench.*\)/);
    assert.doesNotMatch(alt, /(^|[^\\])[[\]|]/, 'every bracket and pipe is escaped');
    assert.match(alt, /click/);
    assert.match(alt, /a\\\|b \\\\ end/);
    // Written into a document, it stays one image with the alt inside it.
    const doc = `![${alt}](x.png) after`;
    const found = findImagesNeedingAlt(`![](x.png) after`);
    assert.equal(applyAltFills('![](x.png) after', [{ image: found[0]!, alt }]), doc);
    assert.equal(doc.indexOf('](x.png)'), doc.length - '](x.png) after'.length);
  });

  it('a hostile answer written as the alt is read by markdown-it (VS Code\'s preview) as one image and plain text, in a table cell too', () => {
    const md = new MarkdownIt('default', { html: true, linkify: true });
    const hostile = [
      'Alt text: "A chart](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n# Heading [click](command:x) `code` a|b \\ end"',
      'a `code span ](evil.png) and <https://example.test> and <!-- c --> and [x][y]',
      '](javascript:alert(1))',
      '\\](evil)',
    ];
    for (const answer of hostile) {
      const alt = altTextFromAnswer(answer);
      for (const text of [`![${alt}](x.png) after`, `| a | b |\n|---|---|\n| ![${alt}](x.png) | c |`]) {
        const inline = md.parse(text, {}).filter((t) => t.type === 'inline').flatMap((t) => t.children ?? []);
        const images = inline.filter((t) => t.type === 'image');
        assert.equal(images.length, 1, `${answer} → ${text}`);
        assert.equal(images[0]?.attrGet('src'), 'x.png');
        const inAlt = images[0]?.children ?? [];
        assert.deepEqual([...inline, ...inAlt].filter((t) => /link_open|html_inline|code_inline|image/.test(t.type) && t !== images[0]), [], text);
        if (text.startsWith('|')) assert.equal(md.parse(text, {}).filter((t) => t.type === 'td_open').length, 2, 'the row keeps two cells');
      }
    }
  });

  it('drops control characters and bidi overrides, collapses whitespace', () => {
    assert.equal(altTextFromAnswer('A\u0000 red\u001b[2J fox\u202e\tin\u2028the\u00a0snow\r\n'), 'A red\\[2J fox in the snow');
  });

  it('caps the length at MAX_ALT_CHARS, also for a 1 MiB answer, and reads only the start of it', () => {
    const huge = 'word '.repeat((1024 * 1024) / 5);
    const alt = altTextFromAnswer(huge);
    assert.ok(graphemes(alt).length <= MAX_ALT_CHARS);
    assert.ok(alt.endsWith('…'));
    const brackets = altTextFromAnswer('['.repeat(1024 * 1024));
    assert.ok(brackets.length <= MAX_ALT_CHARS * 2, 'escaping at most doubles the capped text');
  });

  it('leaves nothing usable as an empty string', () => {
    assert.equal(altTextFromAnswer('""'), '');
    assert.equal(altTextFromAnswer('<img src=x>'), '');
    assert.equal(altTextFromAnswer('  \n '), '');
  });
});

describe('the language around the image', () => {
  it('is Chinese when CJK characters are at least 30 % of the letters (a character counts as a word)', () => {
    assert.equal(languageOfText('这是一个关于 VS Code 扩展的说明，下面的图展示了流程。'), 'zh');
    assert.equal(languageOfText('This guide explains the build, 图 is one character.'), 'en');
    assert.equal(languageOfText('これは説明です。'), 'ja');
    assert.equal(languageOfText('이것은 설명입니다'), 'ko');
    assert.equal(languageOfText('Это описание процесса сборки'), 'ru');
    assert.equal(languageOfText(''), 'en');
  });

  it('uses the paragraph of the image, or the nearest paragraph with words (the one before first) when the image stands alone', () => {
    const text = 'An English paragraph about the build, the tests that run on every change, and the package.\n\n下面的流程图展示了扩展如何调用网关并保存生成的图片文件。\n\n![](flow.png)\n\nMore English.';
    const at = text.indexOf('![](flow.png)');
    assert.equal(nearbyLanguage(text, at), 'zh');
    assert.equal(nearbyLanguage(text, 0), 'en');
    assert.equal(nearbyLanguage('整个段落都是中文，图片在这里 ![](x.png) 后面还有中文。', 12), 'zh');
    const mixed = '中文的段落在很远的地方，这里说明整个项目。\n\nThe sales of the year, month by month:\n\n![](chart.png)\n\n下面是中文。';
    assert.equal(nearbyLanguage(mixed, mixed.indexOf('![')), 'en', 'the paragraph just before the image decides');
  });

  it('asks for that language and for text only in the instruction', () => {
    assert.match(altTextInstruction('zh'), /in Chinese/);
    assert.match(altTextInstruction('en'), /one concise sentence .* in English/);
    assert.match(altTextInstruction('en'), /do not generate or edit any image/);
  });
});

describe('the text request', () => {
  const settings = {
    baseUrl: 'http://127.0.0.1:1/v1',
    apiKey: 'sk-x',
    model: 'gpt-5.4',
    instructions: 'you are a helpful assistant',
    identity: { userAgent: 'ua', version: '1', originator: 'o', sessionId: 's' },
    stream: true,
    tool: { outputFormat: 'png' },
    timeoutMs: 1000,
    maxResponseBytes: 1024,
    retry: {},
  } as unknown as GatewaySettings;

  it('sends the instruction and the image as an input_image data URL, with no tools and no tool_choice', () => {
    const png = makePng(2, 2);
    const request = buildTextRequest(settings, { text: 'Describe.', images: [{ mime: 'image/png', bytes: png }] });
    const body = JSON.parse(request.body ?? '{}') as Record<string, unknown>;
    assert.equal(request.url, 'http://127.0.0.1:1/v1/responses');
    assert.equal(body.tools, undefined);
    assert.equal(body.tool_choice, undefined);
    assert.equal(body.model, 'gpt-5.4');
    assert.equal(body.stream, true);
    assert.deepEqual(body.input, [
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'Describe.' },
          { type: 'input_image', image_url: `data:image/png;base64,${Buffer.from(png).toString('base64')}` },
        ],
      },
    ]);
    assert.equal(request.headers.accept, 'text/event-stream');
  });
});

describe('the local image', () => {
  let base: string;
  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'cpa-unit-alt-')));
    await mkdir(join(base, 'ws', 'docs', 'img'), { recursive: true });
    await writeFile(join(base, 'ws', 'docs', 'img', 'a.png'), makePng(4, 4));
    await writeFile(join(base, 'ws', 'logo.png'), makePng(2, 2));
    await writeFile(join(base, 'ws', 'docs', 'fake.png'), 'not an image at all');
    await writeFile(join(base, 'ws', 'docs', 'anim.gif'), Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(20)]));
    await writeFile(join(base, 'secret.png'), makePng(2, 2));
    await symlink(join(base, 'secret.png'), join(base, 'ws', 'docs', 'link.png'));
  });
  after(async () => {
    await removeTempFolder(base);
  });
  const read = (destination: string, maxBytes?: number) =>
    readLocalImage({ documentPath: join(base, 'ws', 'docs', 'guide.md'), rootPath: join(base, 'ws'), destination, ...(maxBytes ? { maxBytes } : {}) });

  it('reads a contained image relative to the document (or / = the folder root), typed by its bytes', async () => {
    const a = await read('img/a.png');
    assert.ok(a.ok);
    assert.equal(a.image.mime, 'image/png');
    const logo = await read('/logo.png');
    assert.ok(logo.ok);
    const up = await read('../logo.png');
    assert.ok(up.ok);
    const gif = await read('anim.gif');
    assert.ok(gif.ok && gif.image.mime === 'image/gif');
  });

  it('skips with a note: outside the folder (also through a link), missing, too large, not an image', async () => {
    assert.match(JSON.stringify(await read('../../secret.png')), /outside the folder/);
    assert.match(JSON.stringify(await read('link.png')), /outside the folder/);
    assert.match(JSON.stringify(await read('missing.png')), /not found/);
    assert.match(JSON.stringify(await read('img/a.png', 10)), /larger than/);
    assert.match(JSON.stringify(await read('fake.png')), /not a PNG, JPEG, WebP or GIF image \(checked by its bytes\)/);
    assert.match(JSON.stringify(await read('img')), /not a file/);
  });
});
