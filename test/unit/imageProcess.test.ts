/**
 * The post-process work on real bytes (src/core/image/process.ts with the WebAssembly codecs): the real size read
 * from the bytes, crop and contain to the asked size, re-encoding, and the gateway's bytes kept untouched when
 * nothing has to change (without loading any codec).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makePng } from '../gateway/images';
import { checkPng } from '../gateway/inspect';
import { decode, encode, resize } from '../../src/core/image/codecs';
import { readPixelSize } from '../../src/core/image/imageSize';
import { describeProcessing, processImage, type ImageProcessing } from '../../src/core/image/process';
import type { GeneratedImage } from '../../src/core/types';

const delivered = (bytes: Uint8Array): GeneratedImage => ({ bytes, mime: 'image/png', extension: 'png', attempts: 1, elapsedMs: 1 });
const options = (more: Partial<ImageProcessing> = {}): ImageProcessing => ({ fit: 'crop', format: 'original', quality: 80, ...more });
const noCodecs = () => Promise.reject(new Error('the codecs must not be loaded'));

describe('the real size from the bytes', () => {
  it('PNG, JPEG and WebP headers (plain lossy WebP, and extended WebP with alpha)', async () => {
    const image = await decode(makePng(300, 200), 'png');
    assert.deepEqual(readPixelSize(makePng(300, 200), 'image/png'), { width: 300, height: 200 });
    assert.deepEqual(readPixelSize(await encode(image, 'jpeg', 80), 'image/jpeg'), { width: 300, height: 200 });
    assert.deepEqual(readPixelSize(await encode(image, 'webp', 80), 'image/webp'), { width: 300, height: 200 });
    const translucent = { ...image, data: image.data.map((v, i) => (i % 4 === 3 ? 128 : v)) };
    assert.deepEqual(readPixelSize(await encode(translucent, 'webp', 80), 'image/webp'), { width: 300, height: 200 });
    assert.equal(readPixelSize(new Uint8Array([0x89, 0x50]), 'image/png'), undefined);
  });
});

describe('resize (pica, Lanczos3)', () => {
  /** A 64×64 image: left half red, right half blue, opaque. */
  const halves = (): Uint8Array => {
    const data = new Uint8Array(64 * 64 * 4);
    for (let i = 0; i < 64 * 64; i++) data.set((i % 64) < 32 ? [255, 0, 0, 255] : [0, 0, 255, 255], i * 4);
    return data;
  };

  it('a view into a larger buffer gives the same pixels as a copy of it (the decoders hand back views)', async () => {
    const pixels = halves();
    const larger = new Uint8Array(4096 + pixels.length);
    larger.fill(77);
    larger.set(pixels, 4096);
    const view = { width: 64, height: 64, data: larger.subarray(4096) };
    const fromView = await resize(view, 32, 16);
    const fromCopy = await resize({ width: 64, height: 64, data: pixels }, 32, 16);
    assert.deepEqual([fromView.width, fromView.height, fromView.data.length], [32, 16, 32 * 16 * 4]);
    assert.deepEqual([...fromView.data], [...fromCopy.data]);
    assert.deepEqual([...fromView.data.subarray(0, 4)], [255, 0, 0, 255], 'the left edge is red');
    assert.deepEqual([...fromView.data.subarray(31 * 4, 32 * 4)], [0, 0, 255, 255], 'the right edge is blue');
  });

  it('transparent pixels do not darken their neighbours: a white square on transparent black stays white at its edge', async () => {
    const data = new Uint8Array(64 * 64 * 4);
    for (let y = 16; y < 48; y++) for (let x = 17; x < 48; x++) data.set([255, 255, 255, 255], (y * 64 + x) * 4);
    const out = await resize({ width: 64, height: 64, data }, 32, 32);
    // Pixel (8, 20) of the result covers source columns 16 (transparent) and 17 (white): half covered, so partly
    // transparent, and white (averaged without weighting by alpha it would be grey).
    const at = (x: number, y: number) => [...out.data.subarray((y * 32 + x) * 4, (y * 32 + x) * 4 + 4)];
    const [r, g, b, a] = at(8, 20);
    assert.ok((a ?? 0) > 60 && (a ?? 0) < 200, `the edge is partly transparent (alpha ${a})`);
    assert.ok((r ?? 0) >= 250 && (g ?? 0) >= 250 && (b ?? 0) >= 250, `the edge is still white, not grey (${r},${g},${b})`);
    assert.deepEqual(at(16, 16), [255, 255, 255, 255], 'inside stays white');
    assert.equal(at(0, 0)[3], 0, 'outside stays transparent');
  });
});

describe('processImage', () => {
  it('nothing to change: the gateway bytes are kept and no codec is loaded', async () => {
    const png = makePng(64, 32);
    const out = await processImage(delivered(png), '64x32', options(), noCodecs);
    assert.equal(out.image.bytes, png);
    assert.deepEqual(out.report.saved, { width: 64, height: 32 });
    assert.equal(describeProcessing(out.report), '');
    const none = await processImage(delivered(png), '32x64', options({ fit: 'none' }), noCodecs);
    assert.equal(none.image.bytes, png);
    assert.equal(describeProcessing(none.report), 'asked 32×64, gateway sent 64×32, kept as sent');
  });

  it('crop: 1536×1024 for 1024×1536 gives a valid 1024×1536 PNG holding the centre of the gradient', async () => {
    const out = await processImage(delivered(makePng(1536, 1024)), '1024x1536', options());
    assert.deepEqual(checkPng(out.image.bytes), { width: 1024, height: 1536 });
    const pixels = await decode(out.image.bytes, 'png');
    const red = (x: number, y: number) => pixels.data[(y * 1024 + x) * 4] ?? -1;
    const green = (x: number, y: number) => pixels.data[(y * 1024 + x) * 4 + 1] ?? -1;
    // makePng's red grows with x over 0..1535: the kept band starts near x=426 (red ≈ 71) and ends near x=1108 (red ≈ 184).
    assert.ok(Math.abs(red(0, 768) - 71) <= 3, `left edge red ${red(0, 768)}`);
    assert.ok(Math.abs(red(1023, 768) - 184) <= 3, `right edge red ${red(1023, 768)}`);
    assert.ok(green(512, 0) <= 3 && green(512, 1535) >= 252, 'top to bottom is kept whole');
    assert.equal(describeProcessing(out.report), 'asked 1024×1536, gateway sent 1536×1024, cropped');
  });

  it('contain to JPEG pads with white; to PNG with transparency', async () => {
    const jpeg = await processImage(delivered(makePng(300, 200)), '200x300', options({ fit: 'contain', format: 'jpeg' }));
    assert.equal(jpeg.image.mime, 'image/jpeg');
    assert.equal(jpeg.image.extension, 'jpg');
    const pixels = await decode(jpeg.image.bytes, 'jpeg');
    assert.deepEqual([pixels.width, pixels.height], [200, 300]);
    assert.ok([...pixels.data.subarray(0, 3)].every((v) => v >= 250), 'the top band is white');
    const png = await processImage(delivered(makePng(300, 200)), '200x300', options({ fit: 'contain', format: 'png' }));
    const alpha = await decode(png.image.bytes, 'png');
    assert.equal(alpha.data[3], 0, 'the top band is transparent');
    assert.equal(alpha.data[(150 * 200 + 100) * 4 + 3], 255, 'the centre is opaque');
    assert.equal(describeProcessing(jpeg.report), 'asked 200×300, gateway sent 300×200, padded, converted PNG to JPEG');
  });

  it('webp with a width limit: a valid WebP at most 800 wide, aspect kept', async () => {
    const out = await processImage(delivered(makePng(1536, 1024, { noise: true })), undefined, options({ format: 'webp', maxWidth: 800 }));
    assert.equal(out.image.mime, 'image/webp');
    assert.equal(out.image.extension, 'webp');
    const pixels = await decode(out.image.bytes, 'webp');
    assert.deepEqual([pixels.width, pixels.height], [800, 533]);
    assert.equal(describeProcessing(out.report), 'downscaled to 800×533, converted PNG to WebP');
  });

  it('an unreadable header is passed through untouched', async () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    const out = await processImage(delivered(bytes), '10x10', options({ format: 'webp' }), noCodecs);
    assert.equal(out.image.bytes, bytes);
  });
});

describe('transparency asked, none delivered (issue 12 item 3)', () => {
  /** A 120×80 opaque image: a plain light background with a dark disc in the middle, its edge anti-aliased. */
  const discOnPlain = (): { width: number; height: number; data: Uint8Array } => {
    const width = 120;
    const height = 80;
    const data = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        const inside = Math.max(0, Math.min(1, 25.5 - Math.hypot(x - 60, y - 40)));
        const bg = [236, 240, 244];
        const fg = [40, 60, 120];
        for (let c = 0; c < 3; c++) data[i + c] = Math.round((bg[c] ?? 0) * (1 - inside) + (fg[c] ?? 0) * inside);
        data[i + 3] = 255;
      }
    }
    return { width, height, data };
  };

  it('removeBackground: the border-connected background goes, the subject stays, its edge is soft', async () => {
    const { removeBackground, borderColours } = await import('../../src/core/image/background');
    const image = discOnPlain();
    assert.deepEqual(borderColours(image), [[236, 240, 244]]);
    const { image: cut } = removeBackground(image);
    const alpha = (x: number, y: number) => cut.data[(y * 120 + x) * 4 + 3];
    for (const [x, y] of [[0, 0], [119, 0], [0, 79], [119, 79], [60, 5]] as const) assert.equal(alpha(x, y), 0, `background at ${x},${y}`);
    assert.equal(alpha(60, 40), 255, 'the centre of the disc is opaque');
    const edge = alpha(60, 40 - 25) ?? 0;
    assert.ok(edge > 0 && edge < 255, `the anti-aliased edge is partly transparent (${edge})`);
  });

  it('processImage with transparent: an opaque PNG is saved as a PNG with transparent corners and an opaque centre, and says so', async () => {
    const { encode } = await import('../../src/core/image/codecs');
    const png = await encode(discOnPlain(), 'png', 100);
    const out = await processImage(delivered(png), undefined, options({ transparent: true }));
    const pixels = await decode(out.image.bytes, 'png');
    assert.equal(pixels.data[3], 0, 'top-left corner transparent');
    assert.equal(pixels.data[(79 * 120 + 119) * 4 + 3], 0, 'bottom-right corner transparent');
    assert.equal(pixels.data[(40 * 120 + 60) * 4 + 3], 255, 'centre opaque');
    assert.equal(describeProcessing(out.report), 'background removed locally');
  });

  it('a painted checkerboard (fake transparency, 16-pixel squares of white and light grey) is taken out like a plain background', async () => {
    const { encode } = await import('../../src/core/image/codecs');
    const { borderColours } = await import('../../src/core/image/background');
    const image = discOnPlain();
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        const i = (y * image.width + x) * 4;
        if (Math.hypot(x - 60, y - 40) <= 26) continue;
        const grey = ((x >> 4) + (y >> 4)) % 2 === 0 ? 255 : 204;
        image.data.set([grey, grey, grey, 255], i);
      }
    }
    assert.deepEqual(borderColours(image), [[255, 255, 255], [204, 204, 204]], 'both squares are background colours');
    const out = await processImage(delivered(await encode(image, 'png', 100)), undefined, options({ transparent: true }));
    const pixels = await decode(out.image.bytes, 'png');
    const alpha = (x: number, y: number) => pixels.data[(y * 120 + x) * 4 + 3];
    for (const [x, y] of [[0, 0], [20, 3], [119, 79], [8, 40], [100, 70]] as const) assert.equal(alpha(x, y), 0, `a square at ${x},${y} is transparent`);
    assert.equal(alpha(60, 40), 255, 'the subject is opaque');
    assert.equal(describeProcessing(out.report), 'background removed locally');
  });

  it('a JPEG gets PNG; an image with real alpha is kept as delivered', async () => {
    const { encode } = await import('../../src/core/image/codecs');
    const jpeg = await encode(discOnPlain(), 'jpeg', 90);
    const fromJpeg = await processImage({ ...delivered(jpeg), mime: 'image/jpeg', extension: 'jpg' }, undefined, options({ transparent: true }));
    assert.equal(fromJpeg.image.mime, 'image/png');
    assert.equal((await decode(fromJpeg.image.bytes, 'png')).data[3], 0);
    const withAlpha = await encode({ ...discOnPlain(), data: discOnPlain().data.map((v, i) => (i % 4 === 3 ? 200 : v)) }, 'png', 100);
    const kept = await processImage(delivered(withAlpha), undefined, options({ transparent: true }));
    assert.equal(kept.image.bytes, withAlpha);
  });
});
