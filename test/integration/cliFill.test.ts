/**
 * `cpa-gpt-image fill` (issue 13 item 2) through the built `dist/cli.js` against the test gateway: the empty image
 * links of markdown files get their images and their targets, and nothing else of the files changes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestGateway, type TestGateway } from '../gateway/server';
import { withoutProvenance } from '../gateway/inspect';
import { removeTempFolder } from '../support/removeInside';
import { detectImageType } from '../../src/core/gateway/imageType';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const KEY = 'sk-test-FILL-5678';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function runCli(args: string[], cwd: string, home: string, baseUrl: string): Promise<Run> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, IMAGE_GEN_BASE_URL: baseUrl, IMAGE_GEN_KEY: KEY };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8') }));
  });
}

/** Five empty links, one of them in a fenced code block; CRLF line ends and a BOM-less UTF-8 Chinese heading. */
const GUIDE = [
  '# 指南 Guide',
  '',
  'The start screen: ![Loading screen]()',
  '',
  '```md',
  '![in a code block]()',
  '```',
  '',
  'A map ![the harbour map]( ) and a fox ![a red fox] here.',
  '',
  '![a lighthouse at dusk](<>)',
  '',
].join('\r\n');

const promptsOf = (gw: TestGateway, url: string): string[] =>
  gw
    .requestsFor(url)
    .map((r) => (r.json as { input?: unknown }).input)
    .map((input) => (typeof input === 'string' ? input : JSON.stringify(input)))
    .sort();

describe('cpa-gpt-image fill', { timeout: 240_000 }, () => {
  let gw: TestGateway;
  let scratch: string;
  let home: string;
  let counter = 0;

  async function workDir(files: Record<string, string>): Promise<string> {
    counter += 1;
    const dir = join(scratch, `w${counter}`);
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    return dir;
  }

  before(async () => {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    assert.ok(existsSync(CLI), 'dist/cli.js was built');
    gw = await startTestGateway({ expectedKey: KEY });
    scratch = await mkdtemp(join(tmpdir(), 'cpa-cli-fill-'));
    home = await mkdtemp(join(tmpdir(), 'cpa-cli-fill-home-'));
  });

  after(async () => {
    await gw.close();
    await removeTempFolder(scratch);
    await removeTempFolder(home);
  });

  it('four empty links outside the code block: four requests, four PNG files, the four targets filled, every other byte the same', async () => {
    const cwd = await workDir({ 'docs/guide.md': GUIDE });
    const u = gw.scenarioUrl('ok');
    const run = await runCli(['fill', 'docs/guide.md'], cwd, home, u);
    assert.equal(run.code, 0, run.err);
    assert.deepEqual(promptsOf(gw, u), ['Loading screen', 'a lighthouse at dusk', 'a red fox', 'the harbour map']);
    const images = (await readdir(join(cwd, 'docs/images'))).sort();
    assert.deepEqual(images, ['a-lighthouse-at-dusk.png', 'a-red-fox.png', 'loading-screen.png', 'the-harbour-map.png']);
    for (const name of images) {
      const bytes = await readFile(join(cwd, 'docs/images', name));
      assert.equal(detectImageType(bytes)?.mime, 'image/png', `${name} is a PNG`);
      assert.ok(withoutProvenance(bytes).equals(gw.imageFor(u)), `${name} holds the bytes the gateway sent (and the provenance)`);
    }
    const expected = GUIDE.replace('![Loading screen]()', '![Loading screen](images/loading-screen.png)')
      .replace('![the harbour map]( )', '![the harbour map](images/the-harbour-map.png)')
      .replace('![a red fox] here', '![a red fox](images/a-red-fox.png) here')
      .replace('![a lighthouse at dusk](<>)', '![a lighthouse at dusk](images/a-lighthouse-at-dusk.png)');
    assert.equal(await readFile(join(cwd, 'docs/guide.md'), 'utf8'), expected, 'only the four targets changed; the code block and the CRLFs did not');
    assert.match(run.out, /^docs\/guide\.md:3: images\/loading-screen\.png$/m);
    assert.match(run.out, /^4 of 4 images generated and linked in 1 file\.$/m);
  });

  it('--concurrency 2 on a slow gateway: two requests overlap, never three', async () => {
    const cwd = await workDir({ 'a.md': GUIDE });
    const u = gw.scenarioUrl('slow', { delayMs: 40 });
    const run = await runCli(['fill', '.', '--concurrency', '2'], cwd, home, u);
    assert.equal(run.code, 0, run.err);
    assert.equal(gw.requestsFor(u).length, 4);
    assert.equal(gw.mostInFlight(u), 2);
  });

  it('a refused prompt leaves its placeholder and makes the exit 1; the other links are filled', async () => {
    const text = ['![a harbour]()', '![a REFUSE thing]()', '![a fox]()', ''].join('\n');
    const cwd = await workDir({ 'notes.md': text });
    const u = gw.scenarioUrl('refuse-prompt');
    const run = await runCli(['fill', 'notes.md'], cwd, home, u);
    assert.equal(run.code, 1, run.err);
    assert.match(run.out, /^notes\.md:2: failed: .*content policy/m);
    assert.match(run.out, /^2 of 3 images generated and linked in 1 file, 1 failed\.$/m);
    assert.equal(await readFile(join(cwd, 'notes.md'), 'utf8'), ['![a harbour](images/a-harbour.png)', '![a REFUSE thing]()', '![a fox](images/a-fox.png)', ''].join('\n'));
    assert.deepEqual((await readdir(join(cwd, 'images'))).sort(), ['a-fox.png', 'a-harbour.png'], 'no file for the refused one');
  });

  it('--dry-run lists what it would generate and sends nothing, writes nothing', async () => {
    const cwd = await workDir({ 'docs/guide.md': GUIDE, 'docs/sub/other.md': 'No links here.\n', 'docs/.hidden/skip.md': '![hidden]()\n' });
    const u = gw.scenarioUrl('ok');
    const run = await runCli(['fill', 'docs', '--dry-run'], cwd, home, u);
    assert.equal(run.code, 0, run.err);
    assert.equal(gw.requestsFor(u).length, 0);
    assert.match(run.out, /^docs\/guide\.md:3: would generate "Loading screen"$/m);
    assert.match(run.out, /^4 images would be generated in 1 of 2 files; nothing was sent\.$/m);
    assert.equal(await readFile(join(cwd, 'docs/guide.md'), 'utf8'), GUIDE);
    assert.equal(existsSync(join(cwd, 'docs/images')), false);
  });

  it('--destination puts the images where the pattern says and the links follow', async () => {
    const cwd = await workDir({ 'docs/page.md': 'Intro ![a blue whale]()\n' });
    const u = gw.scenarioUrl('ok');
    const run = await runCli(['fill', 'docs/page.md', '--destination', '${workspaceFolder}/assets/${documentBaseName}-${slug}.${ext}'], cwd, home, u);
    assert.equal(run.code, 0, run.err);
    assert.ok(existsSync(join(cwd, 'assets/page-a-blue-whale.png')));
    assert.equal(await readFile(join(cwd, 'docs/page.md'), 'utf8'), 'Intro ![a blue whale](../assets/page-a-blue-whale.png)\n');
  });

  it('usage errors: no file, a file that is not markdown, --prompt, a concurrency out of range, more than 200 links (exit 2, nothing sent)', async () => {
    const cwd = await workDir({ 'a.txt': '![x]()\n', 'b.md': '![x]()\n', 'many.md': Array.from({ length: 201 }, (_, i) => `![image ${i}]()`).join('\n\n') });
    const u = gw.scenarioUrl('ok');
    for (const [args, message] of [
      [['fill'], /needs at least one markdown file or folder/],
      [['fill', 'a.txt'], /a\.txt is not a markdown file/],
      [['fill', 'b.md', '--prompt', 'x'], /--prompt does not apply to fill/],
      [['fill', 'b.md', '--concurrency', '9'], /--concurrency must be from 1 to 8, not 9/],
      [['fill', 'missing.md'], /missing\.md: no such file or folder/],
      [['fill', 'many.md'], /201 empty image links were found; at most 200 are filled in one run/],
    ] as const) {
      const run = await runCli([...args], cwd, home, u);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.err}`);
      assert.match(run.err, message);
    }
    assert.equal(gw.requestsFor(u).length, 0);
    assert.equal(await readFile(join(cwd, 'b.md'), 'utf8'), '![x]()\n');
  });
});
