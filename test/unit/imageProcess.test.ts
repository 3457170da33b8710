/**
 * The post-process work on real bytes (src/core/image/process.ts with the WebAssembly codecs): the real size read
 * from the bytes, crop and contain to the asked size, re-encoding, and the gateway's bytes kept untouched when
 * nothing has to change (without loading any codec).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makePng } from '../gateway/images';
import { checkPng } from '../gateway/inspect';
import { decode, encode } from '../../src/core/image/codecs';
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
