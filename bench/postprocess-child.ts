/**
 * One cold run of our post-processing in a fresh process (bench/postprocess.ts bundles this like dist/cli.js, so the
 * codecs come from ./image.js and ./wasm/ beside it): a PNG → fit crop to WxH → WebP at a quality, as a generation
 * does. Prints JSON: the first call (loading and compiling the codecs included), then `warm` more calls.
 * argv: input.png output.webp WxH quality warm
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { processImage } from '../src/core/image/process';

async function main(): Promise<void> {
  const [input, output, size, quality, warm] = process.argv.slice(2);
  const bytes = new Uint8Array(readFileSync(input as string));
  const image = { bytes, mime: 'image/png' as const, extension: 'png' as const, attempts: 1, elapsedMs: 0 };
  const options = { fit: 'crop' as const, format: 'webp' as const, quality: Number(quality) };
  const once = async () => {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const out = await processImage(image, size, options);
    const ms = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    if (out.report.failed) throw new Error(out.report.failed);
    return { ms, cpuMs: (used.user + used.system) / 1000, out };
  };
  const first = await once();
  writeFileSync(output as string, first.out.image.bytes);
  const warmMs: number[] = [];
  for (let i = 0; i < Number(warm ?? 0); i++) warmMs.push((await once()).ms);
  process.stdout.write(JSON.stringify({ coldMs: first.ms, coldCpuMs: first.cpuMs, warmMs, bytes: first.out.image.bytes.length, rssMiB: process.memoryUsage().rss / 1048576 }));
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err));
  process.exit(1);
});
