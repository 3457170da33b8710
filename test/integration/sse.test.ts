import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { abortableChunks, readSseEvents, tooLargeError, type SseEvent } from '../../src/core/gateway/sse';
import { GatewayError } from '../../src/core/errors';
import { cutAt } from '../support/chunks';

async function* chunksOf(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
}

async function collect(body: AsyncIterable<Uint8Array>, options?: Parameters<typeof readSseEvents>[1]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSseEvents(body, options)) events.push(event);
  return events;
}

function isKind(kind: string) {
  return (err: unknown) => err instanceof GatewayError && err.kind === kind;
}

/** A source that yields its parts and then hangs forever, recording whether it was closed. */
function stalledSource(parts: string[]) {
  const state = { returned: false };
  const iterable: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        next(): Promise<IteratorResult<Uint8Array>> {
          if (i < parts.length) return Promise.resolve({ done: false, value: Buffer.from(parts[i++] ?? '') });
          return new Promise(() => undefined);
        },
        return(): Promise<IteratorResult<Uint8Array>> {
          state.returned = true;
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
  return { iterable, state };
}

describe('readSseEvents', () => {
  it('reads named events and their data, as the gateway sends them', async () => {
    const events = await collect(
      chunksOf(
        'event: response.created\ndata: {"type":"response.created"}\n\n',
        'event: response.completed\ndata: {"type":"response.completed"}\n\n',
      ),
    );
    assert.deepEqual(events, [
      { event: 'response.created', data: '{"type":"response.created"}' },
      { event: 'response.completed', data: '{"type":"response.completed"}' },
    ]);
  });

  it('leaves event undefined when the stream has only data lines', async () => {
    assert.deepEqual(await collect(chunksOf('data: {"a":1}\n\n')), [{ data: '{"a":1}' }]);
  });

  it('ignores comments (": keep-alive") and id/retry fields', async () => {
    const events = await collect(chunksOf(': keep-alive\n\n', 'id: 7\nretry: 1000\ndata: x\n\n', ':another\n\n'));
    assert.deepEqual(events, [{ data: 'x' }]);
  });

  it('joins multi-line data with \\n', async () => {
    assert.deepEqual(await collect(chunksOf('data: line 1\ndata: line 2\n\n')), [{ data: 'line 1\nline 2' }]);
  });

  for (const [name, eol] of [
    ['CRLF', '\r\n'],
    ['CR', '\r'],
    ['LF', '\n'],
  ] as const) {
    it(`handles ${name} line ends`, async () => {
      const text = `event: a${eol}data: 1${eol}${eol}: c${eol}${eol}event: b${eol}data: 2${eol}${eol}`;
      assert.deepEqual(await collect(chunksOf(text)), [
        { event: 'a', data: '1' },
        { event: 'b', data: '2' },
      ]);
    });
  }

  it('handles a CRLF split between two chunks without seeing a blank line', async () => {
    assert.deepEqual(await collect(chunksOf('data: a\r', '\ndata: b\r\n\r\n')), [{ data: 'a\nb' }]);
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const bytes = Buffer.from('data: 松鼠🐿️\n\n', 'utf8');
    // Cut inside the first CJK character and inside the emoji.
    const events = await collect(chunksOf(bytes.subarray(0, 7), bytes.subarray(7, 14), bytes.subarray(14)));
    assert.deepEqual(events, [{ data: '松鼠🐿️' }]);
  });

  it('delivers a last event whose blank line is missing but whose line is complete', async () => {
    assert.deepEqual(await collect(chunksOf('data: first\n\ndata: last\n')), [{ data: 'first' }, { data: 'last' }]);
    assert.deepEqual(await collect(chunksOf('data: first\r\n\r\ndata: last\r')), [{ data: 'first' }, { data: 'last' }]);
  });

  it('drops a last line that was cut off mid-way (no line end)', async () => {
    assert.deepEqual(await collect(chunksOf('data: first\n\ndata: {"type":"response.compl')), [{ data: 'first' }]);
  });

  it('yields events as they arrive, before the stream ends', async () => {
    const { iterable } = stalledSource(['data: one\n\n']);
    const iterator = readSseEvents(iterable)[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { done: false, value: { data: 'one' } });
  });

  it('fails with too_large once more than maxBytes arrived', async () => {
    const big = `data: ${'x'.repeat(100)}\n\n`;
    await assert.rejects(collect(chunksOf(big, big, big), { maxBytes: 250 }), (err: unknown) => {
      return err instanceof GatewayError && err.kind === 'too_large' && /250 bytes limit/.test(err.message);
    });
    // Exactly at the cap is still fine.
    const events = await collect(chunksOf(big, big), { maxBytes: big.length * 2 });
    assert.equal(events.length, 2);
  });

  it('maxEventBytes bounds one event, not the stream: many events may add up to more', async () => {
    const event = `data: ${'x'.repeat(100)}\n\n`; // 108 bytes
    const bytes = (text: string) => [...Buffer.from(text)].map((b) => Uint8Array.of(b));
    // Ten events, 1080 bytes, under a 108-byte cap: each event is within it.
    assert.equal((await collect(chunksOf(...bytes(event.repeat(10))), { maxEventBytes: 108 })).length, 10);
    // One event well over it is refused (the chunk that completes an event restarts the count, so the bound is
    // exact to within a chunk).
    const bigger = `data: ${'x'.repeat(110)}\n\n`;
    await assert.rejects(collect(chunksOf(...bytes(event + bigger + event)), { maxEventBytes: 108 }), (err: unknown) => {
      return err instanceof GatewayError && err.kind === 'too_large' && /An event of the gateway's stream is larger than the 108 bytes limit/.test(err.message);
    });
    // Comments count towards the event they precede: an endless comment is bounded too.
    await assert.rejects(collect(chunksOf(...bytes(`: ${'k'.repeat(200)}\n`)), { maxEventBytes: 108 }), isKind('too_large'));
  });

  it('fails with cancelled when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(collect(chunksOf('data: x\n\n'), { signal: controller.signal }), isKind('cancelled'));
  });

  it('fails with cancelled at once when aborted while the source is stalled, and closes the source', async () => {
    const { iterable, state } = stalledSource(['data: one\n\n', 'data: partial']);
    const controller = new AbortController();
    const seen: SseEvent[] = [];
    const run = (async () => {
      for await (const event of readSseEvents(iterable, { signal: controller.signal })) {
        seen.push(event);
        // Abort once the first event is in; the source then hangs forever.
        setImmediate(() => controller.abort());
      }
    })();
    await assert.rejects(run, isKind('cancelled'));
    assert.deepEqual(seen, [{ data: 'one' }]);
    assert.equal(state.returned, true);
  });

  it('stops between events when aborted by the consumer', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of readSseEvents(chunksOf('data: 1\n\ndata: 2\n\ndata: 3\n\n'), { signal: controller.signal })) {
          seen.push(event.data);
          controller.abort();
        }
      })(),
      isKind('cancelled'),
    );
    assert.deepEqual(seen, ['1']);
  });

  describe('property: any chunking of a valid stream yields the same events', () => {
    const eventName = fc.stringMatching(/^[a-z][a-z._]{0,20}$/);
    // Data lines: any text without line breaks (including CJK and emoji), possibly starting with spaces.
    const dataLine = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' '));
    const event = fc.record({ event: fc.option(eventName, { nil: undefined }), lines: fc.array(dataLine, { minLength: 1, maxLength: 3 }) });
    const stream = fc.record({
      events: fc.array(event, { maxLength: 8 }),
      eol: fc.constantFrom('\n', '\r\n', '\r'),
      comments: fc.array(fc.boolean(), { maxLength: 8 }),
      finalBlankLine: fc.boolean(),
    });

    function serialize(s: { events: { event?: string; lines: string[] }[]; eol: string; comments: boolean[]; finalBlankLine: boolean }): string {
      let out = '';
      s.events.forEach((e, i) => {
        if (s.comments[i]) out += `: keep-alive${s.eol}${s.eol}`;
        if (e.event !== undefined) out += `event: ${e.event}${s.eol}`;
        for (const line of e.lines) out += `data: ${line}${s.eol}`;
        if (i < s.events.length - 1 || s.finalBlankLine) out += s.eol;
      });
      return out;
    }

    function expected(s: { events: { event?: string; lines: string[] }[] }): SseEvent[] {
      return s.events.map((e) => (e.event === undefined ? { data: e.lines.join('\n') } : { event: e.event, data: e.lines.join('\n') }));
    }


    it('holds for random streams and random byte-level cuts', async () => {
      await fc.assert(
        fc.asyncProperty(stream, fc.array(fc.nat(), { maxLength: 40 }), async (s, cuts) => {
          const bytes = Buffer.from(serialize(s), 'utf8');
          const whole = await collect(chunksOf(bytes));
          const chunked = await collect(chunksOf(...cutAt(bytes, cuts)));
          assert.deepEqual(whole, expected(s));
          assert.deepEqual(chunked, whole);
        }),
        { numRuns: 300 },
      );
    });

    it('holds when every byte is its own chunk', async () => {
      await fc.assert(
        fc.asyncProperty(stream, async (s) => {
          const bytes = Buffer.from(serialize(s), 'utf8');
          const single = await collect(chunksOf(...[...bytes].map((b) => Uint8Array.of(b))));
          assert.deepEqual(single, expected(s));
        }),
        { numRuns: 100 },
      );
    });
  });
});

describe('readSseEvents over a real HTTP response', () => {
  const servers: http.Server[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('reads events that the server writes in odd pieces with pauses, CRLF and keep-alives', async () => {
    const pieces = ['event: response.cre', 'ated\r\ndata: {"n":1}\r', '\n\r\n: keep-alive\r\n\r\n', Buffer.from('data: {"t":"松'), '鼠"}\r\n\r\n'];
    const server = http.createServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of pieces) {
        // Wait until the previous piece was handed to the socket, so each goes out as its own write.
        await new Promise<void>((resolve) => res.write(piece, () => resolve()));
        await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', agent: false }, resolve).on('error', reject);
    });
    const events = await collect(response);
    assert.deepEqual(events, [
      { event: 'response.created', data: '{"n":1}' },
      { data: '{"t":"松鼠"}' },
    ]);
  });
});

describe('abortableChunks', () => {
  it('passes chunks through unchanged and finishes with the source', async () => {
    const out: string[] = [];
    for await (const chunk of abortableChunks(chunksOf('a', 'b'), undefined)) out.push(Buffer.from(chunk).toString());
    assert.deepEqual(out, ['a', 'b']);
  });

  it('closes the source when the consumer stops early', async () => {
    const { iterable, state } = stalledSource(['a', 'b']);
    for await (const chunk of abortableChunks(iterable, new AbortController().signal)) {
      assert.equal(Buffer.from(chunk).toString(), 'a');
      break;
    }
    assert.equal(state.returned, true);
  });
});

describe('tooLargeError', () => {
  const cases: [number, RegExp][] = [
    [64 * 1024 * 1024, /larger than the 64 MiB limit/],
    [1024 * 1024, /larger than the 1 MiB limit/],
    [1.5 * 1024 * 1024, /larger than the 1\.5 MiB limit/],
    [250, /larger than the 250 bytes limit/],
  ];
  for (const [bytes, pattern] of cases) {
    it(`${bytes} bytes`, () => {
      const err = tooLargeError(bytes);
      assert.equal(err.kind, 'too_large');
      assert.match(err.message, pattern);
    });
  }
});

describe('the abort signal does not collect a listener per read (issue 10, planted bug: the listener left behind)', () => {
  const reads = 2000;
  /** A source of `reads` one-event chunks that records how many abort listeners the signal has at each read. */
  function countingSource(signal: AbortSignal, seen: number[]): AsyncIterable<Uint8Array> {
    return (async function* () {
      for (let i = 0; i < reads; i++) {
        seen.push(getEventListeners(signal, 'abort').length);
        yield new TextEncoder().encode(`data: ${i}\n\n`);
      }
    })();
  }

  it(`readSseEvents over ${reads} chunks: at most one listener at any read, none once the stream ended`, async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    let events = 0;
    for await (const event of readSseEvents(countingSource(controller.signal, seen), { signal: controller.signal })) {
      assert.equal(event.data, String(events));
      events += 1;
    }
    assert.equal(events, reads);
    assert.equal(seen.length, reads);
    assert.equal(Math.max(...seen), 1, `listeners at the reads: first ${seen.slice(0, 3).join(', ')} … last ${seen.slice(-3).join(', ')}`);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'no listener left after the end');
  });

  it('abortableChunks stopped early by the consumer leaves no listener behind', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    let taken = 0;
    for await (const chunk of abortableChunks(countingSource(controller.signal, seen), controller.signal)) {
      assert.ok(chunk.byteLength > 0);
      taken += 1;
      if (taken === 500) break;
    }
    assert.equal(Math.max(...seen), 1);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});
