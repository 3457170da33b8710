/**
 * `npm run bench` (through scripts/bench.sh, which builds first): one run that
 *  1. serves large incompressible PNGs from a precomputed loopback gateway (bench/server.ts),
 *  2. times every contender on every case, each in a fresh child process, rounds alternating the order,
 *  3. times the extension's cold `require` + `activate()` and checks what it initialised,
 *  4. writes bench/results/latest.json and rewrites the results section of BENCHMARKS.md.
 *
 * Knobs (environment): BENCH_ROUNDS (default 7, plus one warm-up round that is not counted),
 * BENCH_SIZES (default "1024,2048"), BENCH_ACTIVATION_RUNS (default 15), BENCH_ONLY (comma-separated
 * contender ids; `postprocess` for the issue 12 image benchmark, `fill` and `fill-extension` for the issue 13 fill benchmark), BENCH_FILL_ROUNDS
 * (default 3), BENCH_NO_WRITE=1 (do not touch BENCHMARKS.md), BENCH_RENDER_ONLY=1 (measure nothing: render
 * bench/results/latest.json into BENCHMARKS.md again, after a change to report.ts).
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { BENCH_KEY, BENCH_PROMPT, PARTIAL_IMAGES, buildCases, requestBody, type ImageCase } from './fixtures';
import { startBenchGateway } from './server';
import { CONTENDERS, launch, type ContenderId, type LaunchContext } from './contenders/registry';
import type { ContenderReport } from './contenders/common';
import type { ActivationReport } from './activation/child';
import { measurePostProcess } from './postprocess';
import { measureFill } from './fill';
import { measureExtensionFill } from './fillExtension';
import { renderMarkdown, rewriteResultsSection, summarise, type BenchResults, type MachineInfo, type RunRecord, type SizeInfo } from './report';

const root = resolve(__dirname, '..');
const resultsDir = join(root, 'bench', 'results');
const buildDir = join(resultsDir, 'build');
/** scripts/bench.sh copies the production dist/ here, out of reach of development rebuilds; dist/ otherwise. */
const distDir = existsSync(join(resultsDir, 'dist', 'extension.js')) ? join(resultsDir, 'dist') : join(root, 'dist');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SIZES = (process.env.BENCH_SIZES ?? '1024,2048').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const ACTIVATION_RUNS = Number(process.env.BENCH_ACTIVATION_RUNS ?? 15);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : undefined;

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function commandOutput(file: string, args: string[]): string | undefined {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return undefined;
  }
}

function machineInfo(): MachineInfo {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const systemNode = existsSync('/usr/bin/node') ? commandOutput('/usr/bin/node', ['--version']) : undefined;
  const pkgVersion = (path: string) => {
    try {
      return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version;
    } catch {
      return undefined;
    }
  };
  return {
    cpus: cpus().length,
    nproc: commandOutput('nproc', []) ?? String(cpus().length),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown',
    memTotalMiB: Math.round(totalmem() / 1024 / 1024),
    memFreeMiB: Math.round(freemem() / 1024 / 1024),
    kernel: commandOutput('uname', ['-sr']) ?? 'unknown',
    os: /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '')?.[1] ?? 'unknown',
    node: process.version,
    systemNode: systemNode && systemNode !== process.version ? systemNode : undefined,
    curl: commandOutput('curl', ['--version'])?.split('\n')[0]?.split(' ').slice(0, 2).join(' '),
    jq: commandOutput('jq', ['--version']),
    openaiSdk: pkgVersion(join(root, 'bench', 'node_modules', 'openai', 'package.json')),
    undici: pkgVersion(join(root, 'node_modules', 'undici', 'package.json')),
    eventsourceParser: pkgVersion(join(root, 'node_modules', 'eventsource-parser', 'package.json')),
    date: new Date().toISOString(),
    commit: commandOutput('git', ['-C', root, 'describe', '--always', '--dirty']),
    loadBefore: loadavg()[0] ?? 0,
  };
}

/** Bundles the in-process contenders and the activation child like dist/ is bundled (esbuild, minified, CJS). */
async function buildBundles(): Promise<{ oursLib?: string; sdk?: string; activation?: string }> {
  mkdirSync(buildDir, { recursive: true });
  const common: esbuild.BuildOptions = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20.18',
    minify: true,
    logLevel: 'silent',
    define: { __EXTENSION_VERSION__: JSON.stringify('0.0.0-bench') },
  };
  const errors: { oursLib?: string; sdk?: string; activation?: string } = {};
  const one = async (key: keyof typeof errors, entry: string, out: string, minify = true) => {
    try {
      await esbuild.build({ ...common, minify, entryPoints: [join(root, entry)], outfile: join(buildDir, out) });
    } catch (err) {
      errors[key] = err instanceof Error ? err.message.split('\n').slice(0, 6).join(' ') : String(err);
    }
  };
  await Promise.all([
    existsSync(join(root, 'src/core/gateway/client.ts')) ? one('oursLib', 'bench/contenders/ours-lib.ts', 'ours-lib.js') : (errors.oursLib = 'src/core/gateway/client.ts does not exist yet'),
    one('sdk', 'bench/contenders/sdk.ts', 'openai-sdk.js'),
    one('activation', 'bench/activation/child.ts', 'activation.js', false),
  ]);
  return errors;
}

function parseRss(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const value = Number(lines[lines.length - 1]);
  return Number.isFinite(value) ? value : undefined;
}

interface RunContext {
  ctx: LaunchContext;
  scratch: string;
  gateway: Awaited<ReturnType<typeof startBenchGateway>>;
  cases: Map<string, ImageCase>;
}

let runCounter = 0;

async function runOne(rc: RunContext, contender: ContenderId, caseName: string, stream: boolean, round: number): Promise<RunRecord> {
  const runId = `${contender}-${caseName}-${stream ? 's' : 'n'}-${round}-${runCounter++}`;
  const runDir = join(rc.scratch, runId);
  mkdirSync(runDir);
  const output = join(runDir, 'out.png');
  const reportFile = join(runDir, 'report.json');
  const job = { baseUrl: rc.gateway.baseUrlFor(runId, caseName), apiKey: BENCH_KEY, prompt: BENCH_PROMPT, stream, partialImages: PARTIAL_IMAGES, output, report: reportFile };
  const launched = launch(contender, { ...rc.ctx, runDir }, job);
  const record: RunRecord = { round, caseName, stream, contender, ok: false, wallMs: Number.NaN };

  // The CLI saves through a temporary file that is linked (or renamed) to its final name once complete:
  // the moment that name appears is the moment the file is on disk.
  let fileSeenAt: number | undefined;
  const watcher =
    contender === 'ours-cli'
      ? watch(runDir, (_event, name) => {
          if (fileSeenAt === undefined && name === 'out.png' && existsSync(output)) fileSeenAt = performance.now();
        })
      : undefined;
  let stderr = '';
  const startedAt = performance.now();
  const child = spawn(launched.command, launched.args, { env: launched.env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString('utf8');
  });
  const exitCode = await new Promise<number | string>((done) => {
    child.on('exit', (code, signal) => {
      record.wallMs = performance.now() - startedAt;
      done(code ?? signal ?? -1);
    });
    child.on('error', (err) => done(err.message));
  });
  const exitedAt = startedAt + record.wallMs;
  await new Promise<void>((done) => (child.stderr.readableEnded ? done() : child.stderr.once('end', () => done())));
  watcher?.close();

  const arrival = rc.gateway.arrivals.get(runId);
  if (arrival) {
    record.requestToExitMs = exitedAt - arrival.arrivedAt;
    record.clientClosedEarly = arrival.clientClosedEarly;
    // A pipeline's file is complete when its last stage exits; the CLI's when its final name appears.
    if (contender === 'curl-jq' || contender === 'wire') record.requestToFileMs = record.requestToExitMs;
    if (fileSeenAt !== undefined) record.requestToFileMs = fileSeenAt - arrival.arrivedAt;
  }
  const stages = launched.rssFiles.map(parseRss);
  if (stages.every((v): v is number => v !== undefined)) {
    record.stageRssKiB = stages;
    record.peakRssKiB = stages.reduce((a, b) => a + b, 0);
  }
  if (CONTENDERS[contender].reports && existsSync(reportFile)) {
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ContenderReport;
    record.inProcessMs = report.fileWrittenAt - report.requestStartedAt;
    // Both clocks are this machine's wall clock (performance.timeOrigin + now), so they compare.
    if (arrival) record.requestToFileMs = report.fileWrittenAt - (performance.timeOrigin + arrival.arrivedAt);
    record.selfMaxRssKiB = report.maxRssKiB;
    if (!report.ok) record.error = report.error;
  }
  const expected = rc.cases.get(caseName)?.png;
  if (CONTENDERS[contender].informational) {
    record.ok = exitCode === 0 && !!arrival;
  } else if (existsSync(output) && expected && readFileSync(output).equals(expected)) {
    record.ok = exitCode === 0;
  } else if (!record.error) {
    // The last line of standard error is the CLI's one-line reason; progress lines before it carry times.
    const reason = stderr.trim().split('\n').pop() ?? '';
    record.error = `exit ${exitCode}; ${existsSync(output) ? 'the file differs from the served image' : 'no file'}${reason ? `; stderr: ${reason}` : ''}`;
  }
  if (!record.ok && !record.error) record.error = `exit ${exitCode}${stderr ? `; stderr: ${stderr.trim().slice(0, 300)}` : ''}`;
  rmSync(runDir, { recursive: true, force: true });
  return record;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = ((by % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function runActivation(nodeBin: string, bundle: string, mode: 'timing' | 'coverage', runs: number): Promise<ActivationReport[]> {
  const reports: ActivationReport[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'cpa-bench-act-'));
  const types = join(root, 'node_modules', '@types', 'vscode', 'index.d.ts');
  for (let i = 0; i < runs; i++) {
    const reportFile = join(dir, `a${i}.json`);
    try {
      execFileSync(nodeBin, [join(buildDir, 'activation.js'), bundle, reportFile, mode, types], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
      reports.push(JSON.parse(readFileSync(reportFile, 'utf8')) as ActivationReport);
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString('utf8') ?? String(err);
      reports.push({ node: nodeBin, mode, error: stderr.trim().split('\n').slice(-3).join(' | ') } as ActivationReport);
      break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return reports;
}

function sizes(): SizeInfo {
  const size = (p: string) => (existsSync(p) ? statSync(p).size : undefined);
  const extension = join(distDir, 'extension.js');
  const info: SizeInfo = {
    extensionJs: size(extension),
    extensionJsGzip: existsSync(extension) ? gzipSync(readFileSync(extension), { level: 9 }).length : undefined,
    cliJs: size(join(distDir, 'cli.js')),
    undiciJs: size(join(distDir, 'undici.js')),
    vsix: size(join(root, 'dist-vsix', 'cpa-gpt-image.vsix')),
    imageJs: size(join(distDir, 'image.js')),
    wasm: existsSync(join(distDir, 'wasm')) ? readdirSync(join(distDir, 'wasm')).reduce((sum, f) => sum + statSync(join(distDir, 'wasm', f)).size, 0) : undefined,
    extensionInputs: [],
  };
  const metaPath = join(distDir, 'meta.json');
  if (existsSync(metaPath)) {
    const metas = JSON.parse(readFileSync(metaPath, 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> }[];
    for (const meta of metas) {
      const output = meta.outputs['dist/extension.js'];
      if (!output) continue;
      const byPackage = new Map<string, number>();
      for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
        const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
        const key = m ? (m[1] as string) : path.startsWith('src/') ? 'src (ours)' : path;
        byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
      }
      info.extensionInputs = [...byPackage].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
    }
  }
  return info;
}

function renderOnly(): void {
  const { summary: _old, ...results } = JSON.parse(readFileSync(join(resultsDir, 'latest.json'), 'utf8')) as BenchResults & { summary?: unknown };
  void _old;
  const markdown = renderMarkdown(results, summarise(results));
  rewriteResultsSection(join(root, 'BENCHMARKS.md'), markdown);
  process.stdout.write(`${markdown}\n`);
}

async function main(): Promise<void> {
  if (process.env.BENCH_RENDER_ONLY === '1') return renderOnly();
  const machine = machineInfo();
  log(`machine: ${machine.nproc} cores, ${machine.cpuModel}, ${machine.memTotalMiB} MiB, node ${machine.node}`);
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  if (!timeBin) throw new Error('/usr/bin/time (GNU time) is needed: apt-get install -y time (scripts/bench.sh does it)');

  const buildErrors = await buildBundles();
  for (const [k, v] of Object.entries(buildErrors)) log(`build ${k}: ${v}`);

  const available: ContenderId[] = [];
  const unavailable: Record<string, string> = {};
  const want = (id: ContenderId) => !ONLY || ONLY.has(id);
  const consider = (id: ContenderId, ok: boolean, why: string) => {
    if (!want(id)) return;
    if (ok) available.push(id);
    else unavailable[id] = why;
  };
  consider('curl-jq', !!commandOutput('jq', ['--version']) && !!commandOutput('curl', ['--version']), 'curl or jq missing');
  consider('ours-cli', existsSync(join(distDir, 'cli.js')), 'dist/cli.js not built');
  consider('ours-lib', !buildErrors.oursLib, buildErrors.oursLib ?? '');
  consider('openai-sdk', !buildErrors.sdk, buildErrors.sdk ?? '');
  consider('wire', !!commandOutput('curl', ['--version']), 'curl missing');

  log(`images: 1×1 and ${SIZES.map((s) => `${s}×${s}`).join(', ')} (noise PNG, 3 same-size partials each)`);
  const caseList = buildCases(SIZES);
  const cases = new Map(caseList.map((c) => [c.name, c]));
  const gateway = await startBenchGateway(caseList, BENCH_KEY);
  const scratch = mkdtempSync(join(tmpdir(), 'cpa-bench-'));
  const homeDir = join(scratch, 'home');
  mkdirSync(homeDir);
  const bodyFiles = { stream: join(scratch, 'body-stream.json'), nonStream: join(scratch, 'body.json') };
  writeFileSync(bodyFiles.stream, JSON.stringify(requestBody(true)));
  writeFileSync(bodyFiles.nonStream, JSON.stringify(requestBody(false)));
  const ctx: LaunchContext = { timeBin, nodeBin: process.execPath, buildDir, cliPath: join(distDir, 'cli.js'), runDir: scratch, bodyFiles, homeDir };
  const rc: RunContext = { ctx, scratch, gateway, cases };

  const jobs: { caseName: string; stream: boolean }[] = caseList.flatMap((c) => [
    { caseName: c.name, stream: false },
    { caseName: c.name, stream: true },
  ]);
  const records: RunRecord[] = [];
  const started = performance.now();
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      const roundStart = performance.now();
      let failures = 0;
      for (const [k, j] of jobs.entries()) {
        for (const contender of rotate(available, round + k)) {
          const record = await runOne(rc, contender, j.caseName, j.stream, round);
          if (round > 0) records.push(record);
          if (!record.ok) {
            failures++;
            if (round <= 1) log(`  ${contender} ${j.caseName} ${j.stream ? 'stream' : 'json'}: FAILED ${record.error ?? ''}`);
          }
        }
      }
      log(`round ${round}${round === 0 ? ' (warm-up, not counted)' : ''}: ${((performance.now() - roundStart) / 1000).toFixed(1)} s, ${failures} failed runs`);
    }
  } finally {
    await gateway.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  const contenderSeconds = (performance.now() - started) / 1000;

  const bundle = join(distDir, 'extension.js');
  const activation: BenchResults['activation'] = [];
  if (buildErrors.activation) log(`activation child not built: ${buildErrors.activation}`);
  else if (!existsSync(bundle)) log('dist/extension.js missing: activation not measured');
  else {
    log(`activation: ${ACTIVATION_RUNS} cold runs on ${process.version}`);
    activation.push({ node: process.version, runs: await runActivation(process.execPath, bundle, 'timing', ACTIVATION_RUNS) });
    if (machine.systemNode && Number(/^v(\d+)/.exec(machine.systemNode)?.[1] ?? 0) >= 20) {
      log(`activation: ${ACTIVATION_RUNS} cold runs on ${machine.systemNode} (/usr/bin/node, as old as VS Code 1.96's extension host)`);
      activation.push({ node: machine.systemNode, runs: await runActivation('/usr/bin/node', bundle, 'timing', ACTIVATION_RUNS) });
    }
    activation.push({ node: `${process.version} (coverage)`, runs: await runActivation(process.execPath, bundle, 'coverage', 1) });
  }

  // Issue 12 item 6: post-processing against cwebp (BENCH_ONLY=postprocess runs only this and the activation).
  let postProcess: BenchResults['postProcess'];
  if (!ONLY || ONLY.has('postprocess')) {
    try {
      postProcess = await measurePostProcess({ distDir, buildDir, rounds: Math.max(3, ROUNDS), timeBin, log });
    } catch (err) {
      log(`post-processing not measured: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // Issue 13 item 8: filling 20 empty links at concurrency 1, 3, 6 (BENCH_ONLY=fill runs only this and the activation).
  let fill: BenchResults['fill'];
  if (!ONLY || ONLY.has('fill')) {
    try {
      fill = await measureFill({ root, rounds: Math.max(1, Number(process.env.BENCH_FILL_ROUNDS ?? 3)), log });
    } catch (err) {
      log(`fill not measured: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // The same in code-server's extension host (needs the .vsix and the e2e suite's Playwright; BENCH_ONLY=fill-extension).
  let fillExtension: BenchResults['fillExtension'];
  if (!ONLY || ONLY.has('fill-extension')) {
    try {
      fillExtension = await measureExtensionFill({ rounds: Math.max(1, Number(process.env.BENCH_FILL_ROUNDS ?? 3)), log });
    } catch (err) {
      log(`fill in the extension host not measured: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  machine.loadAfter = loadavg()[0];
  const results: BenchResults = {
    machine,
    rounds: ROUNDS,
    contenderSeconds,
    cases: caseList.map((c) => ({ name: c.name, width: c.width, height: c.height, pngBytes: c.png.length, base64Bytes: Math.ceil(c.png.length / 3) * 4, jsonBodyBytes: c.jsonBody.length, sseBytes: c.sseBytes })),
    available,
    unavailable,
    records,
    activation,
    sizes: sizes(),
    ...(postProcess ? { postProcess } : {}),
    ...(fill ? { fill } : {}),
    ...(fillExtension ? { fillExtension } : {}),
  };
  const summary = summarise(results);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify({ ...results, summary }, null, 1));
  const markdown = renderMarkdown(results, summary);
  process.stdout.write(`${markdown}\n`);
  if (process.env.BENCH_NO_WRITE !== '1') {
    rewriteResultsSection(join(root, 'BENCHMARKS.md'), markdown);
    log('BENCHMARKS.md results section rewritten; raw numbers in bench/results/latest.json');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
