import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(root, file), 'utf8'));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** Every literal passed to `l10n.t('…')` / `l10n.t("…")` (possibly after a line break), unescaped as the bundle keys them. */
function l10nLiterals(): { message: string; file: string }[] {
  const call = /\bl10n\.t\(\s*(?:'((?:\\.|[^'\\])*)'|"((?:\\.|[^"\\])*)"|`)/g;
  const found: { message: string; file: string }[] = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(call)) {
      const raw = match[1] ?? match[2];
      assert.ok(raw !== undefined, `${file}: l10n.t must be called with a plain string literal, not a template`);
      found.push({ message: raw.replace(/\\(.)/g, '$1'), file });
    }
  }
  return found;
}

/** `{0}`, `{1}`: the placeholders a translation must keep. */
const placeholders = (text: string) => [...text.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();

describe('localisation', () => {
  const bundle = readJson('l10n/bundle.l10n.zh-cn.json');
  const literals = l10nLiterals();

  it('finds the localised strings in src/', () => {
    assert.ok(literals.length > 50, `only ${literals.length} l10n.t calls found: is the scan broken?`);
  });

  it('translates every l10n.t string into Simplified Chinese', () => {
    const missing = literals.filter((l) => typeof bundle[l.message] !== 'string' || bundle[l.message] === '');
    assert.deepEqual(missing, []);
  });

  it('has no stale entries in the Chinese bundle', () => {
    const used = new Set(literals.map((l) => l.message));
    assert.deepEqual(Object.keys(bundle).filter((key) => !used.has(key)), []);
  });

  it('keeps the placeholders of each string in its translation', () => {
    for (const [english, chinese] of Object.entries(bundle)) {
      assert.deepEqual(placeholders(String(chinese)), placeholders(english), english);
    }
  });

  const manifestText = readFileSync(join(root, 'package.json'), 'utf8');
  const manifestKeys = [...new Set([...manifestText.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1] as string))];
  const nlsFiles = ['package.nls.json', 'package.nls.zh-cn.json'];

  it('uses %keys% in package.json', () => assert.ok(manifestKeys.length > 30));

  for (const nlsFile of nlsFiles) {
    it(`${nlsFile} defines every %key% of package.json, and nothing else`, () => {
      const nls = readJson(nlsFile);
      assert.deepEqual(manifestKeys.filter((key) => typeof nls[key] !== 'string' || nls[key] === ''), []);
      assert.deepEqual(Object.keys(nls).filter((key) => !manifestKeys.includes(key)), []);
    });
  }

  it('declares the l10n folder in package.json', () => {
    assert.equal(readJson('package.json')['l10n'], './l10n');
  });
});
