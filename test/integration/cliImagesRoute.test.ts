/**
 * The Images route from the command line (issue 14): `--api images` in both modes writes the bytes the gateway
 * served, `--api auto` against a gateway whose Responses route answers text ends on the Images route with one line
 * that says so, `--image a.png --mask m.png` sends both (on either route, as JSON or as the multipart fallback), and
 * bad edit files are refused before any request. The built CLI in a child process against the test gateway.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type ScenarioName, type TestGateway } from '../gateway/server';
import { makePng } from '../gateway/images';
import { CANARY, buildCli, filesBelow, runCliProcess } from '../reliability/support';

const PHOTO = makePng(8, 8, { seed: 3 });
const MASK = makePng(8, 8, { seed: 9 });
const SECOND = makePng(8, 8, { seed: 5 });

function dataUrl(bytes: Buffer): string {
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

describe('CLI: the Images route (--api, --image-model, --image, --mask)', () => {
  let gw: TestGateway;
  let scratch: string;
  let home: string;
  before(async () => {
    buildCli();
    gw = await startTestGateway({ expectedKey: CANARY });
    scratch = await mkdtemp(join(tmpdir(), 'cpa-images-'));
    home = await mkdtemp(join(tmpdir(), 'cpa-images-home-'));
  });
  after(async () => {
    await gw.close();
    await rm(scratch, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  async function run(args: string[], scenario: ScenarioName = 'images-ok', params: Record<string, string> = {}) {
    const url = gw.scenarioUrl(scenario, params);
    const cwd = await mkdtemp(join(scratch, 'w'));
    await writeFile(join(cwd, 'a.png'), PHOTO);
    await writeFile(join(cwd, 'b.png'), SECOND);
    await writeFile(join(cwd, 'm.png'), MASK);
    const result = await runCliProcess(args, { cwd, home, env: { IMAGE_GEN_BASE_URL: url, IMAGE_GEN_KEY: CANARY } });
    return { ...result, cwd, url, files: await filesBelow(cwd), requests: gw.requestsFor(url) };
  }

  for (const stream of [false, true]) {
    it(`--api images${stream ? ' --stream --partial-images 2' : ''}: POST /v1/images/generations with gpt-image-2, the served bytes saved`, async () => {
      const r = await run(['--prompt', 'a fox', '-o', 'fox.png', '--api', 'images', '--no-metadata', ...(stream ? ['--stream', '--partial-images', '2'] : [])]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'fox.png');
      assert.ok((await readFile(join(r.cwd, 'fox.png'))).equals(gw.imageFor(r.url)), 'exactly the bytes the gateway served');
      assert.equal(r.requests.length, 1);
      const [request] = r.requests;
      assert.match(request?.path ?? '', /\/v1\/images\/generations$/);
      const body = request?.json as Record<string, unknown>;
      assert.equal(body.model, 'gpt-image-2');
      assert.equal(body.prompt, 'a fox');
      assert.equal(body.stream, stream);
      assert.equal(body.n, 1);
      if (stream) {
        assert.equal(body.partial_images, 2);
        assert.match(r.stderr, /partial image 2\/2/, 'the previews were shown');
      }
    });
  }

  it('--api images --image-model gpt-image-1.5: the model is sent; a text model is refused before any request', async () => {
    const ok = await run(['--prompt', 'a fox', '--api', 'images', '--image-model', 'gpt-image-1.5']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((ok.requests[0]?.json as { model?: unknown }).model, 'gpt-image-1.5');
    const refused = await run(['--prompt', 'a fox', '--api', 'images', '--image-model', 'gpt-5.4']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /image model 'gpt-5\.4' \(from command line --image-model\) is not an image model/);
    assert.equal(refused.requests.length, 0);
  });

  it('--api auto: the Responses route answers text, /v1/models lists gpt-image-2 → the image from the Images route and one line saying so', async () => {
    const r = await run(['--prompt', 'a fox', '-o', 'fox.png', '--api', 'auto', '--no-metadata'], 'images-text-responses');
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await readFile(join(r.cwd, 'fox.png'))).equals(gw.imageFor(r.url)));
    const lines = r.stderr.split('\n').filter((l) => /Images route/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /^note: the gateway's Responses route answered with text, not an image; the image was made on the Images route \(\/v1\/images, model gpt-image-2\)\. Pass --api images/);
    const paths = r.requests.map((q) => new URL(q.path, 'http://x').pathname.replace(/^\/s\/[^/]+\/[^/]+/, ''));
    assert.deepEqual(paths, ['/v1/responses', '/v1/responses', '/v1/responses', '/v1/models', '/v1/images/generations']);
  });

  it('fill --api auto: two links filled from the Images route, the line said once', async () => {
    const url = gw.scenarioUrl('images-text-responses');
    const cwd = await mkdtemp(join(scratch, 'w'));
    await writeFile(join(cwd, 'doc.md'), '# Doc\n\n![a fox]()\n\n![a hen]()\n');
    const r = await runCliProcess(['fill', 'doc.md', '--api', 'auto', '--concurrency', '1'], { cwd, home, env: { IMAGE_GEN_BASE_URL: url, IMAGE_GEN_KEY: CANARY } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => /Images route/.test(l)).length, 1, r.stderr);
    assert.equal(gw.requestsFor(url).filter((q) => q.path.endsWith('/v1/images/generations')).length, 2);
    assert.match(await readFile(join(cwd, 'doc.md'), 'utf8'), /!\[a fox\]\(images\/[^)]+\.png\)[\s\S]*!\[a hen\]\(images\/[^)]+\.png\)/);
  });

  it('--api auto: a Responses route that works is used as ever (no Images request, no line)', async () => {
    const r = await run(['--prompt', 'a fox', '--api', 'auto'], 'ok');
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Images route/);
    assert.deepEqual(r.requests.map((q) => q.path.endsWith('/v1/responses')), [true]);
  });

  it('--api images --image a.png --mask m.png: POST /v1/images/edits as JSON, both as data URLs (on the gateway\'s record)', async () => {
    const r = await run(['--prompt', 'add a hat', '--api', 'images', '--image', 'a.png', '--image', 'b.png', '--mask', 'm.png']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.requests.length, 1);
    assert.match(r.requests[0]?.path ?? '', /\/v1\/images\/edits$/);
    const body = r.requests[0]?.json as { images?: { image_url?: string }[]; mask?: { image_url?: string } };
    assert.deepEqual(body.images?.map((i) => i.image_url), [dataUrl(PHOTO), dataUrl(SECOND)]);
    assert.equal(body.mask?.image_url, dataUrl(MASK));
  });

  it('a gateway whose edits take only a form: the JSON edit is refused, the multipart form carries the images and the mask', async () => {
    const r = await run(['--prompt', 'add a hat', '--api', 'images', '--image', 'a.png', '--mask', 'm.png', '--no-metadata', '-o', 'hat.png'], 'images-multipart-only');
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await readFile(join(r.cwd, 'hat.png'))).equals(gw.imageFor(r.url)));
    assert.equal(r.requests.length, 2);
    assert.match(r.requests[0]?.headers['content-type'] ?? '', /^application\/json/);
    const form = r.requests[1]?.form ?? [];
    assert.match(r.requests[1]?.headers['content-type'] ?? '', /^multipart\/form-data; boundary=/);
    const part = (name: string) => form.find((p) => p.name === name);
    assert.equal(part('prompt')?.data.toString(), 'add a hat');
    assert.equal(part('model')?.data.toString(), 'gpt-image-2');
    assert.ok(part('image[]')?.data.equals(PHOTO), 'the image file, byte for byte');
    assert.equal(part('image[]')?.contentType, 'image/png');
    assert.ok(part('mask')?.data.equals(MASK), 'the mask file, byte for byte');
    assert.equal(part('mask')?.contentType, 'image/png');
  });

  it('--image a.png --mask m.png on the Responses route: input_image and the tool\'s input_image_mask', async () => {
    const r = await run(['--prompt', 'add a hat', '--image', 'a.png', '--mask', 'm.png'], 'ok');
    assert.equal(r.code, 0, r.stderr);
    const body = r.requests[0]?.json as { input?: { content?: { type: string; image_url?: string }[] }[]; tools?: { action?: string; input_image_mask?: { image_url?: string } }[] };
    const images = body.input?.[0]?.content?.filter((c) => c.type === 'input_image').map((c) => c.image_url);
    assert.deepEqual(images, [dataUrl(PHOTO)]);
    assert.equal(body.tools?.[0]?.action, 'edit');
    assert.equal(body.tools?.[0]?.input_image_mask?.image_url, dataUrl(MASK));
  });

  const refusals: [string, string[], RegExp][] = [
    ['a mask without --image', ['--mask', 'm.png'], /--mask needs the image it applies to/],
    ['a mask that is not a PNG', ['--image', 'a.png', '--mask', 'notes.txt'], /--mask notes\.txt is not a PNG, JPEG or WebP image/],
    ['a JPEG mask', ['--image', 'a.png', '--mask', 'photo.jpg'], /The mask must be a PNG image/],
    ['a mask of another size', ['--image', 'a.png', '--mask', 'big.png'], /The mask is 16x8 but the image is 8x8/],
    ['a missing image', ['--image', 'nothere.png'], /cannot read --image nothere\.png: no such file/],
    ['17 images', Array.from({ length: 17 }, () => ['--image', 'a.png']).flat(), /--image takes at most 16 files/],
    ['an unknown route', ['--api', 'dalle'], /--api must be responses, images or auto, not 'dalle'/],
  ];
  for (const [what, args, message] of refusals) {
    it(`${what}: a usage error (exit 2) before any request`, async () => {
      const url = gw.scenarioUrl('images-ok');
      const cwd = await mkdtemp(join(scratch, 'w'));
      await writeFile(join(cwd, 'a.png'), PHOTO);
      await writeFile(join(cwd, 'm.png'), MASK);
      await writeFile(join(cwd, 'big.png'), makePng(16, 8));
      await writeFile(join(cwd, 'notes.txt'), 'not an image');
      const { tinyJpeg } = await import('../gateway/images');
      await writeFile(join(cwd, 'photo.jpg'), tinyJpeg);
      const r = await runCliProcess(['--prompt', 'x', '--api', 'images', ...args], { cwd, home, env: { IMAGE_GEN_BASE_URL: url, IMAGE_GEN_KEY: CANARY } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(gw.requestsFor(url).length, 0);
    });
  }
});
