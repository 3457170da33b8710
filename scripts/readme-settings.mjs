// Prints the README's settings table from package.json + package.nls.json, so the README lists every
// setting with its real default and scope. `node scripts/readme-settings.mjs --write` updates README.md
// between the <!-- settings:start --> and <!-- settings:end --> markers; test/integration/readme.test.ts checks it.
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const nls = JSON.parse(readFileSync(new URL('package.nls.json', root), 'utf8'));

const text = (value) => (typeof value === 'string' ? value.replace(/^%(.+)%$/, (_, key) => nls[key] ?? value) : value);
// Command links work in the Settings editor, not on GitHub or a gallery page: the README shows their label in bold.
const cell = (value) =>
  String(value)
    .replace(/\[([^\]]+)\]\(command:[^)]*\)/g, '**$1**')
    .replace(/\|/g, '\\|')
    .replace(/\n+/g, ' ');

export function settingsTable() {
  const sections = Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration : [pkg.contributes.configuration];
  const rows = ['| Setting | Default | Scope | What it does |', '|---|---|---|---|'];
  for (const section of sections) {
    const entries = Object.entries(section.properties ?? {}).sort(([, a], [, b]) => (a.order ?? 0) - (b.order ?? 0));
    for (const [key, schema] of entries) {
      // A renamed setting stays declared (deprecated) so old values keep working; the README lists the new name only.
      if (schema.deprecationMessage || schema.markdownDeprecationMessage) continue;
      const description = text(schema.markdownDescription ?? schema.description ?? '');
      const def = schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``;
      rows.push(`| \`${key}\` | ${def} | ${schema.scope ?? 'window'} | ${cell(description)} |`);
    }
  }
  return rows.join('\n');
}

const start = '<!-- settings:start -->';
const end = '<!-- settings:end -->';
if (process.argv.includes('--write')) {
  const readmeUrl = new URL('README.md', root);
  const readme = readFileSync(readmeUrl, 'utf8');
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error('README.md has no settings markers');
  writeFileSync(readmeUrl, readme.slice(0, from + start.length) + '\n' + settingsTable() + '\n' + readme.slice(to));
} else {
  console.log(settingsTable());
}
