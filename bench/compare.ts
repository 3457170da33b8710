/**
 * A/B tool for whoever changes the client: builds the library contender against one or more copies
 * of `src/` and runs them interleaved on the bench gateway, printing medians of request→file time and
 * peak RSS (with growth over the same build on the 1×1 image). Faster and narrower than `npm run bench`.
 *
 *   node --import tsx bench/compare.ts [--runs 7] [--cases 2048j,2048s] [--sdk] [--node-flags "--max-semi-space-size=1"] current=. patched=/tmp/copy
 *
 * Each `label=dir` names a folder that contains `src/core/gateway/client.ts` (default: this repository).
 * Cases: <side>j (JSON) or <side>s (stream, 3 partial images), e.g. 1024j, 2048s.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { BENCH_KEY, BENCH_PROMPT, PARTIAL_IMAGES, buildCases } from './fixtures';
import { startBenchGateway } from './server';
import type { ContenderReport } from './contenders/common';
import { median } from './stats';

const root = resolve(__dirname, '..');

interface Variant {
  label: string;
  script: string;
}

function parseArgs(argv: string[]): { runs: number; cases: { side: number; stream: boolean }[]; sdk: boolean; nodeFlags: string[]; roots: { label: string; dir: string }[] } {
  let runs = 7;
  let nodeFlags: string[] = [];
  let cases = ['2048j', '2048s'];
  let sdk = false;
  const roots: { label: string; dir: string }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--runs') runs = Number(argv[++i]);
    else if (arg === '--cases') cases = (argv[++i] ?? '').split(',');
    else if (arg === '--sdk') sdk = true;
    else if (arg === '--node-flags') nodeFlags = (argv[++i] ?? '').split(' ').filter(Boolean);
    else {
      const [label, dir] = arg.includes('=') ? (arg.split('=', 2) as [string, string]) : [arg, arg];
      roots.push({ label, dir: resolve(dir) });
    }
  }
  if (roots.length === 0) roots.push({ label: 'current', dir: root });
  const parsed = cases.map((c) => {
    const m = /^(\d+)([js])$/.exec(c.trim());
    if (!m) throw new Error(`bad case ${c}: use e.g. 2048j or 1024s`);
    return { side: Number(m[1]), stream: m[2] === 's' };
  });
  return { runs, cases: parsed, sdk, nodeFlags, roots };
}

async function build(outDir: string, label: string, srcRoot: string | undefined): Promise<Variant> {
  const script = join(outDir, `${label.replace(/\W/g, '_')}.js`);
  const redirect: esbuild.Plugin = {
    name: 'src-root',
    setup(b) {
      if (!srcRoot) return;
      // The contender imports ../../src/core/{client,types}: point them at the variant's copy.
      b.onResolve({ filter: /\/src\/core\/(client|types)$/ }, (args) => ({ path: join(srcRoot, 'src', 'core', `${args.path.split('/').pop() as string}.ts`) }));
    },
  };
  await esbuild.build({
    entryPoints: [join(root, 'bench', 'contenders', srcRoot ? 'ours-lib.ts' : 'sdk.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20.18',
    minify: true,
    outfile: script,
    logLevel: 'error',
    nodePaths: [join(root, 'node_modules'), join(root, 'bench', 'node_modules')],
    define: { __EXTENSION_VERSION__: JSON.stringify('0.0.0-compare') },
    plugins: [redirect],
  });
  return { label, script };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scratch = mkdtempSync(join(tmpdir(), 'cpa-compare-'));
  const variants: Variant[] = [];
  for (const r of args.roots) {
    if (!existsSync(join(r.dir, 'src', 'core', 'client.ts'))) throw new Error(`${r.dir}/src/core/gateway/client.ts not found`);
    variants.push(await build(scratch, r.label, r.dir));
  }
  if (args.sdk) variants.push(await build(scratch, 'openai-sdk', undefined));

  const sides = [...new Set(args.cases.map((c) => c.side))];
  const caseList = buildCases(sides);
  const gateway = await startBenchGateway(caseList, BENCH_KEY);
  let counter = 0;
  const runOnce = async (v: Variant, caseName: string, stream: boolean) => {
    const id = `c${counter++}`;
    const dir = join(scratch, id);
    mkdirSync(dir);
    const job = { baseUrl: gateway.baseUrlFor(id, caseName), apiKey: BENCH_KEY, prompt: BENCH_PROMPT, stream, partialImages: PARTIAL_IMAGES, output: join(dir, 'out.png'), report: join(dir, 'r.json') };
    // Through /usr/bin/time, not straight from here: Linux carries a forked child's peak RSS across exec
    // (ru_maxrss would start at this process's size, with all the served images in it).
    const rssFile = join(dir, 'rss');
    await new Promise<void>((done) =>
      spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, ...args.nodeFlags, v.script, JSON.stringify(job)], { stdio: 'inherit' }).on('exit', () => done()),
    );
    const report = JSON.parse(readFileSync(job.report, 'utf8')) as ContenderReport;
    const peakKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    const arrival = gateway.arrivals.get(id);
    const expected = caseList.find((c) => c.name === caseName)?.png;
    const ok = report.ok && !!expected && readFileSync(job.output).equals(expected);
    rmSync(dir, { recursive: true, force: true });
    return { ok, error: report.error, ms: arrival ? report.fileWrittenAt - (performance.timeOrigin + arrival.arrivedAt) : Number.NaN, rssMiB: peakKiB / 1024 };
  };

  try {
    for (const c of args.cases) {
      const rows = new Map<string, { ms: number[]; rss: number[]; tiny: number[]; failed: string[] }>();
      for (const v of variants) rows.set(v.label, { ms: [], rss: [], tiny: [], failed: [] });
      for (let round = 0; round <= args.runs; round++) {
        const order = round % 2 ? [...variants].reverse() : variants;
        for (const v of order) {
          const row = rows.get(v.label)!;
          const tiny = await runOnce(v, 'tiny', c.stream);
          const big = await runOnce(v, String(c.side), c.stream);
          if (round === 0) continue; // warm-up
          if (!big.ok) row.failed.push(big.error ?? 'wrong file');
          else {
            row.ms.push(big.ms);
            row.rss.push(big.rssMiB);
          }
          if (tiny.ok) row.tiny.push(tiny.rssMiB);
        }
      }
      const image = caseList.find((x) => x.name === String(c.side));
      console.log(`\n${c.side}×${c.side} ${c.stream ? 'stream' : 'JSON'} (image ${((image?.png.length ?? 0) / 1048576).toFixed(1)} MiB), ${args.runs} runs each, medians:`);
      console.log('variant'.padEnd(16), 'request→file ms'.padStart(16), 'peak RSS MiB'.padStart(13), 'growth MiB'.padStart(11), 'failed'.padStart(7));
      for (const [label, row] of rows) {
        const growth = median(row.rss) - median(row.tiny);
        console.log(label.padEnd(16), median(row.ms).toFixed(0).padStart(16), median(row.rss).toFixed(1).padStart(13), growth.toFixed(1).padStart(11), String(row.failed.length).padStart(7), row.failed[0] ?? '');
        if (process.env.COMPARE_VERBOSE) console.log('   ms', row.ms.map((x) => x.toFixed(0)).join(' '), '| rss', row.rss.map((x) => x.toFixed(0)).join(' '), '| 1×1 rss', row.tiny.map((x) => x.toFixed(0)).join(' '));
      }
    }
  } finally {
    await gateway.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
