/**
 * Cold `require` + `activate()` of two builds of the extension, interleaved run by run in fresh processes, against
 * the same `vscode` stand-in as `npm run bench` (bench/activation/). For a before/after comparison of a change to
 * what activation loads: build the "before" commit's dist/ somewhere (for example a clone at that commit, `node
 * esbuild.mjs --production`), then
 *
 *   node --import tsx bench/activationCompare.ts --before /tmp/old/dist [--after dist] [--runs 21] [--node /usr/bin/node]…
 *
 * Prints a markdown table of medians (min–max) of wall time and of process CPU time per build and Node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import type { ActivationReport } from './activation/child';

const root = resolve(__dirname, '..');

function option(name: string): string[] {
  const values: string[] = [];
  process.argv.forEach((arg, i) => {
    if (arg === name && process.argv[i + 1] !== undefined) values.push(process.argv[i + 1] as string);
  });
  return values;
}

async function main(): Promise<void> {
  const before = option('--before')[0];
  if (!before) throw new Error('usage: activationCompare.ts --before <dist dir> [--after <dist dir>] [--runs N] [--node <binary>]…');
  const builds = { before: resolve(before, 'extension.js'), after: resolve(option('--after')[0] ?? join(root, 'dist'), 'extension.js') };
  const runs = Number(option('--runs')[0] ?? 21);
  const nodes = option('--node').length > 0 ? option('--node') : [process.execPath];
  const dir = mkdtempSync(join(tmpdir(), 'cpa-act-compare-'));
  try {
    const child = join(dir, 'activation.js');
    await esbuild.build({ entryPoints: [join(root, 'bench/activation/child.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20.18', outfile: child, logLevel: 'silent' });
    const types = join(root, 'node_modules', '@types', 'vscode', 'index.d.ts');
    const rows: string[] = [];
    for (const node of nodes) {
      const results: Record<string, ActivationReport[]> = { before: [], after: [] };
      for (let i = 0; i < runs; i++) {
        for (const [name, bundle] of Object.entries(builds)) {
          const reportFile = join(dir, `${name}-${i}.json`);
          execFileSync(node, [child, bundle, reportFile, 'timing', types], { stdio: ['ignore', 'ignore', 'inherit'] });
          const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ActivationReport;
          if (report.error) throw new Error(`${name}: ${report.error}`);
          results[name]!.push(report);
        }
      }
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
      for (const [name, bundle] of Object.entries(builds)) {
        const list = results[name]!;
        rows.push(
          `| ${name} | ${version} | ${(statSync(bundle).size / 1024).toFixed(1)} KiB | ${runs} | ${spread(list.map((r) => r.requireMs))} | ` +
            `${spread(list.map((r) => r.activateMs))} | ${spread(list.map((r) => r.totalMs))} | ${spread(list.map((r) => r.totalCpuMs))} |`,
        );
      }
    }
    console.log('| build | Node | extension.js | runs | require ms | activate() ms | total ms | total CPU ms |');
    console.log('|---|---|---:|---:|---:|---:|---:|---:|');
    for (const row of rows) console.log(row);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  return `${median.toFixed(1)} (${(sorted[0] as number).toFixed(1)}–${(sorted[sorted.length - 1] as number).toFixed(1)})`;
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
