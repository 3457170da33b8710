/**
 * The bounds of a streamed answer (issue 9, item 2): what is kept of the model's text and of finished items, the
 * per-event cap, and the stream budget that ends an endless stream (quietly when the image is already in hand).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  FinishedItems,
  MAX_EVENT_BYTES,
  MAX_MODEL_TEXT_CHARS,
  StreamBudget,
  TextPrefix,
  eventByteLimit,
  eventTooLargeError,
  itemText,
  streamByteBudget,
} from '../../src/core/gateway/answerBounds';
import { GatewayError } from '../../src/core/errors';
import { readSseEvents } from '../../src/core/gateway/sse';

const MIB = 1024 * 1024;
const KEY = 'sk-CANARY-7f3a9c1e5b';

async function* chunks(count: number, size: number): AsyncGenerator<Uint8Array> {
  const chunk = new Uint8Array(size);
  for (let i = 0; i < count; i++) yield chunk;
}

describe('answerBounds: the limits', () => {
  it('one event: 4 MiB, or maxResponseMiB when smaller; the stream: 4 × maxResponseMiB + 16 MiB', () => {
    assert.equal(MAX_EVENT_BYTES, 4 * MIB);
    assert.equal(eventByteLimit(64 * MIB), 4 * MIB);
    assert.equal(eventByteLimit(1 * MIB), 1 * MIB);
    assert.equal(streamByteBudget(64 * MIB), 272 * MIB);
    assert.equal(streamByteBudget(1 * MIB), 20 * MIB);
    assert.equal(MAX_MODEL_TEXT_CHARS, 64 * 1024);
  });

  it('an SSE event over the cap fails with too_large and a message that does not send the user to maxResponseMiB', async () => {
    const body = (async function* () {
      yield Buffer.from(`data: ${'x'.repeat(3000)}`);
      yield Buffer.from('y'.repeat(3000));
    })();
    await assert.rejects(
      async () => {
        for await (const _ of readSseEvents(body, { maxEventBytes: 4096, eventTooLarge: eventTooLargeError })) void _;
      },
      (err: unknown) =>
        err instanceof GatewayError &&
        err.kind === 'too_large' &&
        /An event of the gateway's stream is larger than the 4096 bytes limit for one event/.test(err.message) &&
        !/maxResponse/.test(err.message),
    );
  });
});

describe('answerBounds: StreamBudget', () => {
  it('passes a body under the budget unchanged and counts it', async () => {
    const budget = new StreamBudget(1 * MIB);
    let seen = 0;
    for await (const chunk of budget.count(chunks(10, 1024))) seen += chunk.byteLength;
    assert.equal(seen, 10 * 1024);
    assert.equal(budget.read, 10 * 1024);
    assert.equal(budget.exceeded, false);
  });

  it('past the budget: too_large naming the budget and how it is made, and the source is closed', async () => {
    const budget = new StreamBudget(1 * MIB);
    let closed = false;
    const source = (async function* () {
      try {
        for (;;) yield new Uint8Array(64 * 1024);
      } finally {
        closed = true;
      }
    })();
    await assert.rejects(
      async () => {
        for await (const _ of budget.count(source)) void _;
      },
      (err: unknown) =>
        err instanceof GatewayError &&
        err.kind === 'too_large' &&
        /stream went past 20 MiB in all \(4 × the 1 MiB response size limit \+ 16 MiB\) without an image/.test(err.message),
    );
    assert.equal(budget.exceeded, true);
    assert.ok(budget.read > 20 * MIB && budget.read <= 20 * MIB + 64 * 1024);
    assert.equal(closed, true, 'the source (the socket) is closed');
  });

  it('past the budget with the result in hand: the body just ends, exceeded says why', async () => {
    const budget = new StreamBudget(1 * MIB, () => true);
    let seen = 0;
    for await (const chunk of budget.count(chunks(1000, 64 * 1024))) seen += chunk.byteLength;
    assert.equal(seen, 20 * MIB);
    assert.equal(budget.exceeded, true);
  });
});

describe('answerBounds: TextPrefix', () => {
  it('keeps the first 64 KiB of a flood of pieces and counts the rest', () => {
    const text = new TextPrefix();
    const piece = 'abcdefgh'.repeat(1024);
    for (let i = 0; i < 10_000; i++) text.add(piece);
    assert.equal(text.open, false);
    assert.equal(text.truncated, true);
    const kept = text.text();
    assert.equal(kept.length, MAX_MODEL_TEXT_CHARS);
    assert.equal(kept, piece.repeat(8));
  });

  it('add returns the part that was kept (what may be shown live)', () => {
    const text = new TextPrefix(10);
    assert.equal(text.add('hello '), 'hello ');
    assert.equal(text.add('world!'), 'worl');
    assert.equal(text.add('more'), '');
    assert.equal(text.text(), 'hello worl');
  });

  it('redacts a key that spans two pieces', () => {
    const text = new TextPrefix();
    text.add(`the key is ${KEY.slice(0, 7)}`);
    text.add(`${KEY.slice(7)} ok`);
    assert.equal(text.text([KEY]), 'the key is [REDACTED] ok');
  });

  it('a key cut by the limit leaves no piece of itself behind', () => {
    for (let cut = 1; cut < KEY.length; cut++) {
      const text = new TextPrefix(20 + cut);
      text.add(`${'x'.repeat(20)}${KEY} and more`);
      const kept = text.text([KEY]);
      assert.equal(kept, 'x'.repeat(20), `cut after ${cut} characters of the key: ${kept}`);
    }
  });

  it('a text that was not cut keeps an ending that merely looks like the start of a key', () => {
    const text = new TextPrefix();
    text.add('ends with sk-');
    assert.equal(text.text([KEY]), 'ends with sk-');
  });
});

describe('answerBounds: FinishedItems', () => {
  const message = (text: string) => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });

  it('keeps only the text of message items (refusals too), as one message item', () => {
    const items = new FinishedItems();
    assert.deepEqual(items.output(), []);
    items.add({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking' }] });
    items.add(message('first'));
    items.add({ type: 'message', content: [{ type: 'refusal', refusal: 'no' }] });
    items.add({ type: 'web_search_call' });
    assert.deepEqual(items.output(), [message('first\nno')]);
  });

  it('a flood of items keeps 64 KiB of text', () => {
    const items = new FinishedItems();
    const item = message('m'.repeat(16 * 1024));
    for (let i = 0; i < 5_000; i++) items.add(item);
    const text = itemText(items.output()[0]);
    assert.ok(text.length <= MAX_MODEL_TEXT_CHARS && text.length > MAX_MODEL_TEXT_CHARS - 16, String(text.length));
  });

  it('the kept text is redacted', () => {
    const items = new FinishedItems();
    items.add(message(`key ${KEY}`));
    assert.deepEqual(items.output([KEY]), [message('key [REDACTED]')]);
  });
});
