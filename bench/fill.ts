/**
 * Issue 13 item 8: filling a document of 20 empty image links against a gateway that takes 1 s per image, with
 * concurrency 1, 3 and 6. The wall time is compared with the ideal `ceil(20 / c)` seconds (goal: within 1.15×),
 * and the event loop of the process doing the fill is watched the whole time (goal: no stall over 50 ms).
 *
 * What runs is the CLI's `fill` itself (src/cli/fill.ts: core/batch/workQueue.ts, the empty-link finder, the
 * client, the post-process stage, provenance, the atomic save and the in-place document write), called in this
 * process so that the event loop measured is the one doing the work. The test gateway runs in a child process
 * (test/gateway/main.ts), so its own work is not counted in this process's loop; it serves scenario `slow` with
 * `delayMs=100`, whose non-streamed answer comes after 10 × 100 ms = 1 s. Two image weights: the scenario's 8×8 PNG
 * (what the queue and the fill cost by themselves) and a 1024×1024 noise PNG (3 MiB, 4 MiB of base64: a real
 * image's weight, so moving, decoding and saving it is part of the time).
 *
 * A second, idle Node process watches its own event loop over the same run (the control): on a shared machine a
 * process can wait for a core, and that shows as a "stall" in both; only what the filling process shows beyond the
 * control is the fill's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { median } from './stats';

export const FILL_LINKS = 20;
export const FILL_CONCURRENCIES = [1, 3, 6] as const;
/** The gateway's time per image. */
export const FILL_IMAGE_MS = 1000;
/** The goals of issue 13 item 8. */
export const FILL_GOAL_RATIO = 1.15;
export const FILL_GOAL_STALL_MS = 50;
/** The event-loop histogram's timer interval; a sample is the time between two ticks, so a stall is that minus this. */
const RESOLUTION_MS = 10;
const KEY = 'sk-bench-fill-0123456789';

/** The images the gateway serves (test gateway parameters of scenario `slow`). */
export const FILL_WEIGHTS = [
  { id: 'small', label: '8×8 PNG', params: '' },
  { id: 'noise1024', label: '1024×1024 noise PNG', params: 'width=1024&height=1024&noise=1' },
] as const;
export type FillWeight = (typeof FILL_WEIGHTS)[number]['id'];

export interface FillRun {
  weight: FillWeight;
  concurrency: number;
  round: number;
  wallMs: number;
  idealMs: number;
  /** The longest time the event loop could not run a timer, beyond the timer's own interval. */
  maxStallMs: number;
  /** 99th percentile of the same samples (minus the interval). */
  p99StallMs: number;
  /** CPU time (user + system) of this process during the fill: the client's own work, whatever the machine's load. */
  cpuMs: number;
  /** CPU time of the test gateway's process during the fill (it builds each answer's body per request). */
  gatewayCpuMs?: number;
  /** The idle control process over the same run: its largest stall. */
  controlMaxStallMs?: number;
  filled: number;
  files: number;
  exitCode: number;
}

export interface FillResults {
  links: number;
  imageMs: number;
  /** PNG bytes of each weight. */
  imageBytes: Record<FillWeight, number>;
  rounds: number;
  runs: FillRun[];
  /** 1-minute load average before and after the fill runs (other work on the machine shows in both the times and the stalls). */
  load: [number, number];
}

/** The test gateway in a child process; resolves with its base URL. */
async function startGatewayChild(root: string): Promise<{ baseUrl: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test', 'gateway', 'main.ts'), '--port', '0', '--key', KEY], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /gateway listening on (\S+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`the test gateway exited (${code}) before listening`)));
    child.on('error', reject);
  });
  return { baseUrl, child };
}

/** The control: an idle Node process watching its own loop until its standard input closes, then printing the max. */
const CONTROL_SCRIPT = `
const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: ${RESOLUTION_MS} });
h.enable();
process.stdout.write('ready\\n');
process.stdin.resume();
process.stdin.on('end', () => { h.disable(); process.stdout.write(JSON.stringify({ maxMs: h.max / 1e6 }) + '\\n'); process.exit(0); });
`;

export async function startControl(): Promise<{ stop: () => Promise<number | undefined> }> {
  const child = spawn(process.execPath, ['-e', CONTROL_SCRIPT], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  await new Promise<void>((ready) => {
    const check = (): void => {
      if (out.includes('ready')) ready();
      else child.stdout.once('data', check);
    };
    check();
  });
  return {
    stop: () =>
      new Promise((done) => {
        child.on('exit', () => {
          const match = /\{"maxMs":([\d.]+)\}/.exec(out);
          done(match ? Math.max(0, Number(match[1]) - RESOLUTION_MS) : undefined);
        });
        child.stdin.end();
      }),
  };
}

/** A document with `count` empty links, each with its own alt text, between paragraphs of prose. */
export function documentWithEmptyLinks(count: number): string {
  const lines = ['# A document waiting for its pictures', ''];
  for (let i = 1; i <= count; i++) lines.push(`Paragraph ${i} says something about figure ${i}.`, '', `![figure ${i}: a lighthouse at dusk, view ${i}]()`, '');
  return lines.join('\n');
}

function stallMs(valueNs: number): number {
  return Math.max(0, valueNs / 1e6 - RESOLUTION_MS);
}

/** User + system CPU of a process so far, ms (Linux /proc; undefined elsewhere). */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on Linux on every architecture Node runs on. */
const CLOCK_TICKS = 100;

async function fillOnce(gatewayPid: number | undefined, baseUrl: string, scratch: string, weight: (typeof FILL_WEIGHTS)[number], concurrency: number, round: number): Promise<FillRun> {
  const { runFill } = await import('../src/cli/fill');
  const dir = join(scratch, `${weight.id}-c${concurrency}-r${round}`);
  mkdirSync(join(dir, 'home'), { recursive: true });
  const doc = join(dir, 'doc.md');
  writeFileSync(doc, documentWithEmptyLinks(FILL_LINKS));
  const sink = { write: () => true };
  const params = [`delayMs=${FILL_IMAGE_MS / 10}`, weight.params].filter((p) => p !== '').join('&');
  const scenario = `${baseUrl}/s/slow/fill-${weight.id}-c${concurrency}-r${round}-${process.pid}/${params}`;
  const io = {
    stdout: sink,
    stderr: sink,
    stdin: Readable.from([]),
    env: { IMAGE_GEN_BASE_URL: scenario, IMAGE_GEN_KEY: KEY, PATH: process.env.PATH ?? '' },
    cwd: dir,
    homeDir: join(dir, 'home'),
  };
  const control = await startControl();
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const cpuBefore = process.cpuUsage();
  const gatewayBefore = processCpuMs(gatewayPid);
  const started = performance.now();
  const exitCode = await runFill(['doc.md', '--concurrency', String(concurrency)], io);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const gatewayAfter = processCpuMs(gatewayPid);
  histogram.disable();
  const controlMaxStallMs = await control.stop();
  const text = readFileSync(doc, 'utf8');
  const filled = (text.match(/\]\(images\/[^)]+\.png\)/g) ?? []).length;
  const files = readdirSync(join(dir, 'images')).filter((f) => f.endsWith('.png')).length;
  rmSync(dir, { recursive: true, force: true });
  return {
    weight: weight.id,
    concurrency,
    round,
    wallMs,
    idealMs: Math.ceil(FILL_LINKS / concurrency) * FILL_IMAGE_MS,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...(gatewayBefore !== undefined && gatewayAfter !== undefined ? { gatewayCpuMs: gatewayAfter - gatewayBefore } : {}),
    maxStallMs: stallMs(histogram.max),
    p99StallMs: stallMs(histogram.percentile(99)),
    ...(controlMaxStallMs !== undefined ? { controlMaxStallMs } : {}),
    filled,
    files,
    exitCode,
  };
}

/**
 * One warm-up fill (not counted: it loads undici and the modules), then `rounds` rounds of every weight at c = 1, 3,
 * 6, the order rotated per round. About 2 × (20 + 7 + 4) s per round.
 */
export async function measureFill(options: { root: string; rounds: number; log: (m: string) => void }): Promise<FillResults> {
  const { root, rounds, log } = options;
  const { baseUrl, child } = await startGatewayChild(root);
  const scratch = mkdtempSync(join(tmpdir(), 'cpa-bench-fill-'));
  const runs: FillRun[] = [];
  const loadBefore = loadavg()[0] ?? 0;
  try {
    log(`fill: ${FILL_LINKS} empty links, ${FILL_IMAGE_MS} ms per image (test gateway in a child process), concurrency ${FILL_CONCURRENCIES.join(', ')}, ${rounds} rounds + 1 warm-up`);
    const warm = await fillOnce(child.pid, baseUrl, scratch, FILL_WEIGHTS[1], 6, 0);
    if (warm.exitCode !== 0 || warm.filled !== FILL_LINKS) throw new Error(`the warm-up fill failed: exit ${warm.exitCode}, ${warm.filled} of ${FILL_LINKS} links filled`);
    const cases = FILL_WEIGHTS.flatMap((weight) => FILL_CONCURRENCIES.map((c) => ({ weight, c })));
    for (let round = 1; round <= rounds; round++) {
      const k = round % cases.length;
      for (const { weight, c } of [...cases.slice(k), ...cases.slice(0, k)]) {
        const run = await fillOnce(child.pid, baseUrl, scratch, weight, c, round);
        runs.push(run);
        log(
          `  fill ${weight.id} c=${c} round ${round}: ${(run.wallMs / 1000).toFixed(2)} s (ideal ${run.idealMs / 1000} s), largest stall ${run.maxStallMs.toFixed(1)} ms ` +
            `(control ${run.controlMaxStallMs?.toFixed(1) ?? 'n/a'} ms), CPU ${run.cpuMs.toFixed(0)} ms (gateway ${run.gatewayCpuMs?.toFixed(0) ?? 'n/a'} ms), ${run.filled}/${FILL_LINKS} filled, exit ${run.exitCode}`,
        );
      }
    }
    const { servedImageFor } = await import('../test/gateway/scenarios');
    const imageBytes = Object.fromEntries(
      FILL_WEIGHTS.map((w) => [w.id, servedImageFor('slow', Object.fromEntries(new URLSearchParams(w.params))).bytes.length]),
    ) as Record<FillWeight, number>;
    return { links: FILL_LINKS, imageMs: FILL_IMAGE_MS, imageBytes, rounds, runs, load: [loadBefore, loadavg()[0] ?? 0] };
  } finally {
    child.kill('SIGTERM');
    rmSync(scratch, { recursive: true, force: true });
  }
}

const bytesText = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${n} bytes`);

/** The markdown of the fill table, for BENCHMARKS.md's results section. */
export function renderFill(r: FillResults): string[] {
  const out = [`### Filling a document (issue 13): ${r.links} empty links, ${r.imageMs / 1000} s per image`, ''];
  out.push(
    `The CLI's \`fill\` (src/cli/fill.ts, core/batch/workQueue.ts) run in the bench's own process against the test gateway in a child process ` +
      `(scenario \`slow\`, a non-streamed answer after ${r.imageMs} ms). Medians of ${r.rounds} rounds (min–max). Stalls: the event loop of the filling ` +
      `process watched with \`perf_hooks.monitorEventLoopDelay\` (${RESOLUTION_MS} ms timer; a stall is a tick's lateness beyond it); *control*: an idle ` +
      `Node process watching its own loop over the same run (what waiting for a core costs on this machine). CPU: user + system time of the ` +
      `filling process and of the test gateway's (which builds each answer's body per request). Load average (1 min) ${r.load[0].toFixed(1)} before, ${r.load[1].toFixed(1)} after, on ${cpus().length} cores.`,
    '',
    `| image | concurrency | ideal | wall time | ×ideal (≤ ${FILL_GOAL_RATIO}) | CPU: filling process / gateway | largest stall, median (worst) (≤ ${FILL_GOAL_STALL_MS} ms) | p99 stall | control: largest stall, median (worst) | links filled |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const weight of FILL_WEIGHTS) {
    for (const c of FILL_CONCURRENCIES) {
      const runs = r.runs.filter((x) => x.weight === weight.id && x.concurrency === c);
      if (runs.length === 0) continue;
      const wall = runs.map((x) => x.wallMs);
      const stalls = runs.map((x) => x.maxStallMs);
      const control = runs.flatMap((x) => (x.controlMaxStallMs === undefined ? [] : [x.controlMaxStallMs]));
      const ideal = runs[0]?.idealMs ?? Number.NaN;
      const ratio = median(wall) / ideal;
      const worstStall = Math.max(...stalls);
      const filled = runs.every((x) => x.filled === r.links && x.files === r.links && x.exitCode === 0);
      out.push(
        `| ${weight.label} (${bytesText(r.imageBytes[weight.id])}) | ${c} | ${(ideal / 1000).toFixed(0)} s | ${(median(wall) / 1000).toFixed(2)} s (${(Math.min(...wall) / 1000).toFixed(2)}–${(Math.max(...wall) / 1000).toFixed(2)}) | ` +
          `${ratio.toFixed(3)}× ${ratio <= FILL_GOAL_RATIO ? '✅' : '❌'} | ${median(runs.map((x) => x.cpuMs)).toFixed(0)} / ${median(runs.flatMap((x) => (x.gatewayCpuMs === undefined ? [] : [x.gatewayCpuMs]))).toFixed(0)} ms | ${median(stalls).toFixed(1)} ms (${worstStall.toFixed(1)}) ${worstStall <= FILL_GOAL_STALL_MS ? '✅' : '❌'} | ` +
          `${median(runs.map((x) => x.p99StallMs)).toFixed(1)} ms | ${control.length ? `${median(control).toFixed(1)} ms (${Math.max(...control).toFixed(1)})` : 'n/a'} | ${filled ? `${r.links} of ${r.links}, every run` : 'not all ❌'} |`,
      );
    }
  }
  out.push('');
  return out;
}

const msOrNa = (values: (number | undefined)[]): string => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? `${median(known).toFixed(0)} ms` : '–';
};

/** The markdown of the extension-host table (bench/fillExtension.ts). */
export function renderExtensionFill(r: {
  rounds: number;
  runs: { concurrency: number; wallMs: number; idealMs: number; maxStallMs: number; p99StallMs: number; controlMaxStallMs?: number; gatewayHoldMs?: number; answerToNextRequestMs?: number; filled: number }[];
}): string[] {
  const out = [
    `#### The same in code-server's extension host: Generate All Missing Images`,
    '',
    `The packaged extension in code-server (test/e2e/harness.ts, Chromium through Playwright), the test gateway in the bench's process, ` +
      `the same document and scenario (8×8 PNG, not streamed). Time and stalls as the extension measured them inside its host ` +
      `(CPA_IMAGE_BENCH_EVENT_LOOP=1: src/vscode/features/authoring/eventLoopProbe.ts), from the queue's start to the last link written. Medians of ${r.rounds} rounds (min–max).`,
    '',
    `| concurrency | ideal | wall time | ×ideal (≤ ${FILL_GOAL_RATIO}) | gateway held a request | answer → next request (c = 1) | largest stall, median (worst) (≤ ${FILL_GOAL_STALL_MS} ms) | p99 stall | control: largest stall, median (worst) | links filled |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of FILL_CONCURRENCIES) {
    const runs = r.runs.filter((x) => x.concurrency === c);
    if (runs.length === 0) continue;
    const wall = runs.map((x) => x.wallMs);
    const stalls = runs.map((x) => x.maxStallMs);
    const control = runs.flatMap((x) => (x.controlMaxStallMs === undefined ? [] : [x.controlMaxStallMs]));
    const ideal = runs[0]?.idealMs ?? Number.NaN;
    const ratio = median(wall) / ideal;
    const worst = Math.max(...stalls);
    out.push(
      `| ${c} | ${(ideal / 1000).toFixed(0)} s | ${(median(wall) / 1000).toFixed(2)} s (${(Math.min(...wall) / 1000).toFixed(2)}–${(Math.max(...wall) / 1000).toFixed(2)}) | ${ratio.toFixed(3)}× ${ratio <= FILL_GOAL_RATIO ? '✅' : '❌'} | ` +
        `${msOrNa(runs.map((x) => x.gatewayHoldMs))} | ${msOrNa(runs.map((x) => x.answerToNextRequestMs))} | ` +
        `${median(stalls).toFixed(1)} ms (${worst.toFixed(1)}) ${worst <= FILL_GOAL_STALL_MS ? '✅' : '❌'} | ${median(runs.map((x) => x.p99StallMs)).toFixed(1)} ms | ` +
        `${control.length ? `${median(control).toFixed(1)} ms (${Math.max(...control).toFixed(1)})` : 'n/a'} | ${runs.every((x) => x.filled === FILL_LINKS) ? `${FILL_LINKS} of ${FILL_LINKS}, every run` : 'not all ❌'} |`,
    );
  }
  out.push('');
  return out;
}
