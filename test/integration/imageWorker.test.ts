/**
 * The post-process stage's worker thread (src/core/image/offThread.ts, dist/imageWorker.js): the extension hands it
 * the pixel work so that its host's event loop is not blocked while an image is decoded, resampled and encoded. Real
 * threads, the real built worker and codecs, real bytes; fake workers only where a worker must misbehave.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makePng } from '../gateway/images';
import { offThreadImages } from '../../src/core/image/offThread';
import { describeProcessing, processImage, type ImageProcessing } from '../../src/core/image/process';
import { loadCodecs } from '../../src/core/image/loadCodecs';
import type { GeneratedImage } from '../../src/core/types';

const root = resolve(__dirname, '../..');
const builtWorker = join(root, 'dist/imageWorker.js');
const delivered = (bytes: Uint8Array): GeneratedImage => ({ bytes, mime: 'image/png', extension: 'png', attempts: 1, elapsedMs: 1 });
const toWebp: ImageProcessing = { fit: 'crop', format: 'webp', quality: 80 };
const codecsLoadedHere = (): boolean => Object.keys(require.cache).some((file) => /src[\\/]core[\\/]image[\\/]codecs\.ts$|[\\/]image\.js$/.test(file));

/** Polls `check` until it holds (a worker's exit is an event this side sees only through `running()`). */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('the image worker thread', { timeout: 60_000 }, () => {
  let dir: string;
  before(() => {
    // The real worker and codecs, as the extension ships them.
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'pipe' });
    dir = mkdtempSync(join(tmpdir(), 'cpa-image-worker-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('does the pixel work in its own thread (this one never loads a codec), then ends after the idle time', async () => {
    const images = offThreadImages(builtWorker, { idleMs: 300 });
    const input = makePng(300, 200);
    const out = await processImage(delivered(input), '200x300', toWebp, loadCodecs, images.transform);
    assert.equal(out.report.failed, undefined);
    assert.equal(out.image.mime, 'image/webp');
    assert.deepEqual(out.report.saved, { width: 200, height: 300 });
    assert.equal(describeProcessing(out.report), 'asked 200×300, gateway sent 300×200, cropped, converted PNG to WebP');
    assert.equal(input.byteLength, makePng(300, 200).byteLength, 'the delivered bytes are still here (copied, not handed over)');
    assert.equal(codecsLoadedHere(), false, 'no codec was loaded in this thread');
    assert.equal(images.running(), true);
    await until('the idle worker to end', () => !images.running());
    // The same job in this thread gives the same bytes: the worker runs the very same stage.
    const here = await processImage(delivered(input), '200x300', toWebp);
    assert.deepEqual([...here.image.bytes], [...out.image.bytes]);
    assert.equal(codecsLoadedHere(), true, 'the check above can see a codec loaded in this thread');
  });

  it('a job that fails in the worker keeps the image as delivered and says why', async () => {
    const images = offThreadImages(builtWorker, { idleMs: 100 });
    // A PNG whose header says 64×32 but whose pixel data is cut off: the size is read, the decoding fails.
    const broken = makePng(64, 32).subarray(0, 60);
    const out = await processImage(delivered(broken), '32x32', toWebp, loadCodecs, images.transform);
    assert.equal(out.image.bytes, broken, 'the delivered bytes, untouched');
    assert.ok(out.report.failed, 'a reason');
    assert.match(describeProcessing(out.report), /could not be processed \(.+\), saved as delivered/);
    await images.dispose();
  });

  it('a job over the time limit ends the worker; the image is kept as delivered; the next job gets a new worker', async () => {
    const silent = join(dir, 'silent-worker.js');
    // Says it is ready (as the real worker does once loaded), then never answers.
    writeFileSync(silent, `const { parentPort } = require('node:worker_threads');\nparentPort.on('message', () => {});\nparentPort.postMessage({ ready: true });\n`);
    const images = offThreadImages(silent, { jobTimeoutMs: 200 });
    const input = makePng(40, 20);
    const out = await processImage(delivered(input), '20x20', toWebp, loadCodecs, images.transform);
    assert.equal(out.image.bytes, input);
    assert.equal(describeProcessing(out.report), 'asked 20×20, gateway sent 40×20, kept as sent, could not be processed (the image work took longer than 200 ms and was stopped), saved as delivered');
    assert.equal(images.running(), false, 'the worker was ended');
    const again = await processImage(delivered(input), '20x20', toWebp, loadCodecs, images.transform);
    assert.match(again.report.failed ?? '', /took longer than 200 ms/, 'a new worker took the next job (and was ended in turn)');
  });

  it('a worker that stops fails the job it had, and the next job starts a new one', async () => {
    const dying = join(dir, 'dying-worker.js');
    // Exits on a job of quality 13; answers any other with the image as it came.
    writeFileSync(
      dying,
      `const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, job }) => {
  if (job.quality === 13) process.exit(3);
  parentPort.postMessage({ id, result: { image: job.image, report: job.report } });
});
parentPort.postMessage({ ready: true });
`,
    );
    const images = offThreadImages(dying, { idleMs: 100 });
    const input = makePng(40, 20);
    const died = await processImage(delivered(input), '20x20', { ...toWebp, quality: 13 }, loadCodecs, images.transform);
    assert.equal(died.image.bytes, input);
    assert.match(describeProcessing(died.report), /could not be processed \(The image worker stopped \(exit code 3\)\.\), saved as delivered/);
    const next = await processImage(delivered(input), '20x20', toWebp, loadCodecs, images.transform);
    assert.equal(next.report.failed, undefined, 'the next job was answered by a new worker');
    await images.dispose();
  });

  it('a worker that cannot start (its file does not load) hands its job, and every later one, to this thread', async () => {
    const broken = join(dir, 'broken-worker.js');
    writeFileSync(broken, 'this is not JavaScript (\n');
    const images = offThreadImages(broken);
    const first = await processImage(delivered(makePng(30, 20)), '20x20', toWebp, loadCodecs, images.transform);
    assert.equal(first.report.failed, undefined, 'processed here instead');
    assert.deepEqual(first.report.saved, { width: 20, height: 20 });
    const second = await processImage(delivered(makePng(30, 20)), '20x20', toWebp, loadCodecs, images.transform);
    assert.equal(second.report.failed, undefined);
    assert.equal(images.running(), false, 'no worker is tried again');
  });

  it('without the worker file (running from the sources) the work runs in this thread', async () => {
    const images = offThreadImages(join(dir, 'no-such-worker.js'));
    const out = await processImage(delivered(makePng(30, 20)), '20x20', toWebp, loadCodecs, images.transform);
    assert.equal(out.report.failed, undefined);
    assert.deepEqual(out.report.saved, { width: 20, height: 20 });
    assert.equal(images.running(), false);
  });
});
