/**
 * Variants (issue 13 item 3): the count read from the setting and the prompt box, the cap on the variants kept in the
 * extension's storage (RELIABILITY.md "Stored variants"), and the history entries of stored variants.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_VARIANTS, VARIANT_COUNTS, variantCount } from '../../src/core/batch/variants';
import { PROTECTED_NEWEST_ENTRIES, STORED_VARIANT_LIMITS, filesOverCap, type StoredFile } from '../../src/core/files/storageCap';
import { movedToWorkspace, parseHistoryEntry, type HistoryEntry } from '../../src/vscode/features/history/historyEntries';

describe('variants: the count', () => {
  it('offers 1 to 4 in the prompt box', () => {
    assert.deepEqual(VARIANT_COUNTS, [1, 2, 3, 4]);
    assert.equal(MAX_VARIANTS, 4);
  });

  it('takes a whole number from 1 to 4 as it is', () => {
    for (const n of [1, 2, 3, 4]) assert.equal(variantCount(n), n);
  });

  it('clamps, rounds down and reads numeric text: a hand-edited settings.json still gives a usable count', () => {
    assert.equal(variantCount(9), 4);
    assert.equal(variantCount(0), 1);
    assert.equal(variantCount(-3), 1);
    assert.equal(variantCount(2.9), 2);
    assert.equal(variantCount('3'), 3);
    assert.equal(variantCount(' 2 '), 2);
    assert.equal(variantCount(Number.POSITIVE_INFINITY), 1);
  });

  it('is 1 (one image, as without the setting) for anything that is not a number', () => {
    for (const value of [undefined, null, NaN, 'three', '2.5', '', {}, [], true]) assert.equal(variantCount(value), 1, String(value));
  });
});

const MiB = 1024 * 1024;
function files(count: number, bytes = 1000): StoredFile[] {
  // mtime i: file 0 is the oldest.
  return Array.from({ length: count }, (_, i) => ({ key: `f${String(i).padStart(3, '0')}`, bytes, mtimeMs: 1_000 + i }));
}
const none = () => false;

describe('stored variants: the cap', () => {
  it('is at most 100 files and 500 MiB; 20 newest entries are protected', () => {
    assert.deepEqual(STORED_VARIANT_LIMITS, { maxFiles: 100, maxBytes: 500 * MiB });
    assert.equal(PROTECTED_NEWEST_ENTRIES, 20);
  });

  it('removes nothing within the limits', () => {
    assert.deepEqual(filesOverCap(files(100), none), []);
    assert.deepEqual(filesOverCap([], none), []);
  });

  it('removes the oldest first until the count is within the limit', () => {
    assert.deepEqual(filesOverCap(files(103), none), ['f000', 'f001', 'f002']);
  });

  it('removes the oldest first until the total size is within the limit', () => {
    // 7 files of 100 MiB: 700 MiB, so the two oldest go (500 MiB is within the limit).
    assert.deepEqual(filesOverCap(files(7, 100 * MiB), none), ['f000', 'f001']);
  });

  it('orders by age, not by the order the folder was listed in', () => {
    const listed = files(5).reverse();
    assert.deepEqual(filesOverCap(listed, none, { maxFiles: 3, maxBytes: Infinity }), ['f000', 'f001']);
  });

  it('never removes a protected file: the next oldest goes instead', () => {
    const isProtected = (key: string) => key === 'f000' || key === 'f002';
    assert.deepEqual(filesOverCap(files(103), isProtected), ['f001', 'f003', 'f004']);
  });

  it('keeps protected files even when they alone are over a limit', () => {
    const all = files(5, 200 * MiB);
    assert.deepEqual(filesOverCap(all, () => true), []);
    assert.deepEqual(filesOverCap(all, (key) => key !== 'f004'), ['f004']);
  });

  it('keeps a run within the cap after many runs: what is left is the newest', () => {
    // 40 runs of 3 variants each, 2 MiB per file, the 20 newest protected.
    const stored = files(120, 2 * MiB);
    const protectedKeys = new Set(stored.slice(-20).map((f) => f.key));
    const removed = new Set(filesOverCap(stored, (key) => protectedKeys.has(key)));
    const left = stored.filter((f) => !removed.has(f.key));
    assert.equal(left.length, 100);
    assert.equal(left[0]?.key, 'f020');
    assert.ok(left.reduce((sum, f) => sum + f.bytes, 0) <= STORED_VARIANT_LIMITS.maxBytes);
  });
});

describe('history: stored variants', () => {
  const raw = {
    id: 'a-1',
    prompt: 'a fox',
    uri: 'file:///storage/variants/r1/a-fox-2.png',
    settings: { model: 'gpt-5.4', outputFormat: 'png' },
    createdAt: 5,
  };

  it('keeps the stored mark, and reads only `true` as one', () => {
    assert.equal(parseHistoryEntry({ ...raw, stored: true })?.stored, true);
    assert.equal('stored' in (parseHistoryEntry(raw) as HistoryEntry), false);
    assert.equal('stored' in (parseHistoryEntry({ ...raw, stored: 'yes' }) as HistoryEntry), false);
  });

  it('an entry saved into the workspace points at the new file and is no longer stored; the others are unchanged', () => {
    const stored = parseHistoryEntry({ ...raw, stored: true }) as HistoryEntry;
    const other = parseHistoryEntry({ ...raw, id: 'a-2', uri: 'file:///storage/variants/r1/a-fox-3.png', stored: true }) as HistoryEntry;
    const [moved, unchanged] = movedToWorkspace([stored, other], stored.uri, 'file:///ws/docs/images/a-fox.png');
    assert.equal(moved?.uri, 'file:///ws/docs/images/a-fox.png');
    assert.equal(moved?.stored, undefined);
    assert.equal(moved?.id, 'a-1');
    assert.deepEqual(unchanged, other);
  });
});
