/**
 * Base64Splicer: the long base64 values of a body are taken out at the byte level and decoded as they arrive,
 * whatever the chunking; the skeleton that flows on is the body with a placeholder in their place; everything
 * that is not a long base64 string passes through byte for byte; malformed base64 is reported, not crashed on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Base64Decoder, Base64Splicer, type SpliceOptions } from '../../src/core/gateway/base64Splice';
import { readSseEvents } from '../../src/core/gateway/sse';
import { GatewayError } from '../../src/core/errors';
import { cutAt } from '../support/chunks';

async function* chunksOf(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}


/** The skeleton as text, and the splicer that made it. */
async function spliced(body: Buffer, parts: Buffer[] = [body], options: Partial<SpliceOptions> = {}): Promise<{ text: string; splicer: Base64Splicer }> {
  const splicer = new Base64Splicer({ keys: { result: 'decode', partial_image_b64: 'keep' }, ...options });
  const out: Buffer[] = [];
  for await (const piece of splicer.splice(chunksOf(parts))) out.push(Buffer.from(piece));
  assert.equal(splicer.rawBytes, body.length);
  return { text: Buffer.concat(out).toString('utf8'), splicer };
}

/** A response body whose image item holds `result` written as it is (already JSON-escaped). */
function jsonBody(resultText: string, between = ':'): Buffer {
  return Buffer.from(
    `{"id":"resp_1","output":[{"type":"reasoning","summary":[]},{"type":"image_generation_call","status":"generating","result"${between}"${resultText}","size":"1024x1024"},` +
      `{"type":"message","content":[{"type":"output_text","text":"a \\"result\\":\\"quoted\\" word"}]}],"tools":[{"type":"image_generation"}]}`,
  );
}

function resultOf(text: string): string {
  const json = JSON.parse(text) as { output: { result?: string }[] };
  return json.output[1]?.result ?? '';
}

const image = randomBytes(30_000);
const base64 = image.toString('base64');

describe('Base64Splicer on a JSON body', () => {
  it('takes a long result out, leaves a placeholder, and decodes it exactly', async () => {
    const body = jsonBody(base64);
    const { text, splicer } = await spliced(body);
    assert.equal(text, body.toString().replace(base64, '<base64 #0>'));
    const value = splicer.take(resultOf(text));
    assert.ok(value);
    assert.equal(value.key, 'result');
    assert.equal(value.length, base64.length);
    assert.equal(value.head.toString('latin1'), base64.slice(0, 256));
    assert.deepEqual(Buffer.from(value.bytes()!), image);
    assert.equal(splicer.take(resultOf(text)), undefined, 'handed over once');
  });

  it('property: any chunking gives the same skeleton and the same bytes', async () => {
    const body = jsonBody(base64.replace(/\//g, '\\/'), ' : ');
    const whole = await spliced(body);
    const expected = Buffer.from(whole.splicer.take(resultOf(whole.text))!.bytes()!);
    assert.deepEqual(expected, image);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 60 }), async (cuts) => {
        const { text, splicer } = await spliced(body, cutAt(body, cuts));
        assert.equal(text, whole.text);
        assert.deepEqual(Buffer.from(splicer.take(resultOf(text))!.bytes()!), expected);
      }),
      { numRuns: 200 },
    );
  });

  it('property: random images, escapes, whitespace and chunkings all decode to the image', async () => {
    const arbitrary = fc.record({
      bytes: fc.uint8Array({ minLength: 3100, maxLength: 9000 }),
      escapeSlashes: fc.boolean(),
      lineBreakEvery: fc.option(fc.integer({ min: 10, max: 200 }), { nil: undefined }),
      dataUrl: fc.boolean(),
      cuts: fc.array(fc.nat(), { maxLength: 30 }),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ bytes, escapeSlashes, lineBreakEvery, dataUrl, cuts }) => {
        let text = Buffer.from(bytes).toString('base64');
        if (lineBreakEvery) text = text.replace(new RegExp(`(.{${lineBreakEvery}})`, 'g'), '$1\\n');
        if (escapeSlashes) text = text.replace(/\//g, '\\/');
        if (dataUrl) text = `data:image\\/png;base64,${text}`;
        const body = jsonBody(text);
        const { text: skeleton, splicer } = await spliced(body, cutAt(body, cuts));
        assert.equal(resultOf(skeleton), '<base64 #0>');
        assert.deepEqual(Buffer.from(splicer.take('<base64 #0>')!.bytes()!), Buffer.from(bytes));
      }),
      { numRuns: 150 },
    );
  });

  it('a body cut in two at every offset gives the same result', async () => {
    const small = randomBytes(3300); // 4400 base64 characters: just over the splice threshold
    const body = jsonBody(small.toString('base64').replace(/\//g, '\\/'), ': ');
    const reference = await spliced(body);
    for (let at = 0; at <= body.length; at++) {
      const { text, splicer } = await spliced(body, [body.subarray(0, at), body.subarray(at)]);
      assert.equal(text, reference.text, `cut at ${at}`);
      assert.deepEqual(Buffer.from(splicer.take(resultOf(text))!.bytes()!), small, `cut at ${at}`);
    }
  });

  it('one byte per chunk', async () => {
    const body = jsonBody(base64);
    const { text, splicer } = await spliced(body, [...body].map((b) => Buffer.from([b])));
    assert.deepEqual(Buffer.from(splicer.take(resultOf(text))!.bytes()!), image);
  });

  it('JSON escapes and whitespace are read as JSON.parse reads them', async () => {
    // Every character as JSON may write it: `\/`, `\u0041`, with escaped line breaks, tabs and spaces between.
    const escaped = [...base64]
      .map((c, i) => (c === '/' ? '\\/' : c === 'A' ? '\\u0041' : c) + (i % 76 === 75 ? '\\r\\n' : i % 50 === 49 ? ' \\t' : i % 333 === 0 ? '\\u0020' : ''))
      .join('');
    const body = jsonBody(` ${escaped} `);
    assert.equal(JSON.parse(body.toString()).output[1].result.replace(/\s+/g, ''), base64, 'the fixture is what it claims');
    const { text, splicer } = await spliced(body, cutAt(body, [5000, 5001, 5002, 5003, 5004, 5005, 20_000]));
    assert.deepEqual(Buffer.from(splicer.take(resultOf(text))!.bytes()!), image);
  });

  for (const [name, text] of [
    ['a short result', base64.slice(0, 1000)],
    ['a long value that is prose, not base64', `This is not an image. ${'words and more words, '.repeat(400)}`],
    ['a long URL', `https://cdn.example/${'a'.repeat(5000)}.png`],
  ] as const) {
    it(`${name} passes through byte for byte`, async () => {
      const body = jsonBody(text);
      const { text: skeleton, splicer } = await spliced(body, cutAt(body, [10, 100, 1000, 4500]));
      assert.equal(skeleton, body.toString());
      assert.equal(splicer.take(resultOf(skeleton)), undefined);
    });
  }

  it('values of other keys, and a result that is not a string, pass through', async () => {
    const body = Buffer.from(JSON.stringify({ b64: base64, result: 12, other: { result: null }, text: `"result":"${base64}` }));
    const { text } = await spliced(body);
    assert.equal(text, body.toString());
  });

  for (const [name, broken] of [
    ['an invalid character in the middle', `${base64.slice(0, 20_000)}$${base64.slice(20_001)}`],
    ['padding in the middle', `${base64.slice(0, 20_000)}==${base64.slice(20_000)}`],
    ['a non-ASCII character', `${base64.slice(0, 20_000)}é${base64.slice(20_001)}`],
    ['an escaped quote', `${base64.slice(0, 20_000)}\\"${base64.slice(20_001)}`],
    ['too much padding', `${base64.slice(0, 39_996)}A===`],
    ['an invalid lone last character', `${base64.slice(0, 39_996)}AAAA$`],
  ] as const) {
    it(`malformed base64 (${name}) is reported as not clean, not decoded as if it were`, async () => {
      const body = jsonBody(broken);
      const { text, splicer } = await spliced(body, cutAt(body, [7000, 20_040, 20_050]));
      const value = splicer.take(resultOf(text));
      assert.ok(value, 'taken out: it starts like base64');
      assert.equal(value.bytes(), undefined);
      assert.equal(value.head.toString('latin1', 0, 40), base64.slice(0, 40));
    });
  }

  it('a raw line end inside a long value leaves the JSON as broken as it came', async () => {
    const body = jsonBody(`${base64.slice(0, 10_000)}\n${base64.slice(10_000)}`);
    // Seen in one piece: the line end is found before the value is taken out, so all of it passes through.
    assert.equal((await spliced(body)).text, body.toString());
    // Seen after the value was taken out: the skeleton goes on from the line end, the value left unclosed.
    const { text, splicer } = await spliced(body, cutAt(body, [body.indexOf(base64) + 5000]));
    assert.throws(() => JSON.parse(text));
    assert.ok(text.includes(`"result":"<base64 #0>\n${base64.slice(10_000, 10_100)}`));
    assert.equal(splicer.take('<base64 #0>')?.bytes(), undefined);
  });

  it('a raw line end before the value is long enough: passed through untouched', async () => {
    const body = jsonBody(`${base64.slice(0, 1000)}\n${base64.slice(1000)}`);
    const { text } = await spliced(body);
    assert.equal(text, body.toString());
  });

  it('a body cut inside a value: the text read so far passes on as it came, or ends at the placeholder', async () => {
    const body = jsonBody(base64);
    const early = body.subarray(0, body.indexOf(base64) + 1000);
    assert.equal((await spliced(early)).text, early.toString());
    const late = body.subarray(0, body.indexOf(base64) + 20_000);
    const { text, splicer } = await spliced(late);
    assert.ok(text.endsWith('"result":"<base64 #0>'), text.slice(-40));
    assert.equal(splicer.take('<base64 #0>')?.bytes(), undefined, 'an unfinished value is never handed out as an image');
  });

  it('a data: URL prefix is skipped; a long value that only looks like one is left alone', async () => {
    const body = jsonBody(`data:image/png;base64,${base64}`);
    const { text, splicer } = await spliced(body);
    assert.deepEqual(Buffer.from(splicer.take(resultOf(text))!.bytes()!), image);
    const notData = jsonBody(`data:${'x'.repeat(300)};base64,${base64}`);
    assert.equal((await spliced(notData)).text, notData.toString());
  });

  it('maxTotalBytes and maxValueBytes fail with too_large', async () => {
    const body = jsonBody(base64);
    await assert.rejects(spliced(body, cutAt(body, [1000, 20_000]), { maxTotalBytes: body.length - 1 }), (err: unknown) => {
      return err instanceof GatewayError && err.kind === 'too_large' && /response is larger than/.test(err.message);
    });
    await spliced(body, [body], { maxTotalBytes: body.length });
    await assert.rejects(spliced(body, cutAt(body, [1000, 20_000]), { maxValueBytes: base64.length - 1 }), (err: unknown) => {
      return err instanceof GatewayError && err.kind === 'too_large' && /An image in the gateway's answer is larger than/.test(err.message);
    });
    await spliced(body, [body], { maxValueBytes: base64.length });
  });

  it('a size hint decodes into one buffer of that size, without joining pieces', async () => {
    const body = jsonBody(base64);
    const hint = Math.floor((body.length * 3) / 4) + 3;
    const { text, splicer } = await spliced(body, cutAt(body, [100, 5000, 9000, 30_000]), { sizeHint: hint });
    const bytes = splicer.take(resultOf(text))!.bytes()!;
    assert.deepEqual(Buffer.from(bytes), image);
    assert.equal(bytes.buffer.byteLength, hint);
    // Without one, a small first block grows; the bytes are the same.
    const grown = await spliced(body, cutAt(body, [100, 5000, 9000, 30_000]));
    assert.deepEqual(Buffer.from(grown.splicer.take(resultOf(grown.text))!.bytes()!), image);
  });
});

describe('Base64Splicer on an SSE stream', () => {
  const partial = randomBytes(9000);
  const final = randomBytes(12_000);
  function stream(): Buffer {
    const events = [
      { type: 'response.created', response: { id: 'r', output: [] } },
      { type: 'response.image_generation_call.partial_image', partial_image_index: 0, partial_image_b64: partial.toString('base64') },
      { type: 'response.output_item.done', item: { type: 'image_generation_call', result: final.toString('base64') } },
      { type: 'response.output_text.delta', delta: 'done' },
      { type: 'response.completed', response: { output: [{ type: 'image_generation_call', result: final.toString('base64') }] } },
    ];
    return Buffer.from(events.map((e) => `: keep-alive\r\n\r\nevent: ${e.type}\r\ndata: ${JSON.stringify(e)}\r\n\r\n`).join(''));
  }

  async function events(splicer: Base64Splicer, parts: Buffer[]): Promise<{ event?: string; data: string }[]> {
    const out: { event?: string; data: string }[] = [];
    for await (const event of readSseEvents(splicer.splice(chunksOf(parts)))) out.push(event);
    return out;
  }

  it('events keep their framing; each image is a placeholder; any chunking gives the same', async () => {
    const body = stream();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 40 }), async (cuts) => {
        const splicer = new Base64Splicer({ keys: { result: 'decode', partial_image_b64: 'keep' } });
        const seen = await events(splicer, cutAt(body, cuts));
        assert.deepEqual(
          seen.map((e) => e.event),
          ['response.created', 'response.image_generation_call.partial_image', 'response.output_item.done', 'response.output_text.delta', 'response.completed'],
        );
        const [, p, done, , completed] = seen.map((e) => JSON.parse(e.data) as Record<string, unknown>);
        assert.equal(p?.partial_image_b64, '<base64 #0>');
        assert.deepEqual((done?.item as { result: string }).result, '<base64 #1>');
        assert.ok(seen.every((e) => e.data.length < 300), 'no event carries the base64 any more');
        const kept = splicer.take('<base64 #0>')!;
        assert.equal(kept.key, 'partial_image_b64');
        assert.deepEqual(Buffer.from(kept.bytes()!), partial);
        assert.deepEqual(Buffer.from(splicer.take('<base64 #1>')!.bytes()!), final);
        assert.deepEqual(Buffer.from(splicer.take('<base64 #2>')!.bytes()!), final);
        assert.ok(completed);
      }),
      { numRuns: 150 },
    );
  });

  it('drop: the value is taken out but not kept', async () => {
    const splicer = new Base64Splicer({ keys: { result: 'decode', partial_image_b64: 'drop' } });
    await events(splicer, cutAt(stream(), [3000, 9000]));
    assert.equal(splicer.take('<base64 #0>'), undefined);
    assert.ok(splicer.take('<base64 #1>'));
  });

  it('previews, even dropped ones, size the buffer the final image is decoded into: one allocation, no joining', async () => {
    for (const action of ['drop', 'keep'] as const) {
      const splicer = new Base64Splicer({ keys: { result: 'decode', partial_image_b64: action } });
      await events(splicer, cutAt(stream(), [3000, 9000, 20_000]));
      const bytes = splicer.take('<base64 #1>')!.bytes()!;
      assert.deepEqual(Buffer.from(bytes), final);
      // 9000 decoded bytes of preview, a quarter more and 64 KiB of room.
      assert.equal(bytes.buffer.byteLength, Math.ceil(partial.length * 1.25) + 64 * 1024, action);
    }
  });

  it('stopKeeping drops the value being read and every later one; releaseThrough forgets an event', async () => {
    const splicer = new Base64Splicer({ keys: { result: 'decode', partial_image_b64: 'keep' } });
    const body = stream();
    // Stop in the middle of the repeated image: it was already being read when the caller had what it needed.
    const middleOfRepeat = body.lastIndexOf('"result":"') + 5000;
    const iterator = splicer.splice(chunksOf(cutAt(body, [middleOfRepeat])))[Symbol.asyncIterator]();
    await iterator.next();
    splicer.stopKeeping();
    while (!(await iterator.next()).done);
    assert.equal(splicer.take('<base64 #1>'), undefined);
    assert.equal(splicer.take('<base64 #2>'), undefined);

    const again = new Base64Splicer({ keys: { result: 'decode', partial_image_b64: 'keep' } });
    await events(again, [body]);
    again.releaseThrough('{"x":"<base64 #0>","y":"<base64 #1>"}');
    assert.equal(again.take('<base64 #0>'), undefined);
    assert.equal(again.take('<base64 #1>'), undefined);
    assert.ok(again.take('<base64 #2>'), 'a later event keeps its value');
  });

  it('after stopKeeping, the event that repeats the image arrives as a small skeleton, its usage intact, the copy never decoded', async () => {
    // response.completed repeats the image before its usage (gateway.md §6.2): the usage must still be read.
    const usage = { input_tokens: 2941, input_tokens_details: { cached_tokens: 1920 }, output_tokens: 1249, total_tokens: 4190 };
    const withUsage = Buffer.from(
      stream()
        .toString('latin1')
        .replace(/"type":"response.completed","response":\{"output":(\[[^\]]*\])\}/, `"type":"response.completed","response":{"output":$1,"usage":${JSON.stringify(usage)}}`),
      'latin1',
    );
    assert.ok(withUsage.includes('"usage"'));
    for (const size of [1, 1000, 7000]) {
      const parts = cutAt(withUsage, Array.from({ length: Math.ceil(withUsage.length / size) }, (_, i) => i * size));
      const splicer = new Base64Splicer({ keys: { result: 'decode', partial_image_b64: 'keep' } });
      let completed: { event?: string; data: string } | undefined;
      for await (const event of readSseEvents(splicer.splice(chunksOf(parts)))) {
        if (event.event === 'response.output_item.done') {
          const image = splicer.take((JSON.parse(event.data) as { item: { result: string } }).item.result)!;
          assert.deepEqual(Buffer.from(image.bytes()!), final);
          splicer.stopKeeping();
        }
        if (event.event === 'response.completed') completed = event;
      }
      assert.ok(completed, `pieces of ${size}`);
      assert.ok(completed.data.length < 300, `pieces of ${size}: the repeated image is not in the event (${completed.data.length} chars)`);
      const response = (JSON.parse(completed.data) as { response: { output: { result: string }[]; usage: unknown } }).response;
      assert.deepEqual(response.usage, usage);
      assert.equal(splicer.take(response.output[0]!.result), undefined, 'the copy was dropped, not kept');
    }
  });

  it('values split over many tiny chunks and kept as text are joined without one object per chunk', async () => {
    const splicer = new Base64Splicer({ keys: { result: 'decode', partial_image_b64: 'keep' } });
    const body = stream();
    await events(splicer, [...body].map((b) => Buffer.from([b])));
    assert.deepEqual(Buffer.from(splicer.take('<base64 #0>')!.bytes()!), partial);
  });
});

describe('Base64Decoder', () => {
  const cases: [string, string, boolean][] = [
    ['padded', 'QUJDRA==', true],
    ['unpadded', 'QUJDRA', true],
    ['one pad', 'QUJDREU=', true],
    ['URL-safe alphabet', 'QUJD-_8', true],
    ['lone valid last character (ignored, as the text path does)', 'QUJDR', true],
    ['lone invalid last character', 'QUJD$', false],
    ['invalid character', 'QU$JDRA=', false],
    ['padding in the middle', 'QQ==QUJD', false],
    ['three pads', 'QUJDR===', false],
    ['non-ASCII', 'QUJD\u00e9UJD', false],
    ['empty', '', true],
  ];
  for (const [name, text, clean] of cases) {
    it(`${name}: ${clean ? 'clean' : 'not clean'}, in pieces of every size`, () => {
      for (let size = 1; size <= Math.max(1, text.length); size++) {
        const decoder = new Base64Decoder(4);
        const bytes = Buffer.from(text, 'latin1');
        for (let i = 0; i < bytes.length; i += size) decoder.push(bytes.subarray(i, i + size));
        const result = decoder.finish();
        assert.equal(result.clean, clean, `pieces of ${size}`);
        if (clean) assert.deepEqual(result.bytes, Buffer.from(text, 'base64'));
      }
    });
  }
});
