/**
 * What every in-process contender shares: its job description (one JSON argument) and its report
 * (one JSON file), so the orchestrator treats the client and the SDK exactly alike.
 */
import { writeFileSync } from 'node:fs';

export interface ContenderJob {
  /** Gateway base URL without `/v1` (the bench gateway's per-run prefix). */
  baseUrl: string;
  apiKey: string;
  prompt: string;
  stream: boolean;
  partialImages: number;
  /** Where the image goes. */
  output: string;
  /** Where the report goes. */
  report: string;
}

export interface ContenderReport {
  ok: boolean;
  error?: string;
  /** Epoch ms (performance.timeOrigin + now) just before the request call. */
  requestStartedAt: number;
  /** Epoch ms after the file was written and closed. */
  fileWrittenAt: number;
  /**
   * process.resourceUsage().maxRSS, KiB: a cross-check of /usr/bin/time's figure, valid only when the
   * parent was small (Linux carries the forked parent's peak across exec).
   */
  maxRssKiB: number;
  bytesWritten: number;
}

export function readJob(): ContenderJob {
  const arg = process.argv[2];
  if (!arg) throw new Error('usage: node contender.js <job JSON>');
  return JSON.parse(arg) as ContenderJob;
}

export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export function writeReport(job: ContenderJob, report: ContenderReport): void {
  writeFileSync(job.report, JSON.stringify(report));
}

/** Runs one job, always leaves a report, exits non-zero on failure. */
export async function runContender(job: ContenderJob, work: () => Promise<number>): Promise<void> {
  const requestStartedAt = epochNow();
  try {
    const bytesWritten = await work();
    const fileWrittenAt = epochNow();
    writeReport(job, { ok: true, requestStartedAt, fileWrittenAt, maxRssKiB: process.resourceUsage().maxRSS, bytesWritten });
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    writeReport(job, { ok: false, error: message, requestStartedAt, fileWrittenAt: epochNow(), maxRssKiB: process.resourceUsage().maxRSS, bytesWritten: 0 });
    process.exitCode = 1;
  }
}
