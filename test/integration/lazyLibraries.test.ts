/**
 * markdown-it and picomatch stay out of activation: bundled like the extension (the real build's options and
 * plugin), the modules that use them load without them, and require `./markdown-it.js` / `./picomatch.js` beside
 * the bundle only when a markdown document is first scanned or a `markdown.copyFiles.destination` glob first matched.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makePng } from '../gateway/images';

describe('markdown-it, picomatch and the image codecs are loaded lazily', { timeout: 60_000 }, () => {
  it('bundled like the extension, importing does not load them; the first scan and the first match do', async () => {
    const { build } = await import('esbuild');
    const root = resolve(import.meta.dirname, '../..');
    const { commonOptions, librariesBesideBundle } = (await import(join(root, 'esbuild.mjs'))) as {
      commonOptions: () => Record<string, unknown>;
      librariesBesideBundle: import('esbuild').Plugin;
    };
    const dir = mkdtempSync(join(tmpdir(), 'cpa-lazy-libs-'));
    try {
      const entry = join(dir, 'entry.ts');
      writeFileSync(
        entry,
        `export { findEmptyImageLinks } from ${JSON.stringify(join(root, 'src/core/markdown/emptyImageLinks.ts'))};\n` +
          `export { matchCopyFilesDestination } from ${JSON.stringify(join(root, 'src/core/files/copyFilesGlob.ts'))};\n`,
      );
      const bundle = join(dir, 'bundle.cjs');
      await build({ ...commonOptions(), entryPoints: [entry], outfile: bundle, sourcemap: false, logLevel: 'silent', plugins: [librariesBesideBundle] });
      // The files beside the bundle mark when they are evaluated, then hand over the real libraries.
      for (const [file, real, flag] of [
        ['markdown-it.js', 'markdown-it', '__markdownItLoaded'],
        ['picomatch.js', 'picomatch/posix', '__picomatchLoaded'],
      ] as const) {
        writeFileSync(join(dir, file), `globalThis.${flag} = true; module.exports = require(${JSON.stringify(require.resolve(real, { paths: [root] }))});`);
      }
      const probe = join(dir, 'probe.cjs');
      writeFileSync(
        probe,
        `
const loaded = () => ({ markdownIt: globalThis.__markdownItLoaded === true, picomatch: globalThis.__picomatchLoaded === true });
const { findEmptyImageLinks, matchCopyFilesDestination } = require(${JSON.stringify(bundle)});
const report = { afterImport: loaded() };
report.links = findEmptyImageLinks('    ![in code]()\\n\\n![a fox]()').map((l) => l.rawAlt);
report.afterScan = loaded();
report.destination = matchCopyFilesDestination({ '*.+(md|mdx)': 'x/' }, '/ws/a.mdx', ['/ws']);
report.afterMatch = loaded();
process.stdout.write(JSON.stringify(report));
`,
      );
      const run = spawnSync(process.execPath, [probe], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        afterImport: { markdownIt: false, picomatch: false },
        links: ['a fox'],
        afterScan: { markdownIt: true, picomatch: false },
        destination: 'x/',
        afterMatch: { markdownIt: true, picomatch: true },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the image codecs (issue 12): bundled like the extension, importing the post-process stage and keeping an image as delivered load none; the first fit requires ./image.js', async () => {
    const { build } = await import('esbuild');
    const root = resolve(import.meta.dirname, '../..');
    const { commonOptions, librariesBesideBundle } = (await import(join(root, 'esbuild.mjs'))) as {
      commonOptions: () => Record<string, unknown>;
      librariesBesideBundle: import('esbuild').Plugin;
    };
    // The real codecs, as built beside the bundles (dist/image.js reads dist/wasm/).
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'pipe' });
    const dir = mkdtempSync(join(tmpdir(), 'cpa-lazy-image-'));
    try {
      const entry = join(dir, 'entry.ts');
      writeFileSync(entry, `export { processImage } from ${JSON.stringify(join(root, 'src/core/image/process.ts'))};\n`);
      const bundle = join(dir, 'bundle.cjs');
      await build({ ...commonOptions(), entryPoints: [entry], outfile: bundle, sourcemap: false, logLevel: 'silent', plugins: [librariesBesideBundle] });
      writeFileSync(join(dir, 'image.js'), `globalThis.__imageLoaded = true; module.exports = require(${JSON.stringify(join(root, 'dist/image.js'))});`);
      const png = makePng(30, 20).toString('base64');
      const probe = join(dir, 'probe.cjs');
      writeFileSync(
        probe,
        `
const loaded = () => globalThis.__imageLoaded === true;
const { processImage } = require(${JSON.stringify(bundle)});
(async () => {
  const image = { bytes: new Uint8Array(Buffer.from(${JSON.stringify(png)}, 'base64')), mime: 'image/png', extension: 'png', attempts: 1, elapsedMs: 1 };
  const report = { afterImport: loaded() };
  const kept = await processImage(image, '30x20', { fit: 'crop', format: 'original', quality: 80 });
  report.kept = kept.image.bytes === image.bytes;
  report.afterKept = loaded();
  const fitted = await processImage(image, '20x20', { fit: 'crop', format: 'webp', quality: 80 });
  report.fitted = [fitted.image.mime, fitted.report.saved, fitted.report.failed];
  report.afterFit = loaded();
  process.stdout.write(JSON.stringify(report));
})();
`,
      );
      const run = spawnSync(process.execPath, [probe], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        afterImport: false,
        kept: true,
        afterKept: false,
        fitted: ['image/webp', { width: 20, height: 20 }, null],
        afterFit: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
