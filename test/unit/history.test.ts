import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addHistoryEntry,
  maxHistoryEntries,
  newHistoryId,
  parseHistory,
  parseHistoryEntry,
} from '../../src/vscode/features/history/historyEntries';
import type { HistoryEntry } from '../../src/vscode/features/history/historyEntries';

function entry(id: string, createdAt: number, extra: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id,
    prompt: `prompt ${id}`,
    uri: `file:///ws/docs/images/${id}.png`,
    settings: { model: 'gpt-5.4', outputFormat: 'png' },
    createdAt,
    elapsedMs: 1200,
    bytes: 42,
    mime: 'image/png',
    ...extra,
  };
}

describe('parseHistoryEntry', () => {
  it('keeps a complete entry as it was stored', () => {
    const full = entry('a1', 10, {
      revisedPrompt: 'a fox, watercolor',
      documentUri: 'file:///ws/docs/guide.md',
      size: '1024x1024',
      settings: { model: 'gpt-5.4', outputFormat: 'webp', size: '1024x1024', quality: 'high', background: 'transparent' },
    });
    assert.deepEqual(parseHistoryEntry(JSON.parse(JSON.stringify(full))), full);
  });

  const broken: [string, unknown][] = [
    ['not an object', 'a string'],
    ['an array', []],
    ['null', null],
    ['no id', { ...entry('x', 1), id: undefined }],
    ['empty prompt', { ...entry('x', 1), prompt: '' }],
    ['no uri', { ...entry('x', 1), uri: 7 }],
    ['no settings', { ...entry('x', 1), settings: undefined }],
    ['settings without a model', { ...entry('x', 1), settings: { outputFormat: 'png' } }],
    ['an unknown output format', { ...entry('x', 1), settings: { model: 'gpt-5.4', outputFormat: 'gif' } }],
    ['a negative date', { ...entry('x', 1), createdAt: -5 }],
    ['a date that is not a number', { ...entry('x', 1), createdAt: '2026-01-01' }],
  ];
  for (const [name, value] of broken) {
    it(`drops an entry with ${name}`, () => assert.equal(parseHistoryEntry(value), undefined));
  }

  it('fills in what older entries may lack, and drops unknown or malformed optional fields', () => {
    const parsed = parseHistoryEntry({
      id: 'old',
      prompt: 'p',
      uri: 'file:///a.png',
      settings: { model: 'm', outputFormat: 'png', size: 5, quality: '' },
      createdAt: 3,
      revisedPrompt: 12,
      extra: 'ignored',
    });
    assert.deepEqual(parsed, {
      id: 'old',
      prompt: 'p',
      uri: 'file:///a.png',
      settings: { model: 'm', outputFormat: 'png' },
      createdAt: 3,
      elapsedMs: 0,
      bytes: 0,
      mime: 'image/png',
    });
  });
});

describe('parseHistory', () => {
  it('is empty for anything but an array', () => {
    for (const value of [undefined, null, {}, 'x', 3]) assert.deepEqual(parseHistory(value), []);
  });

  it('keeps valid entries, newest first, drops invalid ones and duplicate ids (the first stored wins)', () => {
    const stored = [entry('a', 1), { junk: true }, entry('c', 3), entry('b', 2), { ...entry('c', 9), prompt: 'a later duplicate' }];
    const parsed = parseHistory(stored);
    assert.deepEqual(parsed.map((e) => e.id), ['c', 'b', 'a']);
    assert.equal(parsed[0]?.prompt, 'prompt c');
  });

  it('keeps at most the bound', () => {
    const stored = Array.from({ length: maxHistoryEntries + 25 }, (_, i) => entry(`e${i}`, i));
    const parsed = parseHistory(stored);
    assert.equal(parsed.length, maxHistoryEntries);
    assert.equal(parsed[0]?.id, `e${maxHistoryEntries + 24}`, 'the newest is kept');
    assert.equal(parsed.at(-1)?.id, 'e25', 'the oldest are forgotten');
  });
});

describe('addHistoryEntry', () => {
  it('puts the new entry first and forgets the oldest beyond the bound', () => {
    const entries = [entry('b', 2), entry('a', 1)];
    assert.deepEqual(addHistoryEntry(entries, entry('c', 3), 2).map((e) => e.id), ['c', 'b']);
    assert.deepEqual(entries.map((e) => e.id), ['b', 'a'], 'the input is not changed');
  });

  it('replaces an entry with the same id', () => {
    const updated = addHistoryEntry([entry('a', 1), entry('b', 2)], entry('b', 5, { prompt: 'new' }));
    assert.deepEqual(updated.map((e) => [e.id, e.prompt]), [['b', 'new'], ['a', 'prompt a']]);
  });
});

describe('newHistoryId', () => {
  it('is time then randomness, in the characters the webview messages accept', () => {
    assert.equal(newHistoryId(0, () => 0), '0-000000');
    assert.equal(newHistoryId(36 ** 3, () => 0.5), '1000-i00000');
    const id = newHistoryId(Date.now());
    assert.match(id, /^[0-9a-z]+-[0-9a-z]{6}$/);
  });

  it('differs for two entries saved in the same millisecond', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newHistoryId(1_700_000_000_000)));
    assert.equal(ids.size, 100);
  });
});
