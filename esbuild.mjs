// Builds the bundles: dist/extension.js (loaded by VS Code), dist/cli.js (the command-line tool), the libraries that
// are loaded on first use, each on its own (dist/undici.js, dist/markdown-it.js, dist/picomatch.js), and the
// preview's page script dist/webview/preview.js (for the browser), so that the .vsix ships no node_modules.
//
// undici is about 80 % of what the extension would otherwise bundle, and it is only needed for the first request
// (src/core/gateway/transport.ts loads it lazily, and only the agent and request API: src/core/gateway/undiciSubset.ts).
// Left out of extension.js and cli.js, that import becomes a require of ./undici.js beside them, read from disk on the
// first request instead of being parsed at every activation (BENCHMARKS.md F8). markdown-it (the empty-image-link
// finder, src/core/markdown/markdownBlocks.ts) and picomatch (markdown.copyFiles.destination,
// src/core/files/copyFilesGlob.ts) are kept out the same way: they are required when a
// markdown document is first scanned or a save first reads that setting, not at activation. Importing this file
// gives the same plugin and options to tests without building anything.
//
// The image codecs (src/core/image/codecs.ts: the Squoosh codecs compiled to WebAssembly) are built the same way into
// dist/image.js, required by src/core/image/loadCodecs.ts when a generation first has to change pixels; their .wasm
// files are copied to dist/wasm/, where codecs.ts reads them (issue 12).
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

/** The libraries left out of the bundles, and the file beside them that each one's import becomes. */
export const librariesBeside = {
  // Our own module, not the package: the part of undici the transport uses (src/core/gateway/undiciSubset.ts).
  './undiciSubset': './undici.js',
  'markdown-it': './markdown-it.js',
  'picomatch/posix': './picomatch.js',
  // Our own module, not a package: the codecs' WebAssembly glue, loaded on first need (src/core/image/loadCodecs.ts).
  './codecs': './image.js',
};

/** The codecs' .wasm files (see WASM_FILES in src/core/image/codecs.ts), copied flat into dist/wasm/. */
export const wasmFiles = [
  '@jsquash/png/codec/pkg/squoosh_png_bg.wasm',
  '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm',
  '@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm',
  '@jsquash/webp/codec/dec/webp_dec.wasm',
  '@jsquash/webp/codec/enc/webp_enc.wasm',
  '@jsquash/webp/codec/enc/webp_enc_simd.wasm',
];

/** Leaves the libraries out of a bundle: `import('./undiciSubset')`, `require('markdown-it')`, … require the file beside it. */
export const librariesBesideBundle = {
  name: 'libraries-beside-bundle',
  setup(build) {
    build.onResolve({ filter: /^(markdown-it|picomatch\/posix)$/ }, (args) => ({ path: librariesBeside[args.path], external: true }));
    // Only transport.ts imports the undici subset, on its first request.
    build.onResolve({ filter: /^\.\/undiciSubset$/ }, (args) =>
      /[\\/]src[\\/]core[\\/]gateway[\\/]transport\.ts$/.test(args.importer) ? { path: librariesBeside['./undiciSubset'], external: true } : undefined,
    );
    // Only loadCodecs.ts's import of './codecs' is the separate file; nothing else imports codecs.ts at run time.
    build.onResolve({ filter: /^\.\/codecs$/ }, (args) =>
      /[\\/]src[\\/]core[\\/]image[\\/]loadCodecs\.ts$/.test(args.importer) ? { path: librariesBeside['./codecs'], external: true } : undefined,
    );
  },
};

/**
 * Our own modules the extension loads on first use from a file of their own: the gateway client (with the SSE
 * parser, the splicer and the readers: about a third of the extension's code) and OpenClaw's reader (with json5).
 * Activation time is mostly V8 parsing the bundle, so code that activation never runs is kept out of the file it
 * parses. Their dynamic `import()` becomes a require of the file beside the bundle. The files carry their own copies
 * of the small core modules they use; `GatewayError` is recognised across copies (src/core/errors.ts).
 */
export const modulesOnFirstUse = {
  'src/core/gateway/client.ts': './gateway.js',
  'src/core/config/openclaw.ts': './openclaw.js',
};

/** In the extension's bundle, `import('…/core/gateway/client')` and `import('…/core/config/openclaw')` require the file beside it. */
export const modulesOnFirstUseBeside = {
  name: 'modules-on-first-use-beside',
  setup(build) {
    build.onResolve({ filter: /core\/(gateway\/client|config\/openclaw)$/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const file = resolve(args.resolveDir, `${args.path}.ts`);
      const beside = modulesOnFirstUse[file.slice(root.length + 1).split('\\').join('/')];
      return beside ? { path: beside, external: true } : undefined;
    });
  },
};

/** The same plugin under its first name (tests that bundle one module like the extension use it). */
export const undiciBesideBundle = librariesBesideBundle;

/** @returns {import('esbuild').BuildOptions} */
export function commonOptions({ production = false } = {}) {
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
  return {
    // Paths in the metafile (dist/meta.json, read by the benchmark) are relative to the project.
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The oldest extension host we support (VS Code 1.96) runs Node 20.18.
    target: 'node20.18',
    // `import()` of an external becomes `require`: Node's import() of a CommonJS bundle would only see its
    // default export, since the bundle's named exports are not statically visible to Node's CJS lexer.
    supported: { 'dynamic-import': false },
    sourcemap: !production,
    sourcesContent: false,
    minify: production,
    logLevel: 'warning',
    define: { __EXTENSION_VERSION__: JSON.stringify(pkg.version) },
    logOverride: { 'import-is-undefined': 'error' },
  };
}

/** @returns {import('esbuild').BuildOptions[]} */
export function buildOptions({ production = false } = {}) {
  const common = commonOptions({ production });
  const require = createRequire(import.meta.url);
  /** One library on its own, as CommonJS: `require('./<name>.js')` gives what `require('<package>')` gives. */
  const library = (specifier) => ({ ...common, entryPoints: [require.resolve(specifier)], outfile: resolve(root, 'dist', librariesBeside[specifier]) });
  return [
    {
      ...common,
      entryPoints: [resolve(root, 'src/extension.ts')],
      outfile: resolve(root, 'dist/extension.js'),
      external: ['vscode'],
      plugins: [librariesBesideBundle, modulesOnFirstUseBeside],
    },
    ...Object.entries(modulesOnFirstUse).map(([entry, beside]) => ({
      ...common,
      entryPoints: [resolve(root, entry)],
      outfile: resolve(root, 'dist', beside),
      plugins: [librariesBesideBundle],
    })),
    {
      ...common,
      entryPoints: [resolve(root, 'src/cli.ts')],
      outfile: resolve(root, 'dist/cli.js'),
      banner: { js: '#!/usr/bin/env node' },
      plugins: [librariesBesideBundle],
    },
    { ...common, entryPoints: [resolve(root, 'src/core/gateway/undiciSubset.ts')], outfile: resolve(root, 'dist/undici.js') },
    library('markdown-it'),
    library('picomatch/posix'),
    // The post-process stage's worker thread (src/core/image/offThread.ts); it requires ./image.js on its first job.
    { ...common, entryPoints: [resolve(root, 'src/core/image/imageWorker.ts')], outfile: resolve(root, 'dist/imageWorker.js'), plugins: [librariesBesideBundle] },
    {
      ...common,
      entryPoints: [resolve(root, 'src/core/image/codecs.ts')],
      outfile: resolve(root, 'dist/image.js'),
      // The Emscripten glue names import.meta.url only for the browser's way of finding the .wasm, which codecs.ts
      // replaces (it hands the compiled module in); in CommonJS it is undefined, as intended.
      logOverride: { ...common.logOverride, 'empty-import-meta': 'silent' },
    },
    {
      // The preview's page: a browser script in one function scope, checked by src/webview/tsconfig.json.
      absWorkingDir: root,
      entryPoints: [resolve(root, 'src/webview/preview.ts')],
      outfile: resolve(root, 'dist/webview/preview.js'),
      tsconfig: resolve(root, 'src/webview/tsconfig.json'),
      bundle: true,
      platform: 'browser',
      format: 'iife',
      // VS Code 1.96's webviews run Chromium 128.
      target: 'chrome128',
      sourcemap: !production,
      sourcesContent: false,
      minify: production,
      logLevel: 'warning',
    },
  ];
}

/** A file inside a package, found through the package's directory (the packages' `exports` do not list .wasm files). */
function resolveWasm(require, file) {
  const [scope, name, ...rest] = file.split('/');
  const pkgJson = require.resolve(`${scope}/${name}/package.json`, { paths: [root] });
  return resolve(dirname(pkgJson), ...rest);
}

/**
 * Writes each output through a temporary file and a rename, and only when it changed: test files build dist/ in
 * parallel processes while others run the CLI from it, which must never read half a bundle.
 */
function writeAtomically(outputFiles) {
  for (const file of outputFiles) {
    if (existsSync(file.path) && readFileSync(file.path).equals(file.contents)) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
}

async function main() {
  const production = process.argv.includes('--production');
  const builds = buildOptions({ production });
  if (process.argv.includes('--watch')) {
    const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
    await Promise.all(contexts.map((c) => c.watch()));
    console.log('[watch] build started');
    return;
  }
  const results = await Promise.all(builds.map((b) => esbuild.build({ ...b, metafile: true, write: false })));
  for (const result of results) writeAtomically(result.outputFiles);
  const require = createRequire(import.meta.url);
  writeAtomically(
    wasmFiles.map((file) => ({ path: resolve(root, 'dist/wasm', file.split('/').pop()), contents: readFileSync(resolveWasm(require, file)) })),
  );
  // A codec dropped from the list leaves no stale .wasm behind for the package to carry.
  const shipped = new Set(wasmFiles.map((file) => file.split('/').pop()));
  for (const name of readdirSync(resolve(root, 'dist/wasm'))) if (!shipped.has(name)) rmSync(resolve(root, 'dist/wasm', name));
  writeAtomically([{ path: resolve(root, 'dist/meta.json'), contents: Buffer.from(JSON.stringify(results.map((r) => r.metafile))) }]);
  writeAtomically([{ path: resolve(root, 'dist/THIRD-PARTY-NOTICES.txt'), contents: Buffer.from(thirdPartyNotices(results.map((r) => r.metafile))) }]);
}

/**
 * The licences of the packages whose code is in the bundles (read from the metafiles: every input under
 * node_modules/), with the WebAssembly codecs' packages, each with its LICENSE file as the package ships it. The
 * .vsix carries this file, since their licences (MIT, Apache-2.0) ask for their notices to travel with the code.
 */
export function thirdPartyNotices(metafiles) {
  const packages = new Set();
  for (const metafile of metafiles) {
    for (const input of Object.keys(metafile.inputs)) {
      const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (match) packages.add(match[1]);
    }
  }
  for (const file of wasmFiles) packages.add(file.split('/').slice(0, file.startsWith('@') ? 2 : 1).join('/'));
  const sections = [];
  for (const name of [...packages].sort()) {
    const dir = resolve(root, 'node_modules', name);
    const pkg = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8'));
    const licenceFile = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE'].map((f) => resolve(dir, f)).find((f) => existsSync(f));
    const text = licenceFile ? readFileSync(licenceFile, 'utf8').trim() : `(no licence file in the package; package.json says: ${pkg.license})`;
    sections.push(`${name} ${pkg.version} (${pkg.license})\n${'-'.repeat(72)}\n${text}\n`);
  }
  return `CPA GPT Image ships code from these packages, under their own licences:\n\n${sections.join('\n')}`;
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  await main();
}
