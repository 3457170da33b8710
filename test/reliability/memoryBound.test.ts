/**
 * Memory stays bounded on an endless stream (issue 9, item 2): the built CLI (`node dist/cli.js`) runs in a child
 * process with a 256 MiB heap against gateway scenarios that stream about 400 MiB of model text deltas, or of
 * finished output items without an image, made on the fly by the gateway. The CLI must end with its one clean error
 * line (`too_large`, exit 1), not be killed by V8's out-of-memory abort (SIGABRT, exit 134), and write nothing.
 *
 * Peak memory is the child's VmHWM (the kernel's high-water mark of its resident set) read from /proc/<pid>/status
 * every 20 ms while it runs: the mark only grows, so the last read before the exit is the peak up to then. The
 * assertion is a memory bound, not a time bound: 256 MiB of resident memory, the size of the heap the process was
 * given. Before the fix both runs were aborted by V8 near 400 MB of RSS.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { streamByteBudget } from '../../src/core/gateway/answerBounds';
import { ImageClient } from '../../src/core/gateway/client';
import { tinyPng } from '../gateway/images';
import { cliTestBed } from '../support/cliTestBed';
import { startTestGateway, type ScenarioName, type TestGateway } from '../gateway/server';
import { CANARY, CLI, RecordingLogger, assertNoCanary, filesBelow, settingsFor, within } from './support';

const MIB = 1024 * 1024;
const HEAP_MIB = 256;
/** The CLI's default maxResponseMiB: its stream budget is 4 × 64 + 16 = 272 MiB, under the 400 MiB sent. */
const DEFAULT_MAX_RESPONSE_MIB = 64;
const FLOOD_BYTES = 400 * MIB;

interface MeasuredRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of stderr (a crash writes a long trace; only the end matters). */
  stderr: string;
  stdout: string;
  peakRssKiB: number;
}

/** The peak resident set of `pid` so far (VmHWM), or undefined when the process is gone. */
function highWaterMarkKiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function runCliMeasured(args: readonly string[], options: { cwd: string; home: string; baseUrl: string }): Promise<MeasuredRun> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.home, IMAGE_GEN_BASE_URL: options.baseUrl, IMAGE_GEN_KEY: CANARY };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MIB}`, CLI, ...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let peakRssKiB = 0;
    const sample = (): void => {
      const mark = child.pid !== undefined ? highWaterMarkKiB(child.pid) : undefined;
      if (mark !== undefined) peakRssKiB = Math.max(peakRssKiB, mark);
    };
    const sampler = setInterval(sample, 20);
    child.stdout.on('data', (c: Buffer) => (stdout = (stdout + c.toString()).slice(-8000)));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000)));
    // Exit (not close) is when /proc still may hold the last state; sample once more there.
    child.on('exit', sample);
    const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, peakRssKiB });
    });
  });
}

describe('memory stays bounded on a 400 MiB hostile stream (the CLI in a 256 MiB heap)', () => {
  const bed = cliTestBed('membound');

  const cases: { scenario: ScenarioName; what: string }[] = [
    { scenario: 'flood-text-deltas', what: '400 MiB of response.output_text.delta events' },
    { scenario: 'flood-output-items', what: '400 MiB of response.output_item.done events without an image' },
  ];
  for (const c of cases) {
    it(`${c.scenario}: ${c.what} → exit 1 with a too_large line, no crash, peak RSS under ${HEAP_MIB} MiB`, { timeout: 300_000 }, async () => {
      const cwd = await mkdtemp(join(bed.scratch, 'w'));
      const url = bed.gw.scenarioUrl(c.scenario, { bytes: FLOOD_BYTES });
      const run = await runCliMeasured(['--prompt', 'a cute squirrel', '--output', 'out/squirrel.png', '--stream'], { cwd, home: bed.home, baseUrl: url });
      const peakMiB = run.peakRssKiB / 1024;
      // The measured peak is printed for RELIABILITY.md.
      process.stdout.write(`# ${c.scenario}: exit ${run.code} signal ${run.signal}, peak RSS ${peakMiB.toFixed(1)} MiB\n`);

      assert.equal(run.signal, null, `killed by ${run.signal} (an out-of-memory abort is SIGABRT, exit 134):\n${run.stderr.slice(-1500)}`);
      assert.notEqual(run.code, 134, `V8 aborted (out of memory):\n${run.stderr.slice(-1500)}`);
      assert.equal(run.code, 1, `a clean error exit:\n${run.stderr.slice(-1500)}`);
      const lines = run.stderr.split('\n').filter(Boolean);
      const budgetMiB = streamByteBudget(DEFAULT_MAX_RESPONSE_MIB * MIB) / MIB;
      assert.match(
        lines.at(-1) ?? '',
        new RegExp(`^cpa-gpt-image: The gateway's stream went past ${budgetMiB} MiB in all \\(4 × the 64 MiB response size limit \\+ 16 MiB\\) without an image`),
      );
      assert.equal(run.stdout, '', 'no path printed');
      assert.deepEqual(await filesBelow(cwd), [], 'nothing written, no temporary file left');
      assertNoCanary('stderr', [run.stderr]);

      assert.ok(run.peakRssKiB > 0, 'the peak was measured');
      assert.ok(peakMiB < HEAP_MIB, `peak RSS ${peakMiB.toFixed(1)} MiB is under ${HEAP_MIB} MiB`);

      // The CLI stopped reading at its budget and went away: the gateway never got to the end of its 400 MiB.
      const outcome = await within(10_000, 'the gateway seeing the client leave', bed.gw.waitForOutcome(url));
      assert.equal(outcome.finished, false, 'the client closed the connection instead of reading the whole stream');
    });
  }
});

describe('an image followed by an endless stream', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw.close());

  for (const scenario of ['flood-text-deltas', 'flood-output-items'] as const) {
    it(`${scenario} after the image (imageFirst=1, 1 MiB cap, 40 MiB sent): the image is kept, the stream is left at the 20 MiB budget`, async () => {
      const url = gw.scenarioUrl(scenario, { bytes: 40 * MIB, imageFirst: 1 });
      const logger = new RecordingLogger();
      const client = new ImageClient({ logger });
      try {
        const image = await within(60_000, 'generate', client.generate(settingsFor(url, { stream: true, maxResponseMiB: 1 }), { prompt: 'a cute squirrel' }));
        assert.deepEqual(Buffer.from(image.bytes), tinyPng, 'exactly the image the gateway sent first');
        assert.equal(image.attempts, 1);
      } finally {
        await client.close();
      }
      assert.ok(logger.lines.some((l) => /went on past 20971520 bytes after the image had arrived/.test(l)), logger.lines.join('\n'));
      const outcome = await within(10_000, 'the gateway seeing the client leave', gw.waitForOutcome(url));
      assert.equal(outcome.finished, false, 'the client stopped reading at the budget');
    });
  }
});
