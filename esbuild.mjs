// Builds the two bundles: dist/extension.js (loaded by VS Code) and dist/cli.js (the command-line tool).
// Both bundle undici and eventsource-parser so the .vsix ships no node_modules.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // The oldest extension host we support (VS Code 1.96) runs Node 20.18.
  target: 'node20.18',
  sourcemap: !production,
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
  define: { __EXTENSION_VERSION__: JSON.stringify(pkg.version) },
  logOverride: { 'import-is-undefined': 'error' },
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  {
    ...common,
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  },
];

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[watch] build started');
} else {
  const results = await Promise.all(builds.map((b) => esbuild.build({ ...b, metafile: true })));
  const { writeFileSync, mkdirSync } = await import('node:fs');
  mkdirSync('dist', { recursive: true });
  writeFileSync('dist/meta.json', JSON.stringify(results.map((r) => r.metafile)));
}
