/**
 * The pure core must never import `vscode` (ARCHITECTURE.md): the CLI and the tests load it outside
 * VS Code. Every file under src/core is checked, in every way a module can be pulled in.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const CORE = resolve(import.meta.dirname, '../../src/core');

/** Module specifiers that name VS Code's API. */
function isVscode(specifier: string): boolean {
  return specifier === 'vscode' || specifier.startsWith('vscode/');
}

/**
 * Every `vscode` specifier a source text pulls in: static imports (also `import type`), re-exports,
 * `import x = require()`, `require()` and dynamic `import()`. TypeScript's own scanner ignores comments
 * and strings; a regex pass backs it up for calls built in unusual ways.
 */
function vscodeImports(source: string): string[] {
  const found = new Set<string>();
  const info = ts.preProcessFile(source, true, true);
  for (const file of info.importedFiles) if (isVscode(file.fileName)) found.add(file.fileName);
  const patterns = [
    /\bimport\s+(?:type\s+)?(?:[\w$*{}\s,]+?\s+from\s+)?['"`](vscode(?:\/[^'"`]*)?)['"`]/g,
    /\bexport\s+(?:type\s+)?[\w$*{}\s,]*?\s*from\s+['"`](vscode(?:\/[^'"`]*)?)['"`]/g,
    /\brequire\s*\(\s*['"`](vscode(?:\/[^'"`]*)?)['"`]\s*\)/g,
    /\bimport\s*\(\s*['"`](vscode(?:\/[^'"`]*)?)['"`]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) if (match[1]) found.add(match[1]);
  return [...found];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(c|m)?[jt]sx?$/.test(entry.name) ? [path] : [];
  });
}

describe('src/core never imports vscode', () => {
  const files = sourceFiles(CORE);

  it('finds the core files', () => {
    for (const name of ['types.ts', 'errors.ts', 'client.ts', 'transport.ts']) {
      assert.ok(files.some((f) => f.endsWith(`/${name}`)), `${name} missing from the scan`);
    }
  });

  for (const file of files) {
    it(relative(CORE, file), () => {
      assert.deepEqual(vscodeImports(readFileSync(file, 'utf8')), [], `${relative(CORE, file)} imports vscode`);
    });
  }
});

describe('the detector', () => {
  const positives = [
    "import * as vscode from 'vscode';",
    'import vscode from "vscode";',
    "import { window, Uri } from 'vscode';",
    "import type { ExtensionContext } from 'vscode';",
    "import type * as vs from 'vscode';",
    "import 'vscode';",
    "export { Uri } from 'vscode';",
    "export type { Uri } from 'vscode';",
    "export * from 'vscode';",
    "import vscode = require('vscode');",
    "const vscode = require('vscode');",
    "const v = require ( 'vscode' );",
    "async function f() { const v = await import('vscode'); }",
    'const lazy = () => import(`vscode`);',
    "import { x } from 'vscode/sub';",
    "import {\n  window,\n  workspace,\n} from 'vscode';",
  ];
  for (const source of positives) {
    it(`flags ${JSON.stringify(source)}`, () => assert.ok(vscodeImports(source).length > 0));
  }

  const negatives = [
    "import { x } from './vscode-like';",
    "import { x } from 'vscode-languageclient';",
    "import { y } from '@types/vscode';",
    "const text = 'the vscode extension';",
    '// a comment about vscode',
    "import type { Logger } from './types';",
  ];
  for (const source of negatives) {
    it(`accepts ${JSON.stringify(source)}`, () => assert.deepEqual(vscodeImports(source), []));
  }
});
