/** The fit geometry (src/core/image/fit.ts): which part of the delivered image is kept, its size and its place. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAspect, parseSize, planChangesPixels, planFit, sizePhrase } from '../../src/core/image/fit';

describe('planFit', () => {
  it('crop: a 1536×1024 delivery for 1024×1536 keeps the centre 683×1024 and scales it to exactly 1024×1536', () => {
    const plan = planFit({ width: 1536, height: 1024 }, { width: 1024, height: 1536 }, { fit: 'crop' });
    assert.deepEqual(plan.source, { x: 426, y: 0, width: 683, height: 1024 });
    assert.deepEqual(plan.content, { width: 1024, height: 1536 });
    assert.deepEqual(plan.canvas, { width: 1024, height: 1536 });
    assert.equal(plan.action, 'cropped');
  });

  it('crop: a portrait source for a landscape ask keeps a centred band of full width', () => {
    const plan = planFit({ width: 1024, height: 1536 }, { width: 1536, height: 1024 }, { fit: 'crop' });
    assert.deepEqual(plan.source, { x: 0, y: 426, width: 1024, height: 683 });
    assert.deepEqual(plan.canvas, { width: 1536, height: 1024 });
  });

  it('contain: the whole image scaled to fit, centred, padded to exactly the asked size', () => {
    const plan = planFit({ width: 1536, height: 1024 }, { width: 1024, height: 1536 }, { fit: 'contain' });
    assert.deepEqual(plan.source, { x: 0, y: 0, width: 1536, height: 1024 });
    assert.deepEqual(plan.content, { width: 1024, height: 683 });
    assert.deepEqual(plan.canvas, { width: 1024, height: 1536 });
    assert.deepEqual(plan.offset, { x: 0, y: 426 });
    assert.equal(plan.action, 'padded');
  });

  it('none keeps the delivered size, and so does an ask that was met', () => {
    for (const [asked, fit] of [[{ width: 1024, height: 1536 }, 'none'], [{ width: 1536, height: 1024 }, 'crop'], [undefined, 'crop']] as const) {
      const plan = planFit({ width: 1536, height: 1024 }, asked, { fit });
      assert.equal(plan.action, 'kept');
      assert.deepEqual(plan.canvas, { width: 1536, height: 1024 });
      assert.equal(planChangesPixels(plan, { width: 1536, height: 1024 }), false);
    }
  });

  it('same aspect, other size: scaled down to the asked size, never enlarged', () => {
    const plan = planFit({ width: 2048, height: 2048 }, { width: 1024, height: 1024 }, { fit: 'crop' });
    assert.equal(plan.action, 'scaled');
    assert.deepEqual(plan.source, { x: 0, y: 0, width: 2048, height: 2048 });
    assert.deepEqual(plan.canvas, { width: 1024, height: 1024 });
    const smaller = planFit({ width: 480, height: 320 }, { width: 1536, height: 1024 }, { fit: 'contain' });
    assert.equal(smaller.action, 'kept');
    assert.deepEqual(smaller.canvas, { width: 480, height: 320 });
    assert.equal(planChangesPixels(smaller, { width: 480, height: 320 }), false);
  });

  it('maxWidth/maxHeight shrink the result keeping its aspect, and never enlarge it', () => {
    const shrunk = planFit({ width: 1536, height: 1024 }, undefined, { fit: 'crop', maxWidth: 800 });
    assert.deepEqual(shrunk.canvas, { width: 800, height: 533 });
    assert.equal(shrunk.downscaled, true);
    const byHeight = planFit({ width: 1536, height: 1024 }, { width: 1024, height: 1536 }, { fit: 'crop', maxWidth: 2000, maxHeight: 768 });
    assert.deepEqual(byHeight.canvas, { width: 512, height: 768 });
    const notEnlarged = planFit({ width: 640, height: 480 }, undefined, { fit: 'crop', maxWidth: 800, maxHeight: 800 });
    assert.deepEqual(notEnlarged.canvas, { width: 640, height: 480 });
    assert.equal(notEnlarged.downscaled, false);
  });

  it('contain with a limit shrinks the padding and the content together, still centred', () => {
    const plan = planFit({ width: 1536, height: 1024 }, { width: 1024, height: 1536 }, { fit: 'contain', maxHeight: 768 });
    assert.deepEqual(plan.canvas, { width: 512, height: 768 });
    assert.deepEqual(plan.content, { width: 512, height: 342 });
    assert.deepEqual(plan.offset, { x: 0, y: 213 });
  });

  it('every plan stays inside its source and its canvas, for many shapes', () => {
    const sizes = [1, 2, 3, 7, 64, 100, 333, 1024, 1536, 4000];
    for (const sw of sizes) for (const sh of sizes) for (const aw of [1, 5, 1024, 1536]) for (const ah of [1, 9, 1024, 1536]) {
      for (const fit of ['crop', 'contain'] as const) {
        const p = planFit({ width: sw, height: sh }, { width: aw, height: ah }, { fit, maxWidth: 700 });
        assert.ok(p.source.x >= 0 && p.source.y >= 0 && p.source.x + p.source.width <= sw && p.source.y + p.source.height <= sh, `source ${sw}x${sh}→${aw}x${ah}`);
        assert.ok(p.source.width >= 1 && p.source.height >= 1 && p.content.width >= 1 && p.content.height >= 1);
        assert.ok(p.offset.x + p.content.width <= p.canvas.width && p.offset.y + p.content.height <= p.canvas.height, `canvas ${sw}x${sh}→${aw}x${ah} ${fit}`);
        assert.ok(p.canvas.width <= Math.max(700, 1));
      }
    }
  });
});

describe('sizes and the size phrase', () => {
  it('parses WxH and W:H', () => {
    assert.deepEqual(parseSize('1024x1536'), { width: 1024, height: 1536 });
    assert.deepEqual(parseSize('1024X1536'), { width: 1024, height: 1536 });
    assert.equal(parseSize('auto'), undefined);
    assert.equal(parseSize('0x10'), undefined);
    assert.deepEqual(parseAspect('16:9'), { width: 16, height: 9 });
    assert.equal(parseAspect('16-9'), undefined);
  });

  it('states the size and its orientation', () => {
    assert.equal(sizePhrase({ width: 1024, height: 1536 }), 'Image size: 1024×1536 (portrait).');
    assert.equal(sizePhrase({ width: 1536, height: 1024 }), 'Image size: 1536×1024 (landscape).');
    assert.equal(sizePhrase({ width: 1024, height: 1024 }), 'Image size: 1024×1024 (square).');
  });
});
