/**
 * Keeps the place where a generated image's link goes correct while the user goes on editing the document
 * during a generation that can take minutes (SPEC §3 step 4). Pure offset arithmetic over the
 * `contentChanges` of `workspace.onDidChangeTextDocument`, so it is unit-tested without VS Code.
 *
 * Rules, for a tracked range [start, end] (the selection when the command started; empty for a cursor):
 * - an edit wholly before the range shifts it; an edit wholly after it leaves it alone;
 * - text typed exactly at the end of the range stays after it (the link goes right after the selection, before
 *   what was typed later); for an empty range, text typed exactly at the cursor also stays after the cursor;
 * - an edit that touches the inside of the range grows the range to cover the edit, and marks it `edited`: the
 *   link is then inserted after the edited text, and "replace selection" no longer replaces anything, so the
 *   user's own edits are never overwritten.
 */
import type { InsertPosition } from '../settings';

/** The fields of `vscode.TextDocumentContentChangeEvent` that matter here. */
export interface TextChange {
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

export class InsertionTracker {
  private rangeStart: number;
  private rangeEnd: number;
  private wasEdited = false;

  constructor(start: number, end: number) {
    this.rangeStart = Math.max(0, Math.min(start, end));
    this.rangeEnd = Math.max(0, Math.max(start, end));
  }

  get start(): number {
    return this.rangeStart;
  }

  get end(): number {
    return this.rangeEnd;
  }

  /** True once an edit touched the inside of the tracked range. */
  get edited(): boolean {
    return this.wasEdited;
  }

  /**
   * Applies the changes of one document change event. VS Code lists them so that applying them one after
   * the other is correct (each offset refers to the text after the changes listed before it).
   */
  apply(changes: readonly TextChange[]): void {
    for (const change of changes) this.applyOne(change);
  }

  /** The range to replace with the link: empty (an insertion) unless replacing an unedited selection. */
  target(position: InsertPosition): { start: number; end: number } {
    if (position === 'replaceSelection' && !this.wasEdited) return { start: this.rangeStart, end: this.rangeEnd };
    return { start: this.rangeEnd, end: this.rangeEnd };
  }

  private applyOne({ rangeOffset, rangeLength, text }: TextChange): void {
    const changeStart = rangeOffset;
    const changeEnd = rangeOffset + rangeLength;
    const delta = text.length - rangeLength;
    const { rangeStart: start, rangeEnd: end } = this;
    const isCursor = start === end;

    if (isCursor && changeStart === start && changeEnd === start) return; // typed at the cursor: stays after it
    if (changeEnd <= start) {
      this.rangeStart += delta;
      this.rangeEnd += delta;
      return;
    }
    if (changeStart >= end) return;
    // The edit overlaps the range: cover both, and put the insertion point after the edited text.
    this.rangeStart = Math.min(start, changeStart);
    this.rangeEnd = Math.max(end + delta, changeStart + text.length);
    this.wasEdited = true;
  }
}

/**
 * What to insert at an insertion point so the link does not stick to the word before it: a space when the
 * preceding character is not whitespace, nothing otherwise (and nothing when replacing).
 */
export function insertionText(link: string, previousCharacter: string | undefined, replacing: boolean): string {
  if (replacing || previousCharacter === undefined || previousCharacter === '' || /\s/.test(previousCharacter)) {
    return link;
  }
  return ` ${link}`;
}

/** A selection as two document offsets: `anchor` where it started, `active` where the cursor is. */
export interface OffsetSelection {
  anchor: number;
  active: number;
}

/**
 * Where a selection should be once the link replaced [start, end) with `length` characters (issue 11, item 4).
 * VS Code's own tracking grows a selection that touches the insertion point over the inserted text, so after
 * "Generate Image from Selection" the link ended up selected. Instead: a selection ending at the insertion point
 * stays as it was; a cursor there (or a replaced selection) goes after the link; anything after the edit shifts.
 */
export function selectionAfterInsertion(selection: OffsetSelection, edit: { start: number; end: number; length: number }): OffsetSelection {
  const afterLink = edit.start + edit.length;
  const delta = edit.length - (edit.end - edit.start);
  const lo = Math.min(selection.anchor, selection.active);
  const hi = Math.max(selection.anchor, selection.active);
  const moveOffset = (offset: number): number => {
    if (offset <= edit.start) return offset; // before the link, or ending exactly where it starts
    if (offset < edit.end) return afterLink; // inside the replaced text
    return offset + delta;
  };
  // A cursor at the insertion point, or a selection that was exactly what the link replaced: the cursor after the link.
  if ((lo === hi && lo === edit.start) || (edit.end > edit.start && lo === edit.start && hi === edit.end)) {
    return { anchor: afterLink, active: afterLink };
  }
  const start = moveOffset(lo);
  const end = moveOffset(hi);
  return selection.anchor <= selection.active ? { anchor: start, active: end } : { anchor: end, active: start };
}
