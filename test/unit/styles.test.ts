import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BUILT_IN_STYLES,
  MAX_STYLES,
  MAX_STYLE_TEXT_LENGTH,
  frontMatterStyle,
  promptWithStyle,
  styleCatalog,
} from '../../src/core/prompt/styles';
import { resolveConfig, toGatewaySettings, type UserSettings } from '../../src/core/config/config';
import { generationSettingsOf, withRepeatedSettings } from '../../src/core/config/generationSettings';
import { buildResponsesRequest } from '../../src/core/gateway/request';
import { GatewayError } from '../../src/core/errors';
import { parseHistoryEntry } from '../../src/vscode/features/history/historyEntries';

const gateway = (settings: UserSettings) =>
  toGatewaySettings(resolveConfig({ settings: { baseUrl: 'http://127.0.0.1:8317', ...settings }, env: {}, secretKey: 'sk-test-1234' }), settings);
const sentPrompt = (settings: UserSettings, prompt = 'a fox in the snow') =>
  (JSON.parse(String(buildResponsesRequest(gateway(settings), { prompt }).body)) as { input: string }).input;

describe('styles: the catalog', () => {
  it('has the built-in styles', () => {
    assert.deepEqual([...styleCatalog(undefined).styles.keys()], ['diagram', 'flat illustration', 'watercolor', 'photo', 'line art']);
  });

  it("adds the user's styles, replaces a built-in one of the same name (any case), and an empty text removes one", () => {
    const { styles, problems } = styleCatalog({ Blueprint: 'Style: a  white-on-blue\nblueprint.', WATERCOLOR: 'Style: my watercolor.', photo: '', 'line art': null });
    assert.equal(styles.get('blueprint'), 'Style: a white-on-blue blueprint.');
    assert.equal(styles.get('watercolor'), 'Style: my watercolor.');
    assert.equal(styles.has('photo'), false);
    assert.equal(styles.has('line art'), false);
    assert.deepEqual(problems, []);
  });

  it('reports and leaves out what it cannot use: not an object, a non-text, an overlong text or name, too many', () => {
    assert.equal(styleCatalog(['diagram']).problems.length, 1);
    assert.equal(styleCatalog('diagram').problems.length, 1);
    const { styles, problems } = styleCatalog({ a: 5, b: 'x'.repeat(MAX_STYLE_TEXT_LENGTH + 1), ['n'.repeat(41)]: 'ok' });
    assert.deepEqual([styles.has('a'), styles.has('b'), problems.length], [false, false, 3]);
    const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`s${i}`, `Style ${i}`]));
    const capped = styleCatalog(many);
    assert.equal(capped.styles.size, MAX_STYLES);
    assert.ok(capped.problems.some((p) => p.includes(`At most ${MAX_STYLES}`)));
  });
});

describe('styles: front matter', () => {
  for (const [name, text, expected] of [
    ['a plain value', '---\ntitle: Guide\nimage-style: diagram\n---\n# Guide\n', 'diagram'],
    ['a quoted value with spaces, any case', "---\nimage-style: 'Flat  Illustration'\n---\n", 'flat illustration'],
    ['double quotes and a comment', '---\r\nimage-style: "line art"  # for the manual\r\n...\r\n', 'line art'],
    ['no front matter', '# Guide\nimage-style: diagram\n', undefined],
    ['the key after the front matter', '---\ntitle: x\n---\nimage-style: diagram\n', undefined],
    ['an unclosed block', '---\nimage-style diagram\n', undefined],
    ['an empty value', '---\nimage-style:\n---\n', undefined],
    ['a nested key is not it', '---\nmeta:\n  image-style: photo\n---\n', undefined],
  ] as const) {
    it(name, () => assert.equal(frontMatterStyle(text), expected));
  }
});

describe('styles: the prompt as sent', () => {
  it('the style text comes after the prompt and before the size phrase', () => {
    assert.equal(
      sentPrompt({ style: 'watercolor', size: '1024x1536' }),
      `a fox in the snow\n\n${BUILT_IN_STYLES['watercolor']}\n\nImage size: 1024×1536 (portrait).`,
    );
    assert.equal(promptWithStyle('x', undefined), 'x');
  });

  it('no style, or none, sends the prompt as typed', () => {
    assert.equal(sentPrompt({}), 'a fox in the snow');
    assert.equal(sentPrompt({ style: 'none' }), 'a fox in the snow');
    assert.equal(sentPrompt({ style: '  ' }), 'a fox in the snow');
  });

  it("a user's style by name", () => {
    assert.equal(sentPrompt({ style: 'Blueprint', styles: { blueprint: 'Style: a blueprint.' } }), 'a fox in the snow\n\nStyle: a blueprint.');
  });

  it('an unknown style is a configuration error naming the known ones, before any request', () => {
    assert.throws(
      () => gateway({ style: 'cubist' }),
      (err: unknown) => err instanceof GatewayError && err.kind === 'config' && /The style 'cubist' is not defined\. Known styles: diagram, flat illustration/.test(err.message),
    );
  });
});

describe('styles: Regenerate repeats the style an image was made with', () => {
  it('the text as it was sent, even when the setting changed since, and no style when it had none', () => {
    const made = generationSettingsOf(gateway({ style: 'blueprint', styles: { blueprint: 'Style: a blueprint.' } }));
    assert.deepEqual(made.style, { name: 'blueprint', text: 'Style: a blueprint.' });
    const today: UserSettings = { style: 'photo', styles: { blueprint: 'Style: something else now.' } };
    assert.equal(sentPrompt(withRepeatedSettings(today, made)), 'a fox in the snow\n\nStyle: a blueprint.');
    const plain = generationSettingsOf(gateway({}));
    assert.equal(sentPrompt(withRepeatedSettings(today, plain)), 'a fox in the snow');
  });

  it('the history keeps the style of an entry, and reads entries stored before styles existed', () => {
    const base = { id: 'a-1', prompt: 'a fox', uri: 'file:///w/a.png', createdAt: 1, settings: { model: 'gpt-5.4', outputFormat: 'png' } };
    assert.deepEqual(parseHistoryEntry({ ...base, settings: { ...base.settings, style: { name: 'diagram', text: 'Style: d.' } } })?.settings.style, { name: 'diagram', text: 'Style: d.' });
    assert.equal(parseHistoryEntry(base)?.settings.style, undefined);
  });
});
