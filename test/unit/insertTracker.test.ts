import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InsertionTracker, insertionText, selectionAfterInsertion } from '../../src/vscode/generation/insertTracker';
import type { TextChange } from '../../src/vscode/generation/insertTracker';

/** Applies changes to a string the way VS Code reports them (each offset against the text after the previous change). */
function applyToText(text: string, changes: readonly TextChange[]): string {
  let out = text;
  for (const c of changes) out = out.slice(0, c.rangeOffset) + c.text + out.slice(c.rangeOffset + c.rangeLength);
  return out;
}

const insert = (at: number, text: string): TextChange => ({ rangeOffset: at, rangeLength: 0, text });
const remove = (at: number, length: number): TextChange => ({ rangeOffset: at, rangeLength: length, text: '' });
const replace = (at: number, length: number, text: string): TextChange => ({ rangeOffset: at, rangeLength: length, text });

describe('InsertionTracker', () => {
  // The document is "alpha [cat] omega" with the selection on "cat" (offsets 7..10).
  const doc = 'alpha [cat] omega';
  const selStart = 7;
  const selEnd = 10;

  const cases: { name: string; changes: TextChange[]; start: number; end: number; edited: boolean }[] = [
    { name: 'no edit', changes: [], start: 7, end: 10, edited: false },
    { name: 'typing before the selection shifts it', changes: [insert(0, 'XY')], start: 9, end: 12, edited: false },
    { name: 'typing right before the selection shifts it', changes: [insert(7, 'Z')], start: 8, end: 11, edited: false },
    { name: 'deleting before the selection shifts it back', changes: [remove(0, 6)], start: 1, end: 4, edited: false },
    { name: 'a deletion that ends at the selection start shifts it', changes: [remove(2, 5)], start: 2, end: 5, edited: false },
    { name: 'typing after the selection leaves it', changes: [insert(15, '!!!')], start: 7, end: 10, edited: false },
    { name: 'typing exactly at the selection end stays after the link point', changes: [insert(10, 'dog')], start: 7, end: 10, edited: false },
    { name: 'several edits before and after', changes: [insert(17, ' end'), insert(0, '12345')], start: 12, end: 15, edited: false },
    { name: 'typing inside the selection grows it and marks it edited', changes: [insert(8, 'ha')], start: 7, end: 12, edited: true },
    { name: 'replacing the selection itself covers the new text', changes: [replace(7, 3, 'tiger')], start: 7, end: 12, edited: true },
    { name: 'an edit overlapping the selection end extends to the edit end', changes: [replace(9, 4, 'XXXXXX')], start: 7, end: 15, edited: true },
    { name: 'an edit overlapping the selection start starts at the edit', changes: [replace(5, 3, '-')], start: 5, end: 8, edited: true },
    { name: 'deleting the whole selection collapses it at the deletion', changes: [remove(6, 5)], start: 6, end: 6, edited: true },
    { name: 'replacing the whole document', changes: [replace(0, doc.length, 'new text')], start: 0, end: 8, edited: true },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const tracker = new InsertionTracker(selStart, selEnd);
      tracker.apply(c.changes);
      assert.deepEqual({ start: tracker.start, end: tracker.end, edited: tracker.edited }, { start: c.start, end: c.end, edited: c.edited });
    });
  }

  it('keeps pointing at the same text through unedited changes (checked against the real text)', () => {
    const changes = [insert(0, 'PRE '), insert(20, ' POST'), remove(0, 2)];
    const tracker = new InsertionTracker(selStart, selEnd);
    for (const change of changes) tracker.apply([change]);
    const text = changes.reduce((t, ch) => applyToText(t, [ch]), doc);
    assert.equal(text.slice(tracker.start, tracker.end), 'cat');
  });

  describe('a cursor (empty selection)', () => {
    it('stays before text typed at the cursor, so the link goes where the command was run', () => {
      const tracker = new InsertionTracker(5, 5);
      tracker.apply([insert(5, 'a')]);
      tracker.apply([insert(6, 'b')]);
      assert.deepEqual([tracker.start, tracker.end, tracker.edited], [5, 5, false]);
    });
    it('moves with text typed before it', () => {
      const tracker = new InsertionTracker(5, 5);
      tracker.apply([insert(2, 'abc')]);
      assert.deepEqual([tracker.start, tracker.end], [8, 8]);
    });
    it('lands after a replacement that swallowed it', () => {
      const tracker = new InsertionTracker(5, 5);
      tracker.apply([replace(3, 4, 'xy')]);
      assert.deepEqual([tracker.start, tracker.end, tracker.edited], [3, 5, true]);
      assert.deepEqual(tracker.target('afterSelection'), { start: 5, end: 5 });
    });
  });

  describe('target', () => {
    it('inserts after the selection by default', () => {
      assert.deepEqual(new InsertionTracker(7, 10).target('afterSelection'), { start: 10, end: 10 });
    });
    it('replaces the selection when asked and it was not edited', () => {
      assert.deepEqual(new InsertionTracker(7, 10).target('replaceSelection'), { start: 7, end: 10 });
    });
    it('never replaces a selection the user edited meanwhile: inserts after the edit instead', () => {
      const tracker = new InsertionTracker(7, 10);
      tracker.apply([insert(9, 'ty')]);
      assert.deepEqual(tracker.target('replaceSelection'), { start: 12, end: 12 });
    });
    it('normalises a reversed selection', () => {
      assert.deepEqual(new InsertionTracker(10, 7).target('replaceSelection'), { start: 7, end: 10 });
    });
  });
});

describe('insertionText', () => {
  const table: [string, string | undefined, boolean, string][] = [
    ['after a word: a space first', 't', false, ' LINK'],
    ['after a space: as is', ' ', false, 'LINK'],
    ['after a newline: as is', '\n', false, 'LINK'],
    ['at the start of the document: as is', undefined, false, 'LINK'],
    ['replacing: as is', 't', true, 'LINK'],
  ];
  for (const [name, previous, replacing, expected] of table) {
    it(name, () => assert.equal(insertionText('LINK', previous, replacing), expected));
  }
});

describe('selectionAfterInsertion (the selection once the link is in)', () => {
  // "alpha cat omega": the link (10 characters) goes after "cat" (offsets 6..9), or replaces it.
  const after = { start: 9, end: 9, length: 10 };
  it('keeps a selection that ends at the insertion point as it was (it does not grow over the link)', () => {
    assert.deepEqual(selectionAfterInsertion({ anchor: 6, active: 9 }, after), { anchor: 6, active: 9 });
    assert.deepEqual(selectionAfterInsertion({ anchor: 9, active: 6 }, after), { anchor: 9, active: 6 });
  });
  it('puts a cursor at the insertion point after the link', () => {
    assert.deepEqual(selectionAfterInsertion({ anchor: 9, active: 9 }, after), { anchor: 19, active: 19 });
  });
  it('puts the cursor after the link when the link replaced the selection', () => {
    assert.deepEqual(selectionAfterInsertion({ anchor: 6, active: 9 }, { start: 6, end: 9, length: 10 }), { anchor: 16, active: 16 });
  });
  it('leaves a selection before the link alone and shifts one after it', () => {
    assert.deepEqual(selectionAfterInsertion({ anchor: 0, active: 5 }, after), { anchor: 0, active: 5 });
    assert.deepEqual(selectionAfterInsertion({ anchor: 10, active: 15 }, after), { anchor: 20, active: 25 });
    assert.deepEqual(selectionAfterInsertion({ anchor: 12, active: 12 }, { start: 6, end: 9, length: 10 }), { anchor: 19, active: 19 });
  });
  it('a selection across the insertion point keeps its start and ends after the link', () => {
    assert.deepEqual(selectionAfterInsertion({ anchor: 2, active: 12 }, after), { anchor: 2, active: 22 });
  });
});
