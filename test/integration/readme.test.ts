/**
 * The README stays true: its settings table is the one generated from package.json (every setting, its real
 * default and scope), every picture it shows exists, and the quick start names the scripts that CI runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

const root = path.resolve(__dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

interface Setting {
  deprecationMessage?: string;
  markdownDeprecationMessage?: string;
}

describe('README', () => {
  it('lists every setting exactly as package.json declares it', () => {
    const table = execFileSync(process.execPath, [path.join(root, 'scripts/readme-settings.mjs')], { encoding: 'utf8' }).trim();
    const block = readme.slice(readme.indexOf('<!-- settings:start -->') + '<!-- settings:start -->'.length, readme.indexOf('<!-- settings:end -->')).trim();
    assert.equal(block, table, 'run `node scripts/readme-settings.mjs --write`');
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, Setting> } | { properties: Record<string, Setting> }[] };
    };
    const sections = Array.isArray(manifest.contributes.configuration) ? manifest.contributes.configuration : [manifest.contributes.configuration];
    const settings = sections.flatMap((s) => Object.entries(s.properties));
    // A renamed setting stays declared, deprecated, so old values keep working: the README lists only its new name.
    const deprecated = (s: Setting) => s.deprecationMessage !== undefined || s.markdownDeprecationMessage !== undefined;
    for (const [key, setting] of settings) assert.equal(block.includes(`\`${key}\``), !deprecated(setting), key);
  });

  it('shows only pictures that exist', () => {
    const pictures = [...readme.matchAll(/^!\[[^\]]*\]\(([^)]+\.png)\)$/gm)].map((m) => m[1]!);
    assert.ok(pictures.length >= 10, 'the README shows the features with screenshots');
    for (const picture of pictures) assert.ok(existsSync(path.join(root, picture)), `${picture} exists`);
  });

  it('quick start: the set-up and test commands are the ones .ci/run runs', () => {
    const ci = readFileSync(path.join(root, '.ci/run'), 'utf8');
    for (const command of ['bash scripts/setup.sh', 'bash scripts/test.sh']) {
      assert.ok(readme.includes(command), `README names ${command}`);
      assert.ok(ci.includes(command), `.ci/run runs ${command}`);
    }
  });
});
