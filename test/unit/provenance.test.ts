/**
 * Provenance in the saved file (src/core/image/provenance.ts): a round trip for PNG (iTXt), WebP (XMP chunk, from
 * simple VP8 and VP8L files and from VP8X) and JPEG (XMP APP1); hostile text (XML end tags, NUL, a 1 MiB prompt)
 * bounded and kept inert; corrupt chunks read as nothing without throwing; every image still decodes with the
 * codecs after the metadata is added.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makePng, tinyJpeg, tinyWebp } from '../gateway/images';
import { decode, encode, type CodecFormat } from '../../src/core/image/codecs';
import { readPixelSize } from '../../src/core/image/imageSize';
import {
  MAX_PROMPT_CHARS,
  MAX_PROVENANCE_BYTES,
  readProvenance,
  repeatSettingsOf,
  withProvenance,
  writeProvenance,
  type Provenance,
} from '../../src/core/image/provenance';
import { crc32 } from '../../src/core/image/provenance/crc32';
import type { GatewaySettings, GeneratedImage, ImageMime } from '../../src/core/types';

/** The 1×1 lossless (VP8L) WebP and the 1×1 VP8X WebP with alpha that browsers' WebP feature tests use. */
const vp8lWebp = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');
const vp8xWebp = Buffer.from('UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==', 'base64');

const full: Provenance = {
  prompt: 'A lighthouse at dusk, "quoted" & <tagged> — 灯塔 🌅',
  revisedPrompt: 'A tall lighthouse at dusk',
  model: 'gpt-5.4',
  created: '2026-12-05T03:00:00.000Z',
  software: 'CPA GPT Image 0.1.0',
  settings: { size: '1024x1536', quality: 'high', outputFormat: 'png', fit: 'crop', saveQuality: 80, transparent: false },
};

const ascii = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

async function roundTrip(bytes: Uint8Array, mime: ImageMime, format: CodecFormat, p: Provenance = full): Promise<Uint8Array> {
  const before = await decode(bytes, format);
  const out = writeProvenance(bytes, mime, p);
  assert.ok(out, 'the container was edited');
  assert.deepEqual(readProvenance(out), p);
  const after = await decode(out, format);
  assert.equal(after.width, before.width);
  assert.equal(after.height, before.height);
  assert.deepEqual(after.data, before.data, 'the pixels are untouched');
  assert.deepEqual(readPixelSize(out, mime), { width: before.width, height: before.height });
  return out;
}

describe('provenance round trip', () => {
  it('PNG: one iTXt chunk per field before IEND, CRCs valid, a second write replaces rather than doubles', async () => {
    const out = await roundTrip(makePng(16, 8), 'image/png', 'png');
    const text = ascii(out);
    assert.ok(text.indexOf('iTXtprompt\0\0\0\0\0A lighthouse') > 0);
    assert.ok(text.lastIndexOf('iTXt') < text.indexOf('IEND'));
    const again = writeProvenance(out, 'image/png', { ...full, prompt: 'second' })!;
    assert.equal(ascii(again).split('iTXtprompt').length, 2);
    assert.equal(readProvenance(again)?.prompt, 'second');
  });

  it('WebP from a simple lossy (VP8) file: becomes VP8X with the XMP flag and the canvas size', async () => {
    const out = await roundTrip(tinyWebp, 'image/webp', 'webp');
    assert.equal(ascii(out.subarray(12, 16)), 'VP8X');
    assert.equal(out[20]! & 0x04, 0x04);
    assert.equal(out[20]! & 0x10, 0, 'no alpha flag for VP8');
    assert.equal(Buffer.from(out).readUInt32LE(4), out.length - 8, 'the RIFF size covers the new chunks');
    assert.ok(ascii(out).includes('XMP '));
  });

  it('WebP from a lossless (VP8L) file with alpha, and from a VP8X file with ALPH', async () => {
    const lossless = await roundTrip(vp8lWebp, 'image/webp', 'webp');
    assert.equal(ascii(lossless.subarray(12, 16)), 'VP8X');
    const usesAlpha = ((vp8lWebp.readUInt32LE(21) >>> 28) & 1) === 1;
    assert.equal(lossless[20], usesAlpha ? 0x14 : 0x04, 'XMP flag, and the alpha flag when the VP8L stream uses alpha');
    const extended = await roundTrip(vp8xWebp, 'image/webp', 'webp');
    assert.equal(extended[20], vp8xWebp[20]! | 0x04, 'the existing flags are kept');
    // The encoder's own output (lossy, and with alpha), as the post-process stage writes it.
    const image = await decode(makePng(40, 30), 'png');
    await roundTrip(await encode(image, 'webp', 80), 'image/webp', 'webp');
    const translucent = { ...image, data: image.data.map((v, i) => (i % 4 === 3 ? 100 : v)) };
    await roundTrip(await encode(translucent, 'webp', 80), 'image/webp', 'webp');
  });

  it('JPEG: the XMP APP1 segment right after APP0, replaced on a second write', async () => {
    const out = await roundTrip(tinyJpeg, 'image/jpeg', 'jpeg');
    assert.equal(out[2], 0xff);
    assert.equal(out[3], 0xe0, 'APP0 stays first');
    const app0End = 4 + ((out[4]! << 8) | out[5]!);
    assert.deepEqual([out[app0End], out[app0End + 1]], [0xff, 0xe1]);
    assert.ok(ascii(out).includes('http://ns.adobe.com/xap/1.0/\0'));
    const again = writeProvenance(out, 'image/jpeg', { prompt: 'second' })!;
    assert.equal(ascii(again).split('http://ns.adobe.com/xap/1.0/\0').length, 2);
    assert.deepEqual(readProvenance(again), { prompt: 'second' });
    const encoded = await encode(await decode(makePng(33, 17), 'png'), 'jpeg', 80);
    await roundTrip(encoded, 'image/jpeg', 'jpeg');
  });
});

describe('hostile text', () => {
  const hostile = 'end </x:xmpmeta> <?xpacket end="w"?> ]]> &amp; NUL\u0000 bell\u0007 lone\uD800 tail';
  const cleaned = 'end </x:xmpmeta> <?xpacket end="w"?> ]]> &amp; NUL bell lone tail';

  for (const [mime, format, bytes] of [
    ['image/png', 'png', makePng(8, 8)],
    ['image/webp', 'webp', tinyWebp],
    ['image/jpeg', 'jpeg', tinyJpeg],
  ] as const) {
    it(`${format}: XML end tags stay text, NUL and controls are dropped, the file still decodes`, async () => {
      const out = writeProvenance(bytes, mime, { prompt: hostile, model: '</cpa:model>', settings: { style: '"}</cpa:settings>' } })!;
      assert.deepEqual(readProvenance(out), { prompt: cleaned, model: '</cpa:model>', settings: { style: '"}</cpa:settings>' } });
      await decode(out, format);
    });

    it(`${format}: a 1 MiB prompt is cut to ${MAX_PROMPT_CHARS} characters, the whole stays under the cap`, async () => {
      const huge = '<'.repeat(1024 * 1024);
      const out = writeProvenance(bytes, mime, { prompt: huge, revisedPrompt: huge, settings: { styleText: '&'.repeat(5000) } })!;
      assert.ok(out.length - bytes.length <= MAX_PROVENANCE_BYTES + 64);
      const back = readProvenance(out)!;
      assert.equal(back.prompt, '<'.repeat(MAX_PROMPT_CHARS));
      await decode(out, format);
    });
  }

  it('a cut never splits a surrogate pair', () => {
    const out = writeProvenance(makePng(4, 4), 'image/png', { prompt: 'a' + '🌅'.repeat(MAX_PROMPT_CHARS) })!;
    const prompt = readProvenance(out)!.prompt;
    assert.ok(prompt.length <= MAX_PROMPT_CHARS);
    assert.ok(!/[\uD800-\uDBFF]$/.test(prompt));
  });
});

describe('corrupt and foreign files', () => {
  it('no provenance: plain images, other formats, truncated bytes, garbage', () => {
    assert.equal(readProvenance(makePng(4, 4)), undefined);
    assert.equal(readProvenance(tinyWebp), undefined);
    assert.equal(readProvenance(tinyJpeg), undefined);
    assert.equal(readProvenance(new Uint8Array(0)), undefined);
    assert.equal(readProvenance(Buffer.from('GIF89a')), undefined);
    const out = writeProvenance(makePng(4, 4), 'image/png', full)!;
    for (let cut = 0; cut < out.length; cut += 7) readProvenance(out.subarray(0, cut));
    const webp = writeProvenance(tinyWebp, 'image/webp', full)!;
    for (let cut = 0; cut < webp.length; cut += 5) readProvenance(webp.subarray(0, cut));
    const jpeg = writeProvenance(tinyJpeg, 'image/jpeg', full)!;
    for (let cut = 0; cut < jpeg.length; cut += 5) readProvenance(jpeg.subarray(0, cut));
  });

  it('PNG: a chunk length past the end, or a bad CRC, reads as nothing', () => {
    const out = Buffer.from(writeProvenance(makePng(4, 4), 'image/png', { prompt: 'p' })!);
    const at = out.indexOf('iTXtprompt') - 4;
    const huge = Buffer.from(out);
    huge.writeUInt32BE(0xfffffff0, at);
    assert.equal(readProvenance(huge), undefined);
    const badCrc = Buffer.from(out);
    badCrc[at + 8 + 10] ^= 0xff; // inside the text: the CRC no longer matches
    assert.equal(readProvenance(badCrc), undefined);
    assert.equal(writeProvenance(huge, 'image/png', full), undefined, 'a broken file is not edited');
  });

  it('WebP: a chunk size past the RIFF end, or a RIFF size past the file, is refused', () => {
    const out = Buffer.from(writeProvenance(tinyWebp, 'image/webp', full)!);
    const xmp = out.indexOf('XMP ');
    const bad = Buffer.from(out);
    bad.writeUInt32LE(0xffffff00, xmp + 4);
    assert.equal(readProvenance(bad), undefined);
    const riff = Buffer.from(out);
    riff.writeUInt32LE(out.length * 2, 4);
    assert.equal(readProvenance(riff), undefined);
    assert.equal(writeProvenance(riff, 'image/webp', full), undefined);
  });

  it('JPEG: a segment length past the end is refused; another tool\'s XMP is not ours', () => {
    const out = Buffer.from(writeProvenance(tinyJpeg, 'image/jpeg', full)!);
    const bad = Buffer.from(out);
    const app1 = bad.indexOf(Buffer.from([0xff, 0xe1]));
    bad.writeUInt16BE(0xffff, app1 + 2);
    assert.equal(readProvenance(bad), undefined);
    const foreign = Buffer.from(out.toString('latin1').replace('urn:cpa-gpt-image:provenance:1', 'urn:someone-else:provenance:1'), 'latin1');
    assert.equal(readProvenance(foreign), undefined);
  });

  it('the CRC-32 matches the known check value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });
});

describe('withProvenance and repeatSettingsOf', () => {
  const gateway = {
    model: 'gpt-5.4',
    tool: { outputFormat: 'png', size: '1024x1536', quality: 'high' },
    style: { name: 'watercolor', text: 'in soft watercolor' },
    processing: { fit: 'crop', format: 'original', quality: 80 },
  } as unknown as GatewaySettings;
  const image: GeneratedImage = { bytes: makePng(8, 8), mime: 'image/png', extension: 'png', revisedPrompt: 'revised', attempts: 1, elapsedMs: 1 };

  it('writes the prompt, model, date, software and settings; Regenerate repeats the image settings', () => {
    const out = withProvenance(image, 'a cat', gateway, 'CPA GPT Image test', new Date('2026-12-05T03:00:00Z'));
    const p = readProvenance(out.bytes)!;
    assert.equal(p.prompt, 'a cat');
    assert.equal(p.revisedPrompt, 'revised');
    assert.equal(p.created, '2026-12-05T03:00:00.000Z');
    assert.equal(p.software, 'CPA GPT Image test');
    assert.deepEqual(p.settings, { size: '1024x1536', quality: 'high', outputFormat: 'png', style: 'watercolor', styleText: 'in soft watercolor', fit: 'crop', saveFormat: 'original', saveQuality: 80 });
    assert.deepEqual(repeatSettingsOf(p), { model: 'gpt-5.4', outputFormat: 'png', size: '1024x1536', quality: 'high', style: { name: 'watercolor', text: 'in soft watercolor' } });
  });

  it('an edited image is marked as such (Regenerate from File does not resend its instruction as a prompt)', () => {
    const out = withProvenance(image, 'make it night', gateway, 'x', new Date(), true);
    assert.equal(readProvenance(out.bytes)?.settings?.edited, true);
    assert.equal(readProvenance(withProvenance(image, 'a cat', gateway, 'x').bytes)?.settings?.edited, undefined);
  });

  it('metadata off: the bytes are the same object; a file without model or format repeats nothing', () => {
    const off = withProvenance(image, 'a cat', { ...gateway, processing: { fit: 'crop', format: 'original', quality: 80, metadata: false } }, 'x');
    assert.equal(off.bytes, image.bytes);
    assert.equal(repeatSettingsOf({ prompt: 'a' }), undefined);
    assert.equal(repeatSettingsOf({ prompt: 'a', model: 'm', settings: { outputFormat: 'gif' } }), undefined);
  });
});
