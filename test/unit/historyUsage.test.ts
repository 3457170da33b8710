/**
 * The history keeps each image's usage and quota (issue 13 item 6) so they survive a reload: a stored entry reads back
 * with them, an entry of an older version (without them) still loads, and unsound stored values are dropped while the
 * entry stays.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseHistory, parseHistoryEntry, type HistoryEntry } from '../../src/vscode/features/history/historyEntries';

const base = {
  id: 'lz3k9a1c-4f2a9b',
  prompt: 'a fox',
  uri: 'file:///ws/images/a-fox.png',
  settings: { model: 'gpt-5.4', outputFormat: 'png' as const },
  createdAt: 1_780_000_000_000,
  elapsedMs: 1200,
  bytes: 42,
  mime: 'image/png',
};

describe('history entries with usage and quota', () => {
  it('round trip through workspaceState (JSON)', () => {
    const entry: HistoryEntry = {
      ...base,
      usage: { input: 1200, output: 80, total: 1280, inputDetails: { cached: 0 }, imageTool: { input: 49, output: 272, total: 321 } },
      quota: { primary: { usedPercent: 19, remainingPercent: 81, windowMinutes: 300, resetsAt: 1_780_000_900_000 }, planType: 'plus', readAt: 1_780_000_000_000 },
    };
    assert.deepEqual(parseHistoryEntry(JSON.parse(JSON.stringify(entry))), entry);
  });

  it('an entry written before usage was recorded loads as it was', () => {
    assert.deepEqual(parseHistory([base]), [base]);
  });

  it('unsound usage or quota is dropped; the entry stays', () => {
    const parsed = parseHistoryEntry({ ...base, usage: { input: -1, total: '5' }, quota: { readAt: 'now', primary: { usedPercent: 500 } } });
    assert.deepEqual(parsed, base);
    const partly = parseHistoryEntry({ ...base, usage: { input: 10, output: 1e300 }, quota: 'x' });
    assert.deepEqual(partly, { ...base, usage: { input: 10 } });
  });
});
