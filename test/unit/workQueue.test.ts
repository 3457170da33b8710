/**
 * The bounded queue behind "Generate All Missing Images" and `cpa-gpt-image fill` (src/core/batch/workQueue.ts):
 * how many run at once, what a failure, a rate limit and a cancel do to the others. Runs are promises the test
 * settles itself, so every check is about order and counts, never about time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError, cancelledError } from '../../src/core/errors';
import type { Clock } from '../../src/core/types';
import { MAX_CONCURRENCY, MAX_PAUSE_MS, MAX_REQUEUES, clampConcurrency, rateLimitPauseMs, runQueue, type QueueItemState } from '../../src/core/batch/workQueue';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run. */
async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** A clock whose sleeps return at once and move its time on by what was asked; it records each sleep. */
function steppingClock(): Clock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random: () => 0.5,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) return Promise.reject(cancelledError());
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

function rateLimited(retryAfterMs?: number): GatewayError {
  return new GatewayError('rate_limited', 'Rate limited.', retryAfterMs === undefined ? {} : { retryAfterMs });
}

describe('runQueue: bounded concurrency', () => {
  it('never runs more than `concurrency` at once, and starts the next as soon as one ends', async () => {
    const runs = Array.from({ length: 7 }, () => deferred<string>());
    let active = 0;
    let most = 0;
    const started: number[] = [];
    const queue = runQueue([0, 1, 2, 3, 4, 5, 6], {
      concurrency: 3,
      run: async (item) => {
        started.push(item);
        active += 1;
        most = Math.max(most, active);
        try {
          return await (runs[item] as Deferred<string>).promise;
        } finally {
          active -= 1;
        }
      },
    });
    await settleMicrotasks();
    assert.deepEqual(started, [0, 1, 2], 'three start at once');
    runs[1]!.resolve('b');
    await settleMicrotasks();
    assert.deepEqual(started, [0, 1, 2, 3], 'the fourth starts when one ends');
    for (const [i, run] of runs.entries()) run.resolve(String.fromCharCode(97 + i));
    const results = await queue;
    assert.equal(most, 3);
    assert.deepEqual(results.map((r) => (r.kind === 'done' ? r.value : r.kind)), ['a', 'b', 'c', 'd', 'e', 'f', 'g'], 'in the order of the items');
  });

  it('clamps what it is asked: 0, NaN and negatives run one at a time; more than the maximum runs the maximum', () => {
    assert.equal(clampConcurrency(0), 1);
    assert.equal(clampConcurrency(Number.NaN), 1);
    assert.equal(clampConcurrency(-4), 1);
    assert.equal(clampConcurrency(2.9), 2);
    assert.equal(clampConcurrency(1000), MAX_CONCURRENCY);
  });

  it('an empty list gives an empty result without running anything', async () => {
    let ran = 0;
    assert.deepEqual(await runQueue([], { concurrency: 3, run: async () => ran++ }), []);
    assert.equal(ran, 0);
  });
});

describe('runQueue: a run that releases its slot once the gateway has answered', () => {
  /** Each item: the request (`answered`), then the save and link (`finished`), with `release()` between them. */
  function twoStepRuns(count: number) {
    const answered = Array.from({ length: count }, () => deferred<void>());
    const finished = Array.from({ length: count }, () => deferred<string>());
    const started: number[] = [];
    let requesting = 0;
    let mostRequesting = 0;
    let held = 0;
    let mostHeld = 0;
    const run = async (item: number, _index: number, _signal: AbortSignal, release: () => void): Promise<string> => {
      started.push(item);
      requesting += 1;
      held += 1;
      mostRequesting = Math.max(mostRequesting, requesting);
      mostHeld = Math.max(mostHeld, held);
      try {
        await (answered[item] as Deferred<void>).promise;
      } finally {
        requesting -= 1;
      }
      release();
      release(); // a second call changes nothing
      try {
        return await (finished[item] as Deferred<string>).promise;
      } finally {
        held -= 1;
      }
    };
    return { answered, finished, started, run, most: () => ({ requesting: mostRequesting, held: mostHeld }) };
  }

  it('the next request starts when one is answered, before that one is saved; results wait for every save', async () => {
    const t = twoStepRuns(4);
    let settled = false;
    const queue = runQueue([0, 1, 2, 3], { concurrency: 2, run: t.run }).then((r) => ((settled = true), r));
    await settleMicrotasks();
    assert.deepEqual(t.started, [0, 1]);
    t.answered[0]!.resolve();
    await settleMicrotasks();
    assert.deepEqual(t.started, [0, 1, 2], 'item 2 starts while item 0 is still saving');
    for (const a of t.answered) a.resolve();
    await settleMicrotasks();
    assert.deepEqual(t.started, [0, 1, 2, 3]);
    assert.equal(settled, false, 'the queue is not over while saves run');
    for (const [i, f] of t.finished.entries()) f.resolve(`#${i}`);
    const results = await queue;
    assert.deepEqual(results.map((r) => (r.kind === 'done' ? r.value : r.kind)), ['#0', '#1', '#2', '#3']);
    assert.equal(t.most().requesting, 2, 'never more than `concurrency` requests at once');
  });

  it('never more than twice `concurrency` items started and not ended (the images held): a new one waits for a save to end', async () => {
    const t = twoStepRuns(8);
    const queue = runQueue([0, 1, 2, 3, 4, 5, 6, 7], { concurrency: 2, run: t.run });
    for (const a of t.answered) a.resolve();
    await settleMicrotasks();
    assert.deepEqual(t.started, [0, 1, 2, 3], 'four started, none ended: nothing more until a save ends');
    t.finished[0]!.resolve('a');
    await settleMicrotasks();
    assert.deepEqual(t.started, [0, 1, 2, 3, 4], 'a save that ends lets one more start');
    for (const f of t.finished) f.resolve('x');
    await queue;
    assert.equal(t.most().held, 4);
  });

  it('a failure after release fails its item, never pauses the queue, and the others go on', async () => {
    const clock = steppingClock();
    const results = await runQueue(['a', 'b'], {
      concurrency: 1,
      clock,
      run: async (item, _index, _signal, release) => {
        release();
        if (item === 'a') throw rateLimited(5000);
        return item;
      },
    });
    assert.equal(results[0]?.kind, 'failed');
    assert.deepEqual(results[1], { kind: 'done', value: 'b' });
    assert.deepEqual(clock.sleeps, [], 'no pause');
  });

  it('cancel reaches the released runs too', async () => {
    const controller = new AbortController();
    const results = runQueue(['a', 'b'], {
      concurrency: 1,
      signal: controller.signal,
      run: async (_item, _index, signal, release) => {
        release();
        await new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(cancelledError()), { once: true }));
        return 'never';
      },
    });
    await settleMicrotasks();
    controller.abort();
    assert.deepEqual((await results).map((r) => r.kind), ['cancelled', 'cancelled']);
  });
});

describe('runQueue: failures, rate limits and cancel', () => {
  it('a failure fails only its own item; the others are done', async () => {
    const boom = new GatewayError('server', 'The gateway failed.');
    const results = await runQueue(['a', 'b', 'c'], {
      concurrency: 2,
      run: async (item) => {
        if (item === 'b') throw boom;
        return item.toUpperCase();
      },
    });
    assert.deepEqual(results, [{ kind: 'done', value: 'A' }, { kind: 'failed', error: boom }, { kind: 'done', value: 'C' }]);
  });

  it('a rate limit with a stated delay pauses the whole queue for that delay and puts the item back first', async () => {
    const clock = steppingClock();
    const calls: string[] = [];
    const states: [number, QueueItemState['kind']][] = [];
    let limited = false;
    const results = await runQueue(['a', 'b', 'c'], {
      concurrency: 1,
      clock,
      onState: (index, state) => states.push([index, state.kind]),
      run: async (item) => {
        calls.push(`${item}@${clock.now()}`);
        if (item === 'a' && !limited) {
          limited = true;
          throw rateLimited(30_000);
        }
        return item;
      },
    });
    assert.deepEqual(results.map((r) => r.kind), ['done', 'done', 'done']);
    assert.deepEqual(clock.sleeps, [30_000], 'one pause of the stated delay');
    assert.deepEqual(calls, ['a@1000000', 'a@1030000', 'b@1030000', 'c@1030000'], 'a again first, and nothing started during the pause');
    assert.ok(states.some(([index, kind]) => index === 0 && kind === 'paused'), 'the item shows it waits');
  });

  it('a rate limit without a stated delay is a failure of that item, not a pause', async () => {
    const clock = steppingClock();
    const results = await runQueue(['a', 'b'], {
      concurrency: 1,
      clock,
      run: async (item) => {
        if (item === 'a') throw rateLimited();
        return item;
      },
    });
    assert.equal(results[0]?.kind, 'failed');
    assert.deepEqual(results[1], { kind: 'done', value: 'b' });
    assert.deepEqual(clock.sleeps, []);
  });

  it('a gateway that always says "later" gets each item back at most MAX_REQUEUES times, each pause at most MAX_PAUSE_MS', async () => {
    const clock = steppingClock();
    let calls = 0;
    const results = await runQueue(['a'], {
      concurrency: 2,
      clock,
      run: async () => {
        calls += 1;
        throw rateLimited(365 * 24 * 3600_000);
      },
    });
    assert.equal(results[0]?.kind, 'failed');
    assert.equal(calls, 1 + MAX_REQUEUES);
    assert.deepEqual(clock.sleeps, Array.from({ length: MAX_REQUEUES }, () => MAX_PAUSE_MS));
  });

  it('cancel stops the runs in flight (they get the signal), starts nothing more, and reports the rest cancelled', async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    let started = 0;
    const queue = runQueue(['a', 'b', 'c', 'd'], {
      concurrency: 2,
      signal: controller.signal,
      run: (_item, _index, signal) => {
        started += 1;
        seen.push(signal);
        return new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => reject(cancelledError()), { once: true }));
      },
    });
    await settleMicrotasks();
    assert.equal(started, 2);
    controller.abort();
    const results = await queue;
    assert.equal(started, 2, 'nothing started after the cancel');
    assert.ok(seen.every((signal) => signal.aborted));
    assert.deepEqual(results.map((r) => r.kind), ['cancelled', 'cancelled', 'cancelled', 'cancelled']);
  });

  it('a queue cancelled before it starts runs nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    let ran = 0;
    const results = await runQueue(['a', 'b'], { concurrency: 2, signal: controller.signal, run: async () => ran++ });
    assert.equal(ran, 0);
    assert.deepEqual(results.map((r) => r.kind), ['cancelled', 'cancelled']);
  });

  it('a listener that throws does not fail the items', async () => {
    const results = await runQueue(['a'], {
      concurrency: 1,
      onState: () => {
        throw new Error('listener bug');
      },
      run: async (item) => item,
    });
    assert.deepEqual(results, [{ kind: 'done', value: 'a' }]);
  });

  it('rateLimitPauseMs reads only a rate limit with a positive, finite stated delay', () => {
    assert.equal(rateLimitPauseMs(rateLimited(1500)), 1500);
    assert.equal(rateLimitPauseMs(rateLimited(0)), undefined);
    assert.equal(rateLimitPauseMs(rateLimited(-5)), undefined);
    assert.equal(rateLimitPauseMs(rateLimited(Number.POSITIVE_INFINITY)), undefined);
    assert.equal(rateLimitPauseMs(new GatewayError('server', 'x', { retryAfterMs: 1000 })), undefined);
    assert.equal(rateLimitPauseMs(new Error('x')), undefined);
  });
});
