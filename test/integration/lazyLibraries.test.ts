/**
 * markdown-it and picomatch stay out of activation: bundled like the extension (the real build's options and
 * plugin), the modules that use them load without them, and require `./markdown-it.js` / `./picomatch.js` beside
 * the bundle only when a markdown document is first scanned or a `markdown.copyFiles.destination` glob first matched.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

describe('markdown-it and picomatch are loaded lazily', { timeout: 60_000 }, () => {
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
});
