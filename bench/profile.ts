// Profiles one contender run: node --cpu-prof (and optional extra flags) on a non-minified build.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, mkdirSync, rmSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { buildCases, BENCH_KEY } from './fixtures';
import { startBenchGateway } from './server';
const [entry, caseName, streamArg, ...flags] = process.argv.slice(2);
(async () => {
  const out = `/tmp/bx/${entry!.replace(/\W/g, '_')}.js`;
  await esbuild.build({ entryPoints: [entry!], bundle: true, platform: 'node', format: 'cjs', target: 'node20.18', outfile: out, define: { __EXTENSION_VERSION__: '"x"' }, logLevel: 'error' });
  const cases = buildCases(caseName === 'tiny' ? [] : [Number(caseName)]);
  const gw = await startBenchGateway(cases, BENCH_KEY);
  rmSync('/tmp/bx/prof', { recursive: true, force: true }); mkdirSync('/tmp/bx/prof');
  const job = { baseUrl: gw.baseUrlFor('p1', caseName!), apiKey: BENCH_KEY, prompt: 'x', stream: streamArg === 's', partialImages: 3, output: `/tmp/bx/outp.png`, report: `/tmp/bx/rp.json` };
  await new Promise<void>((res) => { const c = spawn(process.execPath, [...flags, out, JSON.stringify(job)], { stdio: 'inherit', cwd: '/tmp/bx/prof' }); c.on('exit', () => res()); });
  const r = JSON.parse(readFileSync(job.report, 'utf8'));
  console.log('ok', r.ok, r.error ?? '', 'in-proc ms', (r.fileWrittenAt - r.requestStartedAt).toFixed(0), 'maxRSS MiB', (r.maxRssKiB / 1024).toFixed(1));
  await gw.close();
  const profs = readdirSync('/tmp/bx/prof').filter((f) => f.endsWith('.cpuprofile'));
  for (const f of profs) {
    const p = JSON.parse(readFileSync(`/tmp/bx/prof/${f}`, 'utf8')) as { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }[]; samples: number[]; timeDeltas: number[] };
    const dt = new Map<number, number>();
    p.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
    const self = new Map<string, number>();
    for (const n of p.nodes) {
      const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-1)[0]}:${n.callFrame.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + (dt.get(n.id) ?? 0));
    }
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    console.log(`profile total ${(total / 1000).toFixed(0)} ms; top self time:`);
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 22)) console.log(`  ${(v / 1000).toFixed(1).padStart(7)} ms  ${k}`);
  }
})();
