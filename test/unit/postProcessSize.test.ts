/**
 * After the post-process stage the image's `size` is what its bytes hold (issue 12: "the delivered image's real pixel
 * size is read from its bytes, never from the gateway's size field"); the preview and the history show that `size`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { postProcess } from '../../src/vscode/generation/postProcess';
import type { GatewaySettings, GeneratedImage } from '../../src/core/types';
import { makePng } from '../gateway/images';

const settings = (size?: string): GatewaySettings =>
  ({ tool: size === undefined ? {} : { size }, processing: { fit: 'none', format: 'original', quality: 80 } }) as unknown as GatewaySettings;

const image = (bytes: Uint8Array, size?: string): GeneratedImage => ({
  bytes,
  mime: 'image/png',
  extension: 'png',
  attempts: 1,
  elapsedMs: 1,
  ...(size === undefined ? {} : { size }),
});

describe('postProcess: the size is read from the bytes', () => {
  it('a gateway that says 1536x1024 but sends 24×16: the size is 24x16', async () => {
    const out = await postProcess(image(makePng(24, 16), '1536x1024'), settings('1536x1024'));
    assert.equal(out.image.size, '24x16');
  });

  it('no size reported by the gateway: the size is still known', async () => {
    const out = await postProcess(image(makePng(7, 5)), settings());
    assert.equal(out.image.size, '7x5');
  });

  it('a header that cannot be read: no size at all rather than the gateway\'s word', async () => {
    const cut = makePng(7, 5).subarray(0, 20);
    const out = await postProcess(image(cut, '1024x1024'), settings());
    assert.equal(out.image.size, undefined);
  });
});
