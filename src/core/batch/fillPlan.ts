/**
 * What a "Generate All Missing Images" run offers and how far it has got, kept apart from VS Code so it can be
 * tested: the empty links of several documents in order, bounded (a folder full of placeholders must not become
 * a bill), and the tally of the run's states that the progress notification and the summary show.
 */
import { findEmptyImageLinks, type EmptyImageLink } from '../markdown/emptyImageLinks';
import type { QueueItemState } from './workQueue';

/** The most links one run offers; more are counted and named in the quick pick's title, not offered. */
export const MAX_FILL_ALL_LINKS = 200;

export interface PlannedLink<D> {
  document: D;
  link: EmptyImageLink;
  /** 1-based line of the link's `!`. */
  line: number;
}

export interface FillPlan<D> {
  links: PlannedLink<D>[];
  /** Every empty link found, the offered ones included. */
  total: number;
}

/** The empty links of `documents` (in the order given, each in document order), at most `max` of them. */
export function planFill<D>(documents: readonly { document: D; text: string }[], max = MAX_FILL_ALL_LINKS): FillPlan<D> {
  const links: PlannedLink<D>[] = [];
  let total = 0;
  for (const { document, text } of documents) {
    const found = findEmptyImageLinks(text);
    total += found.length;
    const lines = new LineCounter(text);
    for (const link of found) {
      if (links.length >= max) break;
      links.push({ document, link, line: lines.lineOf(link.start) });
    }
  }
  return { links, total };
}

export interface FillTally {
  total: number;
  done: number;
  failed: number;
  cancelled: number;
  /** Running or paused by a rate limit. */
  running: number;
  queued: number;
}

/** How many items are in each state (the progress notification's "3 of 5 done, 1 failed"). */
export function tallyStates(states: readonly QueueItemState['kind'][]): FillTally {
  const tally: FillTally = { total: states.length, done: 0, failed: 0, cancelled: 0, running: 0, queued: 0 };
  for (const state of states) {
    if (state === 'done') tally.done++;
    else if (state === 'failed') tally.failed++;
    else if (state === 'cancelled') tally.cancelled++;
    else if (state === 'running' || state === 'paused') tally.running++;
    else tally.queued++;
  }
  return tally;
}

/** Line numbers by offset, counting each line break once however many offsets are asked (they only grow). */
class LineCounter {
  private offset = 0;
  private line = 1;

  constructor(private readonly text: string) {}

  lineOf(target: number): number {
    if (target < this.offset) {
      this.offset = 0;
      this.line = 1;
    }
    for (; this.offset < target; this.offset++) if (this.text.charCodeAt(this.offset) === 10) this.line++;
    return this.line;
  }
}
