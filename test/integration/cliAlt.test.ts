/**
 * `cpa-gpt-image alt` (issue 14 item 5) through the built `dist/cli.js` against the test gateway: the images of a
 * markdown file with an empty or placeholder alt get the gateway's sentence as their alt, the request carries the
 * image and no image tool, remote images are skipped with a note, and no other byte of the file changes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestGateway, type RecordedRequest, type TestGateway } from '../gateway/server';
import { ALT_TEXT_REPLY, ALT_TEXT_REPLY_ZH } from '../gateway/scenarios';
import { makePng } from '../gateway/images';
import { removeTempFolder } from '../support/removeInside';
import { findImagesNeedingAlt } from '../../src/core/markdown/altTextImages';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const KEY = 'sk-test-ALT-2468';

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

/** CRLF line ends, a title, a described image, a remote one, one in a code block, one in a Chinese paragraph. */
const GUIDE = [
  '# Guide',
  '',
  'The sales of the year, month by month, for the three products we sell:',
  '',
  '![](img/chart.png)',
  '',
  'Again with a title: ![image](img/chart.png "Sales") and a described one ![A red fox](img/fox.png).',
  '',
  'A remote picture: ![](https://example.test/remote.png)',
  '',
  '```md',
  '![](img/in-code.png)',
  '```',
  '',
  '下面这张图展示了三种产品每个月的销售额，蓝色的产品一直领先：![图片](img/zh.png)',
  '',
].join('\r\n');

type Json = Record<string, unknown>;

/** The content parts of a recorded text request. */
function partsOf(request: RecordedRequest): Json[] {
  const input = (request.json as { input?: unknown }).input as Json[];
  return (input[0]?.content as Json[]) ?? [];
}

describe('cpa-gpt-image alt', { timeout: 240_000 }, () => {
  let gw: TestGateway;
  let scratch: string;
  let home: string;
  let counter = 0;
  const chart = makePng(6, 4);
  const fox = makePng(3, 3);
  const zh = makePng(5, 5);

  async function workDir(files: Record<string, string | Buffer>): Promise<string> {
    counter += 1;
    const dir = join(scratch, `w${counter}`);
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    return dir;
  }

  const guideDir = () => workDir({ 'docs/guide.md': GUIDE, 'docs/img/chart.png': chart, 'docs/img/fox.png': fox, 'docs/img/zh.png': zh });

  before(async () => {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    assert.ok(existsSync(CLI), 'dist/cli.js was built');
    gw = await startTestGateway({ expectedKey: KEY });
    scratch = await mkdtemp(join(tmpdir(), 'cpa-cli-alt-'));
    home = await mkdtemp(join(tmpdir(), 'cpa-cli-alt-home-'));
  });

  after(async () => {
    await gw.close();
    await removeTempFolder(scratch);
    await removeTempFolder(home);
  });

  for (const stream of [false, true]) {
    it(`fills ![](x.png) with the gateway's sentence (Chinese next to Chinese), sends the image and no tool, skips the remote one, changes no other byte${stream ? ' (streaming)' : ''}`, async () => {
      const cwd = await guideDir();
      const u = gw.scenarioUrl('alt-text');
      const run = await runCli(['alt', 'docs/guide.md', ...(stream ? ['--stream'] : [])], cwd, home, u);
      assert.equal(run.code, 0, run.err);

      const requests = gw.requestsFor(u);
      assert.equal(requests.length, 3, 'one request per local image without alt text');
      for (const request of requests) {
        const body = request.json as Json;
        assert.equal(body.tools, undefined, 'no tools: no image is generated, no image quota spent');
        assert.equal(body.tool_choice, undefined);
        assert.equal(body.stream, stream);
        assert.equal(body.model, 'gpt-5.4');
        const parts = partsOf(request);
        assert.equal(parts[0]?.type, 'input_text');
        assert.equal(parts[1]?.type, 'input_image');
      }
      const sentImages = requests.map((r) => String(partsOf(r)[1]?.image_url)).sort();
      assert.deepEqual(sentImages, [chart, chart, zh].map((b) => `data:image/png;base64,${b.toString('base64')}`).sort());
      const instructions = requests.map((r) => String(partsOf(r)[0]?.text));
      assert.equal(instructions.filter((t) => /in Chinese/.test(t)).length, 1, 'the image in the Chinese paragraph is asked for in Chinese');
      assert.equal(instructions.filter((t) => /in English/.test(t)).length, 2);

      const expected = GUIDE.replace('![](img/chart.png)', `![${ALT_TEXT_REPLY}](img/chart.png)`)
        .replace('![image](img/chart.png "Sales")', `![${ALT_TEXT_REPLY}](img/chart.png "Sales")`)
        .replace('![图片](img/zh.png)', `![${ALT_TEXT_REPLY_ZH}](img/zh.png)`);
      assert.equal(await readFile(join(cwd, 'docs/guide.md'), 'utf8'), expected, 'only the alts changed');

      assert.match(run.out, /docs\/guide\.md:9: skipped: https:\/\/example\.test\/remote\.png is a remote image; only local images are described/);
      assert.match(run.out, new RegExp(`docs/guide\\.md:5: img/chart\\.png: ${ALT_TEXT_REPLY.replace('.', '\\.')}`));
      assert.match(run.out, /docs\/guide\.md:15: img\/zh\.png: 一张柱状图/);
      assert.match(run.out, /3 of 4 alt texts written in 1 file, 1 skipped\.\n$/);
    });
  }

  it('--dry-run lists the images, sends nothing and writes nothing', async () => {
    const cwd = await guideDir();
    const u = gw.scenarioUrl('alt-text');
    const run = await runCli(['alt', '--dry-run', 'docs/guide.md'], cwd, home, u);
    assert.equal(run.code, 0, run.err);
    assert.equal(gw.requestsFor(u).length, 0);
    assert.equal(await readFile(join(cwd, 'docs/guide.md'), 'utf8'), GUIDE);
    assert.match(run.out, /docs\/guide\.md:5: would describe img\/chart\.png/);
    assert.match(run.out, /docs\/guide\.md:9: skipped: https:\/\/example\.test\/remote\.png is a remote image/);
    assert.match(run.out, /3 images would be described in 1 file, 1 skipped; nothing was sent\./);
  });

  it('a hostile answer becomes one escaped line: the image stays one image, nothing else of the file changes', async () => {
    const text = 'Before.\n\n![](a.png)\n\nAfter | with a pipe.\n';
    const cwd = await workDir({ 'doc.md': text, 'a.png': chart });
    const u = gw.scenarioUrl('alt-text', { reply: 'hostile' });
    const run = await runCli(['alt', 'doc.md'], cwd, home, u);
    assert.equal(run.code, 0, run.err);
    const written = await readFile(join(cwd, 'doc.md'), 'utf8');
    const lines = written.split('\n');
    assert.equal(lines.length, text.split('\n').length, 'no line was added');
    assert.equal(lines[0], 'Before.');
    assert.equal(lines.slice(3).join('\n'), '\nAfter | with a pipe.\n');
    const image = lines[2] ?? '';
    assert.ok(image.startsWith('![') && image.endsWith('](a.png)'), image);
    assert.doesNotMatch(image.slice(2, -'](a.png)'.length), /(^|[^\\])[[\]|]|[<>`]/, 'no unescaped bracket or pipe, no HTML, no code span');
    assert.equal(findImagesNeedingAlt(written).length, 0, 'the image now has an alt');
  });

  it('an image that could not be described fails its line and the exit status; a missing file is skipped; the rest is written', async () => {
    const text = '![](a.png)\n\n![](missing.png)\n';
    const cwd = await workDir({ 'doc.md': text, 'a.png': chart });
    const empty = gw.scenarioUrl('alt-text', { reply: 'empty' });
    const failed = await runCli(['alt', 'doc.md'], cwd, home, empty);
    assert.equal(failed.code, 1, failed.out + failed.err);
    assert.match(failed.out, /doc\.md:1: failed: The model answered without any text/);
    assert.match(failed.out, /doc\.md:3: skipped: missing\.png was not found/);
    assert.match(failed.out, /0 of 2 alt texts written in 0 files, 1 skipped, 1 failed\./);
    assert.equal(await readFile(join(cwd, 'doc.md'), 'utf8'), text);

    const ok = await runCli(['alt', 'doc.md'], cwd, home, gw.scenarioUrl('alt-text'));
    assert.equal(ok.code, 0, ok.err);
    assert.equal(await readFile(join(cwd, 'doc.md'), 'utf8'), `![${ALT_TEXT_REPLY}](a.png)\n\n![](missing.png)\n`);
  });
});
