/**
 * Runs many generations with at most `concurrency` at a time: the "fill every empty image link" command of the
 * extension and the CLI's `fill` both go through it. What it guarantees, whatever the gateway does:
 *
 * - never more than `concurrency` runs at once (clamped to 1–MAX_CONCURRENCY);
 * - a failure fails only its own item; the others go on;
 * - a rate limit that outlasted the client's own retries pauses the whole queue for the delay the gateway stated
 *   (at most MAX_PAUSE_MS), starts nothing new meanwhile, and puts that item back at the front — at most
 *   MAX_REQUEUES times per item, so a gateway that always says "later" cannot keep the queue alive for ever;
 * - cancelling (the signal) stops the runs in flight (they get the signal) and starts nothing more; what had not
 *   started is reported `cancelled`;
 * - a run that calls `release()` (the gateway has answered; what is left is saving and linking) frees its slot for the
 *   next item while it finishes, so the next request does not wait for this one's file and link. Still never more
 *   than `concurrency` requests at once, and never more than twice that many items started and not ended (the
 *   images held in memory): a new item waits for one to end.
 *
 * Results come back in the order of the items, each `done` (with the value), `failed` (with the error) or
 * `cancelled`. The queue itself never throws for an item's failure.
 */
import type { Clock } from '../types';
import { systemClock } from '../clock';
import { GatewayError, isCancellation } from '../errors';

/** The most runs at once a user can ask for (`cpaImage.concurrency`, `--concurrency`). */
export const MAX_CONCURRENCY = 8;
/** The longest pause one rate limit can impose on the queue. */
export const MAX_PAUSE_MS = 10 * 60_000;
/** How many times one item may be put back after a rate limit. */
export const MAX_REQUEUES = 3;

export type QueueItemState =
  | { kind: 'queued' }
  | { kind: 'running'; attempt: number }
  | { kind: 'paused'; untilMs: number }
  | { kind: 'done' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'cancelled' };

export type QueueResult<R> = { kind: 'done'; value: R } | { kind: 'failed'; error: unknown } | { kind: 'cancelled' };

export interface WorkQueueOptions<T, R> {
  /** Runs wanted at once; clamped to 1–MAX_CONCURRENCY (NaN counts as 1). */
  concurrency: number;
  /**
   * One generation. It gets a signal that aborts when the queue is cancelled, and `release`, which it may call once the
   * gateway has answered to free its slot early (see above); a failure after that is the item's failure, never a pause.
   */
  run: (item: T, index: number, signal: AbortSignal, release: () => void) => Promise<R>;
  /** Each change of an item's state, in the order they happen (for CodeLens states and progress). */
  onState?: (index: number, state: QueueItemState) => void;
  signal?: AbortSignal;
  clock?: Clock;
}

/** The delay a failure asks the whole queue to wait, or undefined when it is not a rate limit with a stated delay. */
export function rateLimitPauseMs(error: unknown): number | undefined {
  if (!(error instanceof GatewayError) || error.kind !== 'rate_limited') return undefined;
  const stated = error.details.retryAfterMs;
  if (stated === undefined || !Number.isFinite(stated) || stated <= 0) return undefined;
  return Math.min(stated, MAX_PAUSE_MS);
}

export function clampConcurrency(concurrency: number): number {
  if (!Number.isFinite(concurrency)) return 1;
  return Math.min(MAX_CONCURRENCY, Math.max(1, Math.floor(concurrency)));
}

export async function runQueue<T, R>(items: readonly T[], options: WorkQueueOptions<T, R>): Promise<QueueResult<R>[]> {
  const clock = options.clock ?? systemClock;
  const limit = clampConcurrency(options.concurrency);
  const results: (QueueResult<R> | undefined)[] = items.map(() => undefined);
  const requeues = items.map(() => 0);
  const attempts = items.map(() => 0);
  const pending: number[] = items.map((_, index) => index);
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = (): void => controller.abort();
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;
  const notify = (index: number, state: QueueItemState): void => {
    try {
      options.onState?.(index, state);
    } catch {
      // A listener's failure is not the item's failure.
    }
  };
  let pausedUntil = 0;

  for (let index = 0; index < items.length; index++) notify(index, { kind: 'queued' });

  const settle = (index: number, result: QueueResult<R>): void => {
    results[index] = result;
    notify(index, result.kind === 'done' ? { kind: 'done' } : result.kind === 'failed' ? { kind: 'failed', error: result.error } : { kind: 'cancelled' });
  };

  // Items started and not ended (requesting, or released and finishing), and the workers waiting for one to end.
  let held = 0;
  const maxHeld = 2 * limit;
  const waitingForEnd: (() => void)[] = [];
  const tails: Promise<void>[] = [];

  /** Runs one item; resolves when it ends or, earlier, when it releases its slot (its end is then in `tails`). */
  const start = async (index: number): Promise<void> => {
    let released = false;
    let onRelease: () => void = () => undefined;
    const releasedNow = new Promise<void>((resolve) => (onRelease = resolve));
    const release = (): void => {
      if (released) return;
      released = true;
      onRelease();
    };
    held += 1;
    const ended = (async (): Promise<void> => {
      try {
        const value = await options.run(items[index] as T, index, signal, release);
        settle(index, { kind: 'done', value });
      } catch (error) {
        if (signal.aborted || isCancellation(error)) {
          settle(index, { kind: 'cancelled' });
        } else {
          const pause = released ? undefined : rateLimitPauseMs(error);
          if (pause !== undefined && (requeues[index] ?? 0) < MAX_REQUEUES) {
            requeues[index] = (requeues[index] ?? 0) + 1;
            pausedUntil = Math.max(pausedUntil, clock.now() + pause);
            pending.unshift(index);
            notify(index, { kind: 'paused', untilMs: pausedUntil });
          } else {
            settle(index, { kind: 'failed', error });
          }
        }
      } finally {
        held -= 1;
        waitingForEnd.shift()?.();
      }
    })();
    await Promise.race([ended, releasedNow]);
    if (released) tails.push(ended);
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (signal.aborted) return;
      if (held >= maxHeld) {
        await new Promise<void>((resolve) => waitingForEnd.push(resolve));
        continue;
      }
      const wait = pausedUntil - clock.now();
      if (wait > 0) {
        try {
          await clock.sleep(wait, signal);
        } catch {
          return;
        }
        continue;
      }
      const index = pending.shift();
      if (index === undefined) return;
      attempts[index] = (attempts[index] ?? 0) + 1;
      notify(index, { kind: 'running', attempt: attempts[index] as number });
      await start(index);
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(limit, Math.max(1, items.length)) }, () => worker()));
    await Promise.all(tails);
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
  // Whatever never started (cancelled before its turn) is reported as cancelled.
  for (let index = 0; index < items.length; index++) {
    if (results[index] === undefined) settle(index, { kind: 'cancelled' });
  }
  return results as QueueResult<R>[];
}
