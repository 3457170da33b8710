/**
 * Runs one contender once on the bench gateway under extra Node flags, for digging into a number:
 *
 *   node --import tsx bench/profile.ts <contender.ts> <1024|2048|tiny> <j|s> [node flags...]
 *   node --import tsx bench/profile.ts bench/contenders/ours-lib.ts 2048 s --cpu-prof
 *   node --import tsx bench/profile.ts bench/contenders/sdk.ts 2048 j -r ./bench/memsampler.cjs
 *
 * The contender is bundled without minification (readable function names). With `--cpu-prof` the top
 * self times of the profile are printed. The child is spawned straight from here, so its own
 * resourceUsage().maxRSS includes this process's size (Linux keeps a forked child's peak across exec): use
 * the memsampler preload or `npm run bench` for memory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { BENCH_KEY, BENCH_PROMPT, PARTIAL_IMAGES, buildCases } from './fixtures';
import { startBenchGateway } from './server';
import type { ContenderReport } from './contenders/common';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

function printTopSelfTimes(file: string, top = 20): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byNode = new Map<number, number>();
  profile.samples.forEach((id, i) => byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop() ?? ''}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (byNode.get(node.id) ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`profile: ${(total / 1000).toFixed(0)} ms sampled; top self times:`);
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(us / 1000).toFixed(1).padStart(9)} ms  ${key}`);
}

async function main(): Promise<void> {
  const [entry, caseName, mode, ...flags] = process.argv.slice(2);
  if (!entry || !caseName || (mode !== 'j' && mode !== 's')) throw new Error('usage: profile.ts <contender.ts> <1024|2048|tiny> <j|s> [node flags...]');
  const dir = mkdtempSync(join(tmpdir(), 'cpa-profile-'));
  try {
    const script = join(dir, 'contender.js');
    await esbuild.build({
      entryPoints: [resolve(entry)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20.18',
      outfile: script,
      logLevel: 'error',
      define: { __EXTENSION_VERSION__: JSON.stringify('0.0.0-profile') },
    });
    const cases = buildCases(caseName === 'tiny' ? [] : [Number(caseName)]);
    const gateway = await startBenchGateway(cases, BENCH_KEY);
    const job = {
      baseUrl: gateway.baseUrlFor('profile', caseName),
      apiKey: BENCH_KEY,
      prompt: BENCH_PROMPT,
      stream: mode === 's',
      partialImages: PARTIAL_IMAGES,
      output: join(dir, 'out.png'),
      report: join(dir, 'report.json'),
    };
    const nodeFlags = flags.includes('--cpu-prof') ? [...flags, `--cpu-prof-dir=${dir}`] : flags;
    await new Promise<void>((done) => spawn(process.execPath, [...nodeFlags, script, JSON.stringify(job)], { stdio: 'inherit' }).on('exit', () => done()));
    await gateway.close();
    const report = JSON.parse(readFileSync(job.report, 'utf8')) as ContenderReport;
    console.log(`${report.ok ? 'ok' : `failed: ${report.error ?? ''}`}; request → file ${(report.fileWrittenAt - report.requestStartedAt).toFixed(0)} ms in-process`);
    for (const f of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) printTopSelfTimes(join(dir, f));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
