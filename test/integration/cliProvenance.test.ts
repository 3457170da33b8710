/**
 * Provenance in the saved file, through the built CLI against the test gateway (issue 12 item 4): the saved PNG's
 * iTXt holds the prompt (the gateway's bytes kept, only chunks added), --no-metadata writes none, WebP and JPEG carry
 * an XMP packet with it. The files are read with test-side walkers, independent of src/core.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliTestBed } from '../support/cliTestBed';
import { checkPng, checkWebp } from '../gateway/inspect';

/** keyword → text of every uncompressed iTXt chunk. */
function pngITxt(bytes: Buffer): Map<string, string> {
  const found = new Map<string, string>();
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (type === 'iTXt') {
      const data = bytes.subarray(at + 8, at + 8 + length);
      const keyEnd = data.indexOf(0);
      const language = data.indexOf(0, keyEnd + 3);
      const translated = data.indexOf(0, language + 1);
      assert.equal(data[keyEnd + 1], 0, 'uncompressed');
      found.set(data.toString('latin1', 0, keyEnd), data.toString('utf8', translated + 1));
    }
    at += 12 + length;
  }
  return found;
}

describe('CLI: provenance in the saved file', () => {
  const prompt = 'a lighthouse </x:xmpmeta> & "friends"';
  const bed = cliTestBed('prov');

  async function run(args: string[]) {
    const url = bed.gw.scenarioUrl('ignores-size');
    return { ...(await bed.run(url, ['--prompt', prompt, '--no-size-in-prompt', ...args])), url };
  }

  it('the saved PNG (kept as the gateway sent it) has iTXt chunks with the prompt, model, date, software and settings', async () => {
    const r = await run(['--output', 'out/tower.png', '--model', 'gpt-5.4']);
    assert.equal(r.code, 0, r.stderr);
    const bytes = await readFile(join(r.cwd, 'out/tower.png'));
    assert.deepEqual(checkPng(bytes), { width: 1536, height: 1024 }, 'every CRC valid, the image intact');
    const text = pngITxt(bytes);
    assert.equal(text.get('prompt'), prompt);
    assert.equal(text.get('model'), 'gpt-5.4');
    assert.match(text.get('created') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(text.get('software') ?? '', /^CPA GPT Image CLI /);
    const settings = JSON.parse(text.get('settings') ?? '{}') as Record<string, unknown>;
    assert.equal(settings.outputFormat, 'png');
    assert.equal(settings.fit, 'crop');
    // The gateway's own bytes are all still there: only chunks were added before IEND.
    const delivered = bed.gw.imageFor(r.url);
    assert.ok(bytes.length > delivered.length);
    assert.ok(bytes.subarray(0, 33).equals(delivered.subarray(0, 33)), 'signature and IHDR unchanged');
  });

  it('--no-metadata writes no iTXt chunk: the file is the gateway\'s bytes', async () => {
    const r = await run(['--output', 'out/tower.png', '--no-metadata']);
    assert.equal(r.code, 0, r.stderr);
    const bytes = await readFile(join(r.cwd, 'out/tower.png'));
    assert.equal(pngITxt(bytes).size, 0);
    assert.ok(bytes.equals(bed.gw.imageFor(r.url)));
  });

  it('--save-format webp: a valid WebP with an XMP chunk and the VP8X XMP flag', async () => {
    const r = await run(['--output', 'out/tower.webp', '--save-format', 'webp', '--max-width', '300']);
    assert.equal(r.code, 0, r.stderr);
    const bytes = await readFile(join(r.cwd, 'out/tower.webp'));
    assert.deepEqual(checkWebp(bytes), { width: 300, height: 200 });
    assert.equal(bytes.toString('latin1', 12, 16), 'VP8X');
    assert.equal(bytes[20]! & 0x04, 0x04);
    const xmp = bytes.indexOf('XMP ');
    assert.ok(xmp > 0);
    const packet = bytes.toString('utf8', xmp + 8, xmp + 8 + bytes.readUInt32LE(xmp + 4));
    assert.ok(packet.includes('<rdf:li xml:lang="x-default">a lighthouse &lt;/x:xmpmeta&gt; &amp; "friends"</rdf:li>'), packet);
    assert.match(packet, /<xmp:CreatorTool>CPA GPT Image CLI [^<]+<\/xmp:CreatorTool>/);
    assert.equal(packet.split('</x:xmpmeta>').length, 2, 'the prompt did not end the packet');
  });

  it('--save-format jpeg: an XMP APP1 segment right after APP0', async () => {
    const r = await run(['--output', 'out/tower.jpg', '--save-format', 'jpeg', '--max-width', '300']);
    assert.equal(r.code, 0, r.stderr);
    const bytes = await readFile(join(r.cwd, 'out/tower.jpg'));
    assert.deepEqual([bytes[0], bytes[1], bytes[2], bytes[3]], [0xff, 0xd8, 0xff, 0xe0]);
    const app1 = 4 + bytes.readUInt16BE(4);
    assert.deepEqual([bytes[app1], bytes[app1 + 1]], [0xff, 0xe1]);
    const header = 'http://ns.adobe.com/xap/1.0/\0';
    assert.equal(bytes.toString('latin1', app1 + 4, app1 + 4 + header.length), header);
    const packet = bytes.toString('utf8', app1 + 4 + header.length, app1 + 2 + bytes.readUInt16BE(app1 + 2));
    assert.ok(packet.includes('a lighthouse &lt;/x:xmpmeta&gt; &amp; "friends"'));
  });
});
