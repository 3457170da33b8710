/**
 * Token usage (issue 13 item 6): every real shape of gateway.md is read (the non-stream envelope of §6.1 with the
 * image tool's `tool_usage.image_gen`, the recorded `response.completed` of §6.2, the Images API's details), hostile
 * values are left out without a throw, stored usage reads back with the same bounds, and a usage in a
 * `response.completed` that repeats the image's base64 is read whatever the chunking, without the copy being decoded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_TOKENS, addToTally, emptyTally, imageTokens, parseStoredUsage, readTokenUsage, usageTotal } from '../../src/core/gateway/usage';
import { StreamEventReader, readJsonAnswer } from '../../src/core/gateway/responseEvents';
import type { HttpResponse } from '../../src/core/gateway/transport';
import type { GatewaySettings } from '../../src/core/types';
import { nullLogger } from '../../src/core/logger';
import { makePng } from '../gateway/images';
import { cutAt } from '../support/chunks';

/** §6.1: the ChatGPT/Codex backend relayed by CPA (usage and tool_usage.image_gen, as the test gateway sends them). */
const CCSWITCH = {
  id: 'resp_0894',
  object: 'response',
  status: 'completed',
  tool_usage: { image_gen: { input_tokens: 49, output_tokens: 272, total_tokens: 321 } },
  usage: { input_tokens: 1200, input_tokens_details: { cached_tokens: 0 }, output_tokens: 80, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1280 },
};

/** §6.2: the recorded `response.completed` of the OpenAI platform (no tool_usage). */
const PLATFORM_COMPLETED = {
  type: 'response.completed',
  sequence_number: 15,
  response: {
    id: 'resp_0df9',
    object: 'response',
    status: 'completed',
    output: [],
    usage: { input_tokens: 2941, input_tokens_details: { cached_tokens: 1920 }, output_tokens: 1249, output_tokens_details: { reasoning_tokens: 1024 }, total_tokens: 4190 },
  },
};

/** The Images API's usage (openai-python `ImagesResponse.Usage`): input split into text and image tokens. */
const IMAGES_API = {
  created: 1,
  data: [],
  usage: { input_tokens: 50, input_tokens_details: { image_tokens: 40, text_tokens: 10 }, output_tokens: 4160, total_tokens: 4210 },
};

describe('readTokenUsage: the real shapes', () => {
  it('the non-stream envelope: the answer counts and the image tool counts apart', () => {
    const usage = readTokenUsage(CCSWITCH);
    assert.deepEqual(usage, {
      input: 1200,
      output: 80,
      total: 1280,
      inputDetails: { cached: 0 },
      outputDetails: { reasoning: 0 },
      imageTool: { input: 49, output: 272, total: 321 },
    });
    assert.equal(usageTotal(usage), 1280 + 321, 'the image tool is billed apart from the text model');
    assert.equal(imageTokens(usage), 321);
  });

  it('the recorded response.completed event, read from the event or from its response', () => {
    const expected = { input: 2941, output: 1249, total: 4190, inputDetails: { cached: 1920 }, outputDetails: { reasoning: 1024 } };
    assert.deepEqual(readTokenUsage(PLATFORM_COMPLETED), expected);
    assert.deepEqual(readTokenUsage(PLATFORM_COMPLETED.response), expected);
    assert.equal(usageTotal(expected), 4190);
    assert.equal(imageTokens(expected), undefined, 'no image tokens reported');
  });

  it('the Images API: image tokens from the details', () => {
    const usage = readTokenUsage(IMAGES_API);
    assert.deepEqual(usage, { input: 50, output: 4160, total: 4210, inputDetails: { image: 40, text: 10 } });
    assert.equal(imageTokens(usage), 40);
    assert.equal(imageTokens({ outputDetails: { image: 4160 }, inputDetails: { image: 40 } }), 4160, 'output image tokens first');
  });

  it('only the image tool reported, or a total missing: what is known is used', () => {
    const toolOnly = readTokenUsage({ usage: null, tool_usage: { image_gen: { input_tokens: 49, output_tokens: 272 } } });
    assert.deepEqual(toolOnly, { imageTool: { input: 49, output: 272 } });
    assert.equal(usageTotal(toolOnly), 321, 'input + output when no total is given');
    assert.equal(usageTotal({ input: 5 }), 5);
  });

  it('no usage: undefined (in_progress events carry `usage: null`)', () => {
    for (const answer of [{}, { usage: null }, { response: { usage: null } }, { usage: {} }, { usage: [] }, null, 'text', 42, [CCSWITCH]]) {
      assert.equal(readTokenUsage(answer), undefined, JSON.stringify(answer));
    }
    assert.equal(usageTotal(undefined), undefined);
    assert.equal(usageTotal({}), undefined);
  });
});

describe('readTokenUsage: hostile values are left out, never thrown on', () => {
  it('negative, fractional, NaN, infinite, huge, string, boolean and object counts', () => {
    const bad: unknown[] = [-1, 1.5, Number.NaN, Infinity, -Infinity, 1e300, MAX_TOKENS + 1, Number.MAX_SAFE_INTEGER, '1200', true, null, { n: 1 }, [1]];
    for (const value of bad) {
      const usage = readTokenUsage({ usage: { input_tokens: value, output_tokens: 7, input_tokens_details: { cached_tokens: value } } });
      assert.deepEqual(usage, { output: 7 }, String(value));
    }
    assert.deepEqual(readTokenUsage({ usage: { input_tokens: MAX_TOKENS } }), { input: MAX_TOKENS });
  });

  it('a deep object, a cycle and throwing getters', () => {
    let deep: Record<string, unknown> = { input_tokens: 1 };
    for (let i = 0; i < 100_000; i++) deep = { usage: deep, input_tokens_details: deep };
    assert.doesNotThrow(() => readTokenUsage(deep));
    const cycle: Record<string, unknown> = { input_tokens: 3 };
    cycle.input_tokens_details = cycle;
    cycle.tool_usage = { image_gen: cycle };
    assert.deepEqual(readTokenUsage({ usage: cycle }), { input: 3 });
    const trap = { get usage(): unknown { throw new Error('boom'); } };
    assert.equal(readTokenUsage(trap), undefined);
    const proxy = new Proxy({}, { get: () => { throw new Error('boom'); } });
    assert.equal(readTokenUsage({ usage: proxy }), undefined);
  });

  it('property: any JSON value is read without a throw, and every count it gives is sound', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.jsonValue({ maxDepth: 4 }), (value, inner) => {
        for (const answer of [value, { usage: value }, { usage: { input_tokens: inner, output_tokens_details: inner }, tool_usage: { image_gen: value } }]) {
          const usage = readTokenUsage(answer);
          const counts = [usage?.input, usage?.output, usage?.total, usage?.imageTool?.input, usage?.inputDetails?.cached, usage?.outputDetails?.image];
          for (const n of counts) if (n !== undefined) assert.ok(Number.isInteger(n) && n >= 0 && n <= MAX_TOKENS);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseStoredUsage: the history reads back what it stored', () => {
  it('round trip through JSON, and the same bounds on what it reads', () => {
    const usage = readTokenUsage(CCSWITCH);
    assert.deepEqual(parseStoredUsage(JSON.parse(JSON.stringify(usage))), usage);
    assert.deepEqual(parseStoredUsage({ input: -1, output: '2', total: 1e300, imageTool: { total: 5 } }), { imageTool: { total: 5 } });
    for (const stored of [undefined, null, 'x', 3, [], {}, { input: 'x' }]) assert.equal(parseStoredUsage(stored), undefined);
  });
});

describe('the session tally', () => {
  it('counts images, and the tokens of those that reported usage', () => {
    let tally = emptyTally;
    tally = addToTally(tally, readTokenUsage(CCSWITCH));
    tally = addToTally(tally, undefined);
    tally = addToTally(tally, readTokenUsage(PLATFORM_COMPLETED));
    assert.deepEqual(tally, { images: 3, imagesWithUsage: 2, tokens: 1601 + 4190 });
  });

  it('stops at Number.MAX_SAFE_INTEGER', () => {
    const tally = addToTally({ images: 1, imagesWithUsage: 1, tokens: Number.MAX_SAFE_INTEGER - 1 }, { total: MAX_TOKENS });
    assert.equal(tally.tokens, Number.MAX_SAFE_INTEGER);
  });
});

// ---------------------------------------------------------------------------------------------
// The usage of an answer that repeats the image, read by the answer readers.

function settings(): GatewaySettings {
  return {
    baseUrl: 'http://gateway.test',
    apiKey: 'sk-test-usage-0123456789',
    model: 'gpt-5.4',
    instructions: '',
    identity: { userAgent: 'codex-tui/0.122.0', version: '0.122.0', originator: 'codex_cli_rs', sessionId: 's' },
    stream: true,
    tool: { outputFormat: 'png' },
    timeoutMs: 5000,
    maxResponseBytes: 64 * 1024 * 1024,
    retry: { maxRateLimitWaitMs: 0, textFallbackRetries: 0, transientRetries: 0, rateLimitRetries: 0 },
  };
}

async function* chunks(parts: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

describe('usage in an answer that carries the image', () => {
  const png = makePng(96, 96, { noise: true });
  const result = png.toString('base64');
  assert.ok(result.length > 20_000, 'long enough for the splicer to take it out');
  const item = { type: 'image_generation_call', status: 'completed', result };

  /** §6.2's order: the image item, then response.completed with the image again and the usage after it. */
  function sseBody(): Buffer {
    const events = [
      { type: 'response.created', sequence_number: 0, response: { id: 'resp_1', output: [], usage: null } },
      { type: 'response.output_item.done', sequence_number: 1, output_index: 0, item },
      { type: 'response.completed', sequence_number: 2, response: { ...PLATFORM_COMPLETED.response, output: [item], tool_usage: CCSWITCH.tool_usage } },
    ];
    return Buffer.from(events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join(''));
  }

  it('stream: response.completed is read for its usage, whatever the chunking, and the copy of the image is never decoded', async () => {
    const body = sseBody();
    const expected = { ...readTokenUsage(PLATFORM_COMPLETED), imageTool: { input: 49, output: 272, total: 321 } };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 30 }), async (cuts) => {
        const response: HttpResponse = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: chunks(cutAt(body, cuts)) };
        const reader = new StreamEventReader(response, { settings: settings(), log: nullLogger, secrets: [], keepPreviews: false, now: () => 0 });
        let images = 0;
        let usage: unknown;
        for await (const event of reader.events()) {
          if (event.type === 'image') {
            images += 1;
            assert.deepEqual(Buffer.from(event.image.spliced!.bytes()!), png);
          }
          if (event.type === 'end') {
            assert.equal(event.image, undefined, 'the image is not taken twice');
            assert.ok(JSON.stringify(event.response).length < 2000, 'the repeated base64 is not in the event');
            usage = readTokenUsage(event.response);
          }
        }
        assert.equal(images, 1);
        assert.deepEqual(usage, expected);
      }),
      { numRuns: 60 },
    );
  });

  it('stream in one-byte pieces', async () => {
    const body = sseBody();
    const response: HttpResponse = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: chunks([...body].map((b) => Buffer.from([b]))) };
    const reader = new StreamEventReader(response, { settings: settings(), log: nullLogger, secrets: [], keepPreviews: false, now: () => 0 });
    let usage: unknown;
    for await (const event of reader.events()) if (event.type === 'end') usage = readTokenUsage(event.response);
    assert.equal((usage as { total?: number } | undefined)?.total, 4190);
  });

  it('JSON: the usage after the image in the body, whatever the chunking', async () => {
    const body = Buffer.from(JSON.stringify({ ...CCSWITCH, output: [item] }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 30 }), async (cuts) => {
        const response: HttpResponse = { status: 200, headers: { 'content-type': 'application/json' }, body: chunks(cutAt(body, cuts)) };
        const answer = await readJsonAnswer(response, { settings: { ...settings(), stream: false }, secrets: [] });
        assert.ok(answer.image);
        assert.ok(answer.parsed.ok);
        assert.deepEqual(readTokenUsage(answer.parsed.value), readTokenUsage(CCSWITCH));
      }),
      { numRuns: 60 },
    );
  });
});
