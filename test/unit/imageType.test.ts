import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeBytes, detectImageType } from '../../src/core/gateway/imageType';

/** The 1×1 PNG of gateway.md §6.1: a complete, valid file. */
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC', 'base64');

describe('detectImageType', () => {
  const cases: { name: string; bytes: Uint8Array; expected: ReturnType<typeof detectImageType> }[] = [
    { name: 'a real PNG', bytes: TINY_PNG, expected: { mime: 'image/png', extension: 'png' } },
    { name: 'the bare PNG signature', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), expected: { mime: 'image/png', extension: 'png' } },
    { name: 'JPEG/JFIF', bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]), expected: { mime: 'image/jpeg', extension: 'jpg' } },
    { name: 'JPEG/Exif', bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe1]), expected: { mime: 'image/jpeg', extension: 'jpg' } },
    { name: 'WebP', bytes: Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 ')]), expected: { mime: 'image/webp', extension: 'webp' } },
    { name: 'a RIFF that is not WebP (WAV)', bytes: Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WAVEfmt ')]), expected: undefined },
    { name: 'a PNG signature cut short', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a]), expected: undefined },
    { name: 'a PNG signature with one wrong byte', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0b]), expected: undefined },
    { name: 'two bytes of JPEG', bytes: Buffer.from([0xff, 0xd8]), expected: undefined },
    { name: 'GIF', bytes: Buffer.from('GIF89a'), expected: undefined },
    { name: 'JSON', bytes: Buffer.from('{"error":"nope"}'), expected: undefined },
    { name: 'HTML', bytes: Buffer.from('<!DOCTYPE html><html>'), expected: undefined },
    { name: 'nothing', bytes: new Uint8Array(0), expected: undefined },
    { name: 'a RIFF header with no room for WEBP', bytes: Buffer.from('RIFF1234WEB'), expected: undefined },
  ];
  for (const { name, bytes, expected } of cases) {
    it(`${name} → ${expected?.mime ?? 'not an image'}`, () => assert.deepEqual(detectImageType(bytes), expected));
  }

  it('looks at the bytes of a view, not at its backing buffer', () => {
    const backing = Buffer.concat([Buffer.from('xx'), TINY_PNG]);
    assert.deepEqual(detectImageType(backing.subarray(2)), { mime: 'image/png', extension: 'png' });
  });
});

describe('describeBytes', () => {
  const cases: { name: string; bytes: Uint8Array; max?: number; expected: string }[] = [
    { name: 'short text as is', bytes: Buffer.from('{"error":"Invalid API key"}'), expected: '{"error":"Invalid API key"}' },
    { name: 'nothing', bytes: new Uint8Array(0), expected: '(empty)' },
    { name: 'line ends and tabs escaped', bytes: Buffer.from('a\r\nb\tc'), expected: 'a\\r\\nb\\tc' },
    { name: 'backslash doubled so escapes stay unambiguous', bytes: Buffer.from('a\\n'), expected: 'a\\\\n' },
    { name: 'control characters as \\xNN', bytes: Buffer.from([0x00, 0x41, 0x1b, 0x7f]), expected: '\\x00A\\x1b\\x7f' },
    { name: 'bytes that are not UTF-8 as \\xNN', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe]), expected: '\\x89PNG\\xff\\xfe' },
    { name: 'UTF-8 text kept readable', bytes: Buffer.from('松鼠 ok'), expected: '松鼠 ok' },
    { name: 'a multi-byte character cut at the end', bytes: Buffer.from('ab松').subarray(0, 4), expected: 'ab\\xe6\\x9d' },
    { name: 'long text cut at max characters with an ellipsis', bytes: Buffer.from('x'.repeat(200)), expected: `${'x'.repeat(80)}…` },
    { name: 'custom max', bytes: Buffer.from('abcdef'), max: 3, expected: 'abc…' },
    { name: 'exactly max characters: no ellipsis', bytes: Buffer.from('abc'), max: 3, expected: 'abc' },
    { name: 'max counts characters, not bytes', bytes: Buffer.from('松鼠松鼠'), max: 2, expected: '松鼠…' },
  ];
  for (const { name, bytes, max, expected } of cases) {
    it(name, () => assert.equal(describeBytes(bytes, max), expected));
  }

  it('never returns more than about max printable units for random binary input', () => {
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i += 1) random[i] = (i * 7919 + 13) % 256;
    const out = describeBytes(random);
    // Every unit is at most 4 characters (\xNN); 80 units plus the ellipsis.
    assert.ok(out.length <= 80 * 4 + 1, `too long: ${out.length}`);
    assert.ok(out.endsWith('…'));
    assert.doesNotMatch(out, /[\x00-\x1f\x7f]/);
  });
});
