/**
 * Images that fit the document, through the built CLI against the test gateway (issue 12 items 1–2): a gateway that
 * sends 1536×1024 whatever is asked (`ignores-size`) gives the asked 1024×1536 with --fit crop, cut from the centre;
 * --save-format webp --max-width 800 gives a valid WebP at most 800 wide named .webp; the asked size is also stated in
 * the prompt unless --no-size-in-prompt. The saved files are read back by test-side readers (test/gateway/inspect.ts).
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliTestBed } from '../support/cliTestBed';
import { checkWebp, readPngPixels } from '../gateway/inspect';

describe('CLI: the saved image fits the document', () => {
  const bed = cliTestBed('fit');

  async function run(args: string[], params: Record<string, string> = {}) {
    const r = await bed.run(bed.gw.scenarioUrl('ignores-size', params), ['--prompt', 'a tall lighthouse', ...args]);
    return { ...r, prompts: r.requests.filter((q) => q.path.endsWith('/v1/responses')).map((q) => (q.json as { input?: unknown }).input) };
  }

  it('--size 1024x1536 --fit crop: the 1536x1024 answer is saved as 1024x1536, the centre kept, and says so', async () => {
    const r = await run(['--output', 'out/tower.png', '--size', '1024x1536', '--fit', 'crop']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.files, ['out/tower.png']);
    const { width, height, rgba } = readPngPixels(await readFile(join(r.cwd, 'out/tower.png')));
    assert.deepEqual({ width, height }, { width: 1024, height: 1536 });
    const px = (x: number, y: number) => [...rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4)];
    // The gateway's red grows with x over 1536 columns; the centre 683 columns (x 426–1108) are kept.
    const [leftRed] = px(0, 768);
    const [rightRed] = px(1023, 768);
    assert.ok(Math.abs(leftRed! - 71) <= 3, `left edge red ${leftRed} (≈ 71: column 426 of the answer)`);
    assert.ok(Math.abs(rightRed! - 184) <= 3, `right edge red ${rightRed} (≈ 184: column 1108 of the answer)`);
    assert.ok(px(512, 0)[1]! <= 3 && px(512, 1535)[1]! >= 252, 'top to bottom kept whole (green 0 → 255)');
    assert.equal(px(512, 768)[3], 255, 'opaque');
    assert.match(r.stderr, /note: asked 1024×1536, gateway sent 1536×1024, cropped/);
    assert.equal(r.stdout.trim(), 'out/tower.png');
    assert.deepEqual(r.prompts, ['a tall lighthouse\n\nImage size: 1024×1536 (portrait).'], 'the size is stated in the prompt too');
  });

  it('--fit contain pads the landscape answer to the portrait size with transparency', async () => {
    const r = await run(['--output', 'out/tower.png', '--aspect', '2:3', '--fit', 'contain', '--no-size-in-prompt']);
    assert.equal(r.code, 0, r.stderr);
    const { width, height, rgba } = readPngPixels(await readFile(join(r.cwd, 'out/tower.png')));
    assert.deepEqual({ width, height }, { width: 1024, height: 1536 });
    assert.equal(rgba[3], 0, 'the top band is transparent');
    assert.equal(rgba[(768 * width + 512) * 4 + 3], 255, 'the centre is the image');
    assert.match(r.stderr, /note: asked 1024×1536, gateway sent 1536×1024, padded/);
    assert.deepEqual(r.prompts, ['a tall lighthouse'], '--no-size-in-prompt sends the prompt as typed');
  });

  it('--save-format webp --max-width 800: a valid WebP at most 800 wide, named .webp, and much smaller than the PNG', async () => {
    const r = await run(['--output', 'out/tower.png', '--save-format', 'webp', '--save-quality', '80', '--max-width', '800'], { noise: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.files, ['out/tower.webp']);
    assert.equal(r.stdout.trim(), 'out/tower.webp');
    const bytes = await readFile(join(r.cwd, 'out/tower.webp'));
    assert.deepEqual(checkWebp(bytes), { width: 800, height: 533 });
    assert.match(r.stderr, /note: downscaled to 800×533, converted PNG to WebP/);
    assert.match(r.stderr, /saved as tower\.webp instead of out\/tower\.png|saved as out\/tower\.webp instead of out\/tower\.png/);
  });

  it('--fit none keeps the answer as sent, and says the size differs', async () => {
    const r = await run(['--output', 'out/tower.png', '--size', '1024x1536', '--fit', 'none']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readPngPixels(await readFile(join(r.cwd, 'out/tower.png'))).width, 1536);
    assert.match(r.stderr, /note: asked 1024×1536, gateway sent 1536×1024, kept as sent/);
  });

  it('--background transparent against an opaque subject on a plain background: corners transparent, centre opaque, says so', async () => {
    const url = bed.gw.scenarioUrl('ok', { width: 240, height: 160, subject: '1' });
    const r = await bed.run(url, ['--prompt', 'a blue disc', '--output', 'out/disc.png', '--background', 'transparent']);
    const { cwd } = r;
    assert.equal(r.code, 0, r.stderr);
    const { width, height, rgba } = readPngPixels(await readFile(join(cwd, 'out/disc.png')));
    assert.deepEqual({ width, height }, { width: 240, height: 160 });
    const alpha = (x: number, y: number) => rgba[(y * width + x) * 4 + 3];
    for (const [x, y] of [[0, 0], [239, 0], [0, 159], [239, 159]] as const) assert.equal(alpha(x, y), 0, `corner ${x},${y} transparent`);
    assert.equal(alpha(120, 80), 255, 'the centre is opaque');
    assert.deepEqual([...rgba.subarray((80 * width + 120) * 4, (80 * width + 120) * 4 + 3)], [40, 60, 120], 'the subject keeps its colour');
    assert.match(r.stderr, /note: background removed locally/);
  });

  it('--background transparent refused with a 400 (gpt-image-2): asked once more without it, the background removed locally, and said', async () => {
    const url = bed.gw.scenarioUrl('refuse-transparent', { width: 240, height: 160, subject: '1' });
    const r = await bed.run(url, ['--prompt', 'a blue disc', '--output', 'out/disc.png', '--background', 'transparent']);
    const { cwd } = r;
    assert.equal(r.code, 0, r.stderr);
    const tools = bed.gw.requestsFor(url).map((q) => (q.json as { tools: { background?: string }[] }).tools[0]?.background);
    assert.deepEqual(tools, ['transparent', undefined], 'the second request no longer asks for transparency');
    const { width, rgba } = readPngPixels(await readFile(join(cwd, 'out/disc.png')));
    const alpha = (x: number, y: number) => rgba[(y * width + x) * 4 + 3];
    assert.equal(alpha(0, 0), 0, 'a corner is transparent');
    assert.equal(alpha(120, 80), 255, 'the centre is opaque');
    assert.match(r.stderr, /note: the gateway refused a transparent background, background removed locally/);
  });

  it('a second refusal of the transparent background fails with the gateway\'s words (one retry, not a loop)', async () => {
    const url = bed.gw.scenarioUrl('refuse-transparent', { always: '1' });
    const r = await bed.run(url, ['--prompt', 'a blue disc', '--output', 'out/disc.png', '--background', 'transparent']);
    const { cwd } = r;
    assert.equal(r.code, 1, r.stderr);
    assert.equal(bed.gw.requestsFor(url).length, 2, 'the first request and one without transparency');
    assert.match(r.stderr, /Transparent background is not supported for this model/);
    assert.deepEqual(await readdir(cwd), [], 'no file');
  });

  for (const [args, message] of [
    [['--fit', 'stretch'], /--fit must be crop, contain or none/],
    [['--save-format', 'gif'], /--save-format must be original, webp, png or jpeg/],
    [['--save-quality', '0'], /--save-quality must be from 1 to 100/],
    [['--max-width', '0'], /--max-width must be from 1 to 65535/],
    [['--aspect', '5:1'], /--aspect needs W:H/],
    [['--size', '1024x1536', '--aspect', '2:3'], /either --size or --aspect/],
  ] as const) {
    it(`${args.join(' ')}: a usage error (exit 2) before any request`, async () => {
      const r = await run([...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.deepEqual(r.prompts, []);
      assert.deepEqual(r.files, []);
    });
  }
});
