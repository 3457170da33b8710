/**
 * Issue 12 item 6: the post-processing of a 2048×2048 PNG to a 1024×1024 WebP at quality 80, ours (the Squoosh
 * codecs on WebAssembly, src/core/image/) against Debian's `cwebp` (libwebp, native) on the same input in the same
 * run. Each round runs both as fresh processes, in alternating order; ours is also timed inside its process (the first
 * call, which loads and compiles the codecs, then warm calls). Quality is compared by PSNR against a neutral
 * reference: the input averaged over 2×2 blocks (neither side's resampler).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

export interface PostProcessRun {
  /** Whole process, spawn to exit (Node start included), ms. */
  processMs: number;
  /** CPU (user + system) of the whole process, ms (GNU time). */
  processCpuMs?: number;
}

export interface PostProcessResults {
  input: { width: number; height: number; pngBytes: number };
  target: string;
  quality: number;
  ours: { runs: (PostProcessRun & { coldMs: number; coldCpuMs: number; warmMs: number[] })[]; bytes: number; psnr?: number; rssMiB: number };
  cwebp?: { version: string; runs: PostProcessRun[]; bytes: number; psnr?: number };
  cwebpMissing?: string;
}

const SIZE = 2048;
const TARGET = 1024;
const QUALITY = 80;

/** A deterministic picture with smooth areas, hard edges and a little grain, like a generated illustration. */
export function syntheticRgba(size: number): Uint8Array {
  const data = new Uint8Array(size * size * 4);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  const circles = Array.from({ length: 24 }, () => ({ x: rand() * size, y: rand() * size, r: 60 + rand() * 300, c: [rand() * 255, rand() * 255, rand() * 255] }));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      let r = 128 + 100 * Math.sin(x / 170) * Math.cos(y / 230);
      let g = 110 + 90 * Math.sin((x + y) / 300);
      let b = 140 + 80 * Math.cos(x / 410 - y / 190);
      for (const c of circles) {
        const d = Math.hypot(x - c.x, y - c.y);
        if (d < c.r) {
          const shade = 0.75 + 0.25 * (1 - d / c.r);
          r = (c.c[0] ?? 0) * shade;
          g = (c.c[1] ?? 0) * shade;
          b = (c.c[2] ?? 0) * shade;
        }
      }
      const grain = (rand() - 0.5) * 12;
      data[i] = Math.max(0, Math.min(255, r + grain));
      data[i + 1] = Math.max(0, Math.min(255, g + grain));
      data[i + 2] = Math.max(0, Math.min(255, b + grain));
      data[i + 3] = 255;
    }
  }
  return data;
}

/** PSNR (dB) of `image` against `reference` over RGB. */
export function psnr(reference: Uint8Array, image: Uint8Array): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < reference.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      const d = (reference[i + c] ?? 0) - (image[i + c] ?? 0);
      sum += d * d;
      n++;
    }
  }
  return 10 * Math.log10((255 * 255) / (sum / n));
}

/** The input averaged over 2×2 blocks: the neutral 1024×1024 reference. */
export function boxHalf(data: Uint8Array, size: number): Uint8Array {
  const half = size / 2;
  const out = new Uint8Array(half * half * 4);
  for (let y = 0; y < half; y++) {
    for (let x = 0; x < half; x++) {
      for (let c = 0; c < 4; c++) {
        const at = (yy: number, xx: number) => data[(yy * size + xx) * 4 + c] ?? 0;
        out[(y * half + x) * 4 + c] = Math.round((at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4);
      }
    }
  }
  return out;
}

/** Runs a command under GNU time; wall ms measured here, CPU ms from time's `%U %S`. */
function timed(timeBin: string | undefined, file: string, args: string[]): PostProcessRun & { stdout: string } {
  const t0 = performance.now();
  const result = timeBin
    ? spawnSync(timeBin, ['-f', 'CPU %U %S', file, ...args], { encoding: 'utf8' })
    : spawnSync(file, args, { encoding: 'utf8' });
  const processMs = performance.now() - t0;
  if (result.status !== 0) throw new Error(`${file} failed: ${result.stderr}`);
  const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(result.stderr ?? '');
  return { processMs, ...(cpu ? { processCpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 } : {}), stdout: result.stdout };
}

/**
 * @param distDir the production dist/ (image.js and wasm/ are copied beside the bundled child)
 * @param buildDir where the child is bundled
 */
export async function measurePostProcess(options: { distDir: string; buildDir: string; rounds: number; timeBin?: string; log: (m: string) => void }): Promise<PostProcessResults> {
  const { distDir, buildDir, rounds, timeBin, log } = options;
  const { librariesBesideBundle, commonOptions } = (await import(join(__dirname, '..', 'esbuild.mjs'))) as {
    librariesBesideBundle: esbuild.Plugin;
    commonOptions: (o: { production: boolean }) => esbuild.BuildOptions;
  };
  const dir = join(buildDir, 'postprocess');
  mkdirSync(dir, { recursive: true });
  await esbuild.build({ ...commonOptions({ production: true }), entryPoints: [join(__dirname, 'postprocess-child.ts')], outfile: join(dir, 'child.js'), plugins: [librariesBesideBundle], logLevel: 'error' });
  cpSync(join(distDir, 'image.js'), join(dir, 'image.js'));
  cpSync(join(distDir, 'wasm'), join(dir, 'wasm'), { recursive: true });

  const codecs = await import('../src/core/image/codecs');
  const scratch = mkdtempSync(join(tmpdir(), 'cpa-bench-pp-'));
  try {
    const rgba = syntheticRgba(SIZE);
    const input = join(scratch, 'input.png');
    writeFileSync(input, await codecs.encode({ width: SIZE, height: SIZE, data: rgba }, 'png', 100));
    const reference = boxHalf(rgba, SIZE);
    const cwebpVersion = (() => {
      try {
        return execFileSync('cwebp', ['-version'], { encoding: 'utf8' }).trim();
      } catch {
        return undefined;
      }
    })();
    log(`post-processing: ${SIZE}×${SIZE} PNG (${statSync(input).size} bytes) → ${TARGET}×${TARGET} WebP q${QUALITY}, ours vs ${cwebpVersion ? `cwebp ${cwebpVersion}` : 'no cwebp (apt-get install webp)'}, ${rounds} rounds`);
    const oursOut = join(scratch, 'ours.webp');
    const cwebpOut = join(scratch, 'cwebp.webp');
    const ours: PostProcessResults['ours']['runs'] = [];
    const native: PostProcessRun[] = [];
    let rssMiB = 0;
    for (let round = 0; round <= rounds; round++) {
      const order = round % 2 === 0 ? ['ours', 'cwebp'] : ['cwebp', 'ours'];
      for (const who of order) {
        if (who === 'ours') {
          // One call per timed process, like one generation; the warm calls are timed in a process of their own.
          const run = timed(timeBin, process.execPath, [join(dir, 'child.js'), input, oursOut, `${TARGET}x${TARGET}`, String(QUALITY), '0']);
          const inside = JSON.parse(run.stdout) as { coldMs: number; coldCpuMs: number; warmMs: number[]; rssMiB: number };
          rssMiB = Math.max(rssMiB, inside.rssMiB);
          const warm = round > 0 ? (JSON.parse(timed(undefined, process.execPath, [join(dir, 'child.js'), input, oursOut, `${TARGET}x${TARGET}`, String(QUALITY), '2']).stdout) as { warmMs: number[] }).warmMs : [];
          if (round > 0) ours.push({ processMs: run.processMs, ...(run.processCpuMs !== undefined ? { processCpuMs: run.processCpuMs } : {}), coldMs: inside.coldMs, coldCpuMs: inside.coldCpuMs, warmMs: warm });
        } else if (cwebpVersion) {
          const run = timed(timeBin, 'cwebp', ['-quiet', '-q', String(QUALITY), '-resize', String(TARGET), String(TARGET), input, '-o', cwebpOut]);
          if (round > 0) native.push({ processMs: run.processMs, ...(run.processCpuMs !== undefined ? { processCpuMs: run.processCpuMs } : {}) });
        }
      }
    }
    const quality = async (file: string) => psnr(reference, (await codecs.decode(new Uint8Array(readFileSync(file)), 'webp')).data);
    return {
      input: { width: SIZE, height: SIZE, pngBytes: statSync(input).size },
      target: `${TARGET}x${TARGET}`,
      quality: QUALITY,
      ours: { runs: ours, bytes: statSync(oursOut).size, psnr: await quality(oursOut), rssMiB },
      ...(cwebpVersion && existsSync(cwebpOut)
        ? { cwebp: { version: cwebpVersion, runs: native, bytes: statSync(cwebpOut).size, psnr: await quality(cwebpOut) } }
        : { cwebpMissing: 'cwebp is not installed (Debian package webp)' }),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : `${v.toFixed(0)} ms`);
const kib = (v: number) => `${(v / 1024).toFixed(1)} KiB`;

/** The markdown of the post-processing table, for BENCHMARKS.md's results section. */
export function renderPostProcess(r: PostProcessResults): string[] {
  const out = ['### Post-processing (issue 12): 2048×2048 PNG → 1024×1024 WebP, quality 80', ''];
  out.push(
    `Input: a synthetic ${r.input.width}×${r.input.height} picture (smooth areas, hard edges, grain), PNG of ${kib(r.input.pngBytes)}. ` +
      `Medians of ${r.ours.runs.length} rounds, each a fresh process for each side, order alternating. PSNR against the input averaged over 2×2 blocks.`,
    '',
    '| | whole process (one image) | CPU of that process | in-process, first call (codecs loaded and compiled) | in-process, later calls | output | PSNR |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  const pick = <T,>(runs: T[], f: (x: T) => number | undefined) => median(runs.map(f).filter((v): v is number => v !== undefined));
  out.push(
    `| ours (Squoosh PNG and libwebp on WebAssembly, pica Lanczos3) | ${ms(pick(r.ours.runs, (x) => x.processMs))} | ${ms(pick(r.ours.runs, (x) => x.processCpuMs))} | ${ms(pick(r.ours.runs, (x) => x.coldMs))} | ${ms(median(r.ours.runs.flatMap((x) => x.warmMs)))} | ${kib(r.ours.bytes)} | ${r.ours.psnr?.toFixed(2) ?? 'n/a'} dB |`,
  );
  if (r.cwebp) {
    out.push(`| \`cwebp -q 80 -resize 1024 1024\` (libwebp ${r.cwebp.version}, native) | ${ms(pick(r.cwebp.runs, (x) => x.processMs))} | ${ms(pick(r.cwebp.runs, (x) => x.processCpuMs))} | – | – | ${kib(r.cwebp.bytes)} | ${r.cwebp.psnr?.toFixed(2) ?? 'n/a'} dB |`);
    const native = pick(r.cwebp.runs, (x) => x.processMs);
    const timeRatio = pick(r.ours.runs, (x) => x.processMs) / native;
    // What a user of the extension waits: the host is running, so no Node start; the first image of a session pays the
    // codecs' first call, the next ones the later calls.
    const firstRatio = pick(r.ours.runs, (x) => x.coldMs) / native;
    const laterRatio = median(r.ours.runs.flatMap((x) => x.warmMs)) / native;
    const sizeRatio = r.ours.bytes / r.cwebp.bytes;
    const mark = (ratio: number) => (ratio <= 1.5 ? '✅' : '❌');
    out.push(
      '',
      `Goals: time ≤ 1.5× cwebp's whole process: **${timeRatio.toFixed(2)}×** for our whole process ${mark(timeRatio)}, **${firstRatio.toFixed(2)}×** for the first call in a running process ${mark(firstRatio)}, **${laterRatio.toFixed(2)}×** for later calls ${mark(laterRatio)}; size within 10 % of cwebp's: **${((sizeRatio - 1) * 100).toFixed(1)} %** ${Math.abs(sizeRatio - 1) <= 0.1 ? '✅' : '❌'}. Peak RSS of our process: ${r.ours.rssMiB.toFixed(0)} MiB.`,
    );
  } else {
    out.push('', `cwebp: not measured (${r.cwebpMissing ?? 'missing'}).`);
  }
  out.push('');
  return out;
}
