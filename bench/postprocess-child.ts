/**
 * One cold run of our post-processing in a fresh process (bench/postprocess.ts bundles this like dist/cli.js, so the
 * codecs come from ./image.js and ./wasm/ beside it): a PNG → fit crop to WxH → WebP at a quality, as a generation
 * does. Prints JSON: the first call (loading and compiling the codecs included), then `warm` more calls, and the
 * largest stall of this thread's event loop during each call.
 * argv: input.png output.webp WxH quality warm [thread|worker]
 *   thread: the pixel work in this thread, as the CLI does; worker: in the image worker thread (./imageWorker.js beside
 *   this bundle), as the extension does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadCodecs } from '../src/core/image/loadCodecs';
import { offThreadImages } from '../src/core/image/offThread';
import { processImage } from '../src/core/image/process';

async function main(): Promise<void> {
  const [input, output, size, quality, warm, where] = process.argv.slice(2);
  const images = where === 'worker' ? offThreadImages(join(__dirname, 'imageWorker.js')) : undefined;
  const bytes = new Uint8Array(readFileSync(input as string));
  const image = { bytes, mime: 'image/png' as const, extension: 'png' as const, attempts: 1, elapsedMs: 0 };
  const options = { fit: 'crop' as const, format: 'webp' as const, quality: Number(quality) };
  const once = async () => {
    const cpu = process.cpuUsage();
    // A 10 ms timer: a stall is how late a tick came beyond it.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = performance.now();
    const out = images ? await processImage(image, size, options, loadCodecs, images.transform) : await processImage(image, size, options);
    const ms = performance.now() - t0;
    loop.disable();
    const used = process.cpuUsage(cpu);
    if (out.report.failed) throw new Error(out.report.failed);
    return { ms, cpuMs: (used.user + used.system) / 1000, stallMs: Math.max(0, loop.max / 1e6 - 10), out };
  };
  const first = await once();
  writeFileSync(output as string, first.out.image.bytes);
  const warmMs: number[] = [];
  const warmStallMs: number[] = [];
  for (let i = 0; i < Number(warm ?? 0); i++) {
    const call = await once();
    warmMs.push(call.ms);
    warmStallMs.push(call.stallMs);
  }
  const rssMiB = process.memoryUsage().rss / 1048576;
  await images?.dispose();
  process.stdout.write(JSON.stringify({ coldMs: first.ms, coldCpuMs: first.cpuMs, coldStallMs: first.stallMs, warmMs, warmStallMs, bytes: first.out.image.bytes.length, rssMiB }));
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err));
  process.exit(1);
});
