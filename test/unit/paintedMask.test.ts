/**
 * The extension-side check of the mask the Edit Region… painter posts (src/core/image/paintedMask.ts), on real PNG
 * bytes encoded and decoded by the project's codecs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makePng, tinyJpeg } from '../gateway/images';
import { decode, encode } from '../../src/core/image/codecs';
import { MAX_MASK_BYTES } from '../../src/core/gateway/editInputs';
import { checkPaintedMask } from '../../src/core/image/paintedMask';

/** A mask of `width`×`height`, opaque black but the `transparent` pixels (by index). */
async function mask(width: number, height: number, transparent: number[] = []): Promise<Uint8Array> {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data[i * 4 + 3] = 255;
  for (const i of transparent) data[i * 4 + 3] = 0;
  return encode({ width, height, data }, 'png', 100);
}

describe('checkPaintedMask: the painter’s mask before anything is sent', () => {
  it('accepts a mask of the image’s size with painted (transparent) pixels, and counts them', async () => {
    assert.deepEqual(await checkPaintedMask(await mask(16, 8, [0, 1, 17]), { width: 16, height: 8 }, decode), { ok: true, transparentPixels: 3 });
  });

  it('refuses a mask of another size, naming its size', async () => {
    assert.deepEqual(await checkPaintedMask(await mask(16, 8, [0]), { width: 16, height: 9 }, decode), { ok: false, problem: 'wrongSize', width: 16, height: 8 });
  });

  it('refuses bytes that are not a PNG: a JPEG, text, and a PNG signature over garbage', async () => {
    const size = { width: 4, height: 3 };
    assert.deepEqual(await checkPaintedMask(tinyJpeg, size, decode), { ok: false, problem: 'notPng' });
    assert.deepEqual(await checkPaintedMask(new TextEncoder().encode('<svg></svg>'), size, decode), { ok: false, problem: 'notPng' });
    const broken = Buffer.concat([makePng(4, 3).subarray(0, 33), Buffer.alloc(40, 7)]);
    assert.deepEqual(await checkPaintedMask(broken, size, decode), { ok: false, problem: 'notPng' });
  });

  it('refuses a mask of 4 MB or more without decoding it', async () => {
    const big = new Uint8Array(MAX_MASK_BYTES);
    big.set(makePng(4, 3));
    const verdict = await checkPaintedMask(big, { width: 4, height: 3 }, () => Promise.reject(new Error('must not decode')));
    assert.deepEqual(verdict, { ok: false, problem: 'tooBig', bytes: MAX_MASK_BYTES });
  });

  it('refuses an all-opaque mask: nothing painted, nothing to edit', async () => {
    assert.deepEqual(await checkPaintedMask(await mask(16, 8), { width: 16, height: 8 }, decode), { ok: false, problem: 'nothingPainted' });
    // makePng has no alpha channel: every pixel is opaque.
    assert.deepEqual(await checkPaintedMask(makePng(16, 8), { width: 16, height: 8 }, decode), { ok: false, problem: 'nothingPainted' });
  });
});
