/**
 * For the fill benchmark (BENCHMARKS.md, issue 13 item 8): whether the extension host stays responsive while Generate
 * All Missing Images runs. Only when the environment of the extension host has CPA_IMAGE_BENCH_EVENT_LOOP=1 (the bench
 * starts code-server with it), a run watches the host's event loop with `perf_hooks.monitorEventLoopDelay` and writes
 * one line to the log at its end; otherwise nothing is measured and nothing is loaded.
 */
import type { Logger } from '../../../core/types';

export const EVENT_LOOP_PROBE_ENV = 'CPA_IMAGE_BENCH_EVENT_LOOP';
/** The line's prefix, which the bench looks for in the log. */
export const EVENT_LOOP_PROBE_PREFIX = 'event loop during the run:';
/** The histogram's timer interval: each sample is the time between two ticks, so a stall is a sample minus this. */
const RESOLUTION_MS = 10;

/** Starts watching when asked to; the returned function stops and logs `{ wallMs, maxStallMs, p99StallMs, samples }`. */
export async function startEventLoopProbe(log: Logger): Promise<() => void> {
  if (process.env[EVENT_LOOP_PROBE_ENV] !== '1') return () => undefined;
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const started = performance.now();
  return () => {
    histogram.disable();
    const stall = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
    const report = {
      wallMs: Math.round(performance.now() - started),
      maxStallMs: stall(histogram.max),
      p99StallMs: stall(histogram.percentile(99)),
      samples: histogram.count,
    };
    log.info(`${EVENT_LOOP_PROBE_PREFIX} ${JSON.stringify(report)}`);
  };
}
