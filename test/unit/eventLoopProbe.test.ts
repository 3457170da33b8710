/**
 * The event-loop probe of Generate All Missing Images (for the fill benchmark): silent and free unless the extension
 * host's environment asks for it, then one log line the bench can parse.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_LOOP_PROBE_ENV, EVENT_LOOP_PROBE_PREFIX, startEventLoopProbe } from '../../src/vscode/features/authoring/eventLoopProbe';
import type { Logger } from '../../src/core/types';

function recordingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const keep = (message: string): void => void lines.push(message);
  const log: Logger = { trace: keep, debug: keep, info: keep, warn: keep, error: keep };
  return { log, lines };
}

describe('startEventLoopProbe', () => {
  const saved = process.env[EVENT_LOOP_PROBE_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[EVENT_LOOP_PROBE_ENV];
    else process.env[EVENT_LOOP_PROBE_ENV] = saved;
  });

  it('does nothing and logs nothing without the environment variable', async () => {
    delete process.env[EVENT_LOOP_PROBE_ENV];
    const { log, lines } = recordingLogger();
    const stop = await startEventLoopProbe(log);
    stop();
    assert.deepEqual(lines, []);
  });

  it('with CPA_IMAGE_BENCH_EVENT_LOOP=1, logs one line with the run time and the stalls', async () => {
    process.env[EVENT_LOOP_PROBE_ENV] = '1';
    const { log, lines } = recordingLogger();
    const stop = await startEventLoopProbe(log);
    // A few timer ticks, waited for by events (the timers themselves), not by a wall-clock assertion.
    for (let i = 0; i < 5; i++) await new Promise((done) => setTimeout(done, 15));
    stop();
    assert.equal(lines.length, 1);
    const line = lines[0] as string;
    assert.ok(line.startsWith(`${EVENT_LOOP_PROBE_PREFIX} `), line);
    const report = JSON.parse(line.slice(EVENT_LOOP_PROBE_PREFIX.length)) as Record<string, number>;
    assert.deepEqual(Object.keys(report), ['wallMs', 'maxStallMs', 'p99StallMs', 'samples']);
    assert.ok(report['samples'] !== undefined && report['samples'] > 0, 'the histogram took samples');
    assert.ok((report['maxStallMs'] ?? -1) >= 0 && (report['p99StallMs'] ?? -1) <= (report['maxStallMs'] ?? 0));
  });
});
