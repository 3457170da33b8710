/**
 * The test gateway's own test: every scenario answers as designed, checked with plain fetch and
 * node:http (never with the client under test), and every scenario name is exercised here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { tinyJpeg, tinyPng, tinyWebp } from './images';
import { checkPng, parseSseJson, splitSse } from './inspect';
import {
  CONTENT_POLICY_MESSAGE,
  FORBIDDEN_MESSAGE,
  HTML_502_BODY,
  INCOMPLETE_TEXT,
  INSUFFICIENT_QUOTA_MESSAGE,
  POLICY_REFUSAL_MESSAGE,
  REQUEST_TOO_LARGE_MESSAGE,
  TRANSPARENT_JPEG_MESSAGE,
  KEEPALIVE_200_ERROR_MESSAGE,
  MARKDOWN_LINK_ERROR_MESSAGE,
  NOT_IMAGE_BODY,
  STREAM_DISCONNECTED_MESSAGE,
  TEXT_FALLBACK_REPLY,
  TOOL_CHOICE_MESSAGE,
  USAGE_LIMIT_MESSAGE,
  partialImageFor,
  revisedPromptFor,
  PLATFORM_USAGE,
} from './scenarios';
import { scenarioNames, startTestGateway, type ScenarioName, type TestGateway } from './server';
import { TERMINAL_ESCAPES_ERROR_MESSAGE, TERMINAL_ESCAPES_MODEL_TEXT, TERMINAL_ESCAPES_REVISED_PROMPT } from './scenarios';
import { keyAsJsonEscapes, keyAsPercentBytes } from './scenarios';
import { ALT_TEXT_HOSTILE_REPLY, ALT_TEXT_REPLY, ALT_TEXT_REPLY_ZH } from './scenarios';

const PROMPT = 'a red squirrel';
const KEY = 'sk-test-CANARY-1234';

function imageRequest(options: { stream?: boolean; tool?: Record<string, unknown>; model?: string } = {}) {
  return {
    model: options.model ?? 'gpt-5.4',
    input: PROMPT,
    tools: [{ type: 'image_generation', output_format: 'png', ...options.tool }],
    instructions: 'you are a helpful assistant',
    tool_choice: 'auto',
    stream: options.stream ?? false,
    store: false,
  };
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

async function post(base: string, body: unknown = imageRequest(), headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${base}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers },
    body: JSON.stringify(body),
    redirect: 'manual',
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const postStream = (base: string, tool?: Record<string, unknown>) =>
  post(base, imageRequest({ stream: true, tool }), { accept: 'text/event-stream' });

type Json = Record<string, unknown>;
const record = (v: unknown): Json => v as Json;
const list = (v: unknown): unknown[] => v as unknown[];

function imageItemOf(output: unknown[]): Json | undefined {
  return output.map(record).find((item) => item.type === 'image_generation_call');
}

function finalImageFromStream(text: string): { item: Json; bytes: Buffer } {
  const done = parseSseJson(text)
    .map((e) => e.json)
    .find((e) => e.type === 'response.output_item.done' && record(e.item).type === 'image_generation_call');
  assert.ok(done, 'no output_item.done with an image item');
  const item = record(done.item);
  return { item, bytes: Buffer.from(String(item.result), 'base64') };
}

function okStreamTypes(partials: number, completedEvent = true): string[] {
  return [
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.output_item.done',
    'response.output_item.added',
    'response.image_generation_call.in_progress',
    'response.image_generation_call.generating',
    ...Array.from({ length: partials }, () => 'response.image_generation_call.partial_image'),
    ...(completedEvent ? ['response.image_generation_call.completed'] : []),
    'response.output_item.done',
    'response.output_item.added',
    'response.content_part.added',
    'response.output_text.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.completed',
  ];
}

/** Checks the SSE framing rules every scenario keeps: `event:` = data.type, consecutive sequence numbers. */
function checkFraming(text: string): Json[] {
  const events = parseSseJson(text);
  events.forEach((e, i) => {
    assert.equal(e.event, e.json.type, `event line matches data.type at ${i}`);
  });
  const numbered = events.filter((e) => e.json.sequence_number !== 0 || e.json.type === 'response.created');
  numbered.forEach((e, i) => assert.equal(e.json.sequence_number, i, `sequence_number at ${i}`));
  return events.map((e) => e.json);
}

/** Reads an HTTP answer chunk by chunk, as the socket delivered it. */
function rawRequest(
  url: string,
  body: unknown,
): Promise<{ res: IncomingMessage; chunks: Buffer[]; done: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = httpRequest(
      `${url}/v1/responses`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const done = new Promise<void>((ok, fail) => {
          res.on('end', ok);
          res.on('error', fail);
        });
        resolve({ res, chunks, done });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

describe('test gateway', () => {
  let gw: TestGateway;
  const covered = new Set<ScenarioName>();
  const url = (name: ScenarioName, params?: Record<string, string | number>) => {
    covered.add(name);
    return gw.scenarioUrl(name, params);
  };

  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  describe('recording and routing', () => {
    it('records method, path, lower-cased headers, body and parsed JSON, and counts attempts per id', async () => {
      const a = url('ok');
      const b = url('ok');
      await post(a, imageRequest(), { 'X-Mixed-Case': 'Yes', Session_Id: 'test-session' });
      await post(a);
      await post(b);
      const forA = gw.requestsFor(a);
      assert.equal(forA.length, 2);
      assert.equal(gw.requestsFor(b).length, 1);
      const first = forA[0]!;
      assert.equal(first.method, 'POST');
      assert.equal(first.path, `${new URL(a).pathname}/v1/responses`);
      assert.equal(first.headers['x-mixed-case'], 'Yes');
      assert.equal(first.headers.session_id, 'test-session');
      assert.equal(first.headers.authorization, `Bearer ${KEY}`);
      assert.equal(first.body, JSON.stringify(imageRequest()));
      assert.deepEqual(first.json, imageRequest());
      assert.deepEqual(
        forA.map((r) => r.attempt),
        [1, 2],
      );
      assert.equal(gw.requestsFor(b)[0]!.attempt, 1);
    });

    it('the bare base URL is scenario ok, and requestsFor(baseUrl) lists only requests outside scenarios', async () => {
      const reply = await post(gw.baseUrl);
      assert.equal(reply.status, 200);
      assert.deepEqual(Buffer.from(String(imageItemOf(list(record(JSON.parse(reply.text)).output))!.result), 'base64'), tinyPng);
      assert.ok(gw.requestsFor(gw.baseUrl).length >= 1);
      assert.ok(gw.requestsFor(gw.baseUrl).every((r) => !r.path.startsWith('/s/')));
    });

    it('parameters travel in the path and survive a /v1 or trailing slash appended by a client', async () => {
      const u = url('ok', { width: 20, height: 10 });
      assert.match(u, /\/s\/ok\/t\d+\/width=20&height=10$/);
      const reply = await post(`${u}`);
      const item = imageItemOf(list(record(JSON.parse(reply.text)).output))!;
      assert.deepEqual(checkPng(Buffer.from(String(item.result), 'base64')), { width: 20, height: 10 });
      assert.equal(item.size, '20x10');
      assert.deepEqual(gw.imageFor(u), Buffer.from(String(item.result), 'base64'));
    });

    it('ignores-size answers a 1536x1024 PNG whatever size the request asks', async () => {
      const reply = await fetch(`${url('ignores-size')}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5.4', input: 'x', tools: [{ type: 'image_generation', size: '1024x1536' }], stream: false }),
      });
      const item = imageItemOf(list(record(await reply.json()).output))!;
      assert.deepEqual(checkPng(Buffer.from(String(item.result), 'base64')), { width: 1536, height: 1024 });
    });

    it('unknown routes get gin-style 404 text, unknown scenarios a 404 JSON', async () => {
      const wrong = await fetch(`${gw.baseUrl}/responses`, { method: 'POST', body: '{}' });
      assert.equal(wrong.status, 404);
      assert.equal(await wrong.text(), '404 page not found');
      const unknown = await fetch(`${gw.baseUrl}/s/no-such-scenario/1/v1/responses`, { method: 'POST', body: '{}' });
      assert.equal(unknown.status, 404);
    });

    it('GET /v1/models answers the model list; failure scenarios apply to it', async () => {
      const res = await fetch(`${gw.baseUrl}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
      assert.equal(res.status, 200);
      const body = record(await res.json());
      assert.equal(body.object, 'list');
      assert.ok(list(body.data).some((m) => record(m).id === 'gpt-5.4'));
      const denied = await fetch(`${url('auth-string-error')}/v1/models`);
      assert.equal(denied.status, 401);
      const noRoute = await fetch(`${url('not-found')}/v1/models`);
      assert.equal(noRoute.status, 404);
      assert.equal(await noRoute.text(), '404 page not found');
    });
  });

  describe('expectedKey', () => {
    it('401 with a string error for a missing or wrong bearer token, the answer for the right one', async () => {
      const keyed = await startTestGateway({ expectedKey: KEY });
      try {
        const missing = await fetch(`${keyed.baseUrl}/v1/responses`, { method: 'POST', body: JSON.stringify(imageRequest()) });
        assert.equal(missing.status, 401);
        assert.deepEqual(await missing.json(), { error: 'Missing API key' });
        const wrong = await post(keyed.baseUrl, imageRequest(), { authorization: 'Bearer sk-wrong' });
        assert.equal(wrong.status, 401);
        assert.deepEqual(JSON.parse(wrong.text), { error: 'Invalid API key' });
        const right = await post(keyed.baseUrl);
        assert.equal(right.status, 200);
        const models = await fetch(`${keyed.baseUrl}/v1/models`, { headers: { authorization: 'Bearer nope' } });
        assert.equal(models.status, 401);
      } finally {
        await keyed.close();
      }
    });
  });

  describe('successful answers', () => {
    it('ok, non-stream: the §6.1 envelope with a valid PNG result', async () => {
      const reply = await post(url('ok'));
      assert.equal(reply.status, 200);
      assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
      const body = record(JSON.parse(reply.text));
      assert.equal(body.object, 'response');
      assert.equal(body.status, 'completed');
      assert.equal(body.model, 'gpt-5.4');
      assert.equal(body.tool_choice, 'auto');
      assert.deepEqual(body.tools, [
        {
          type: 'image_generation',
          background: 'auto',
          moderation: 'auto',
          n: 1,
          output_compression: 100,
          output_format: 'png',
          quality: 'auto',
          size: 'auto',
        },
      ]);
      const output = list(body.output).map(record);
      assert.deepEqual(
        output.map((o) => o.type),
        ['reasoning', 'image_generation_call', 'message'],
      );
      const item = output[1]!;
      assert.equal(item.status, 'completed');
      assert.equal(item.revised_prompt, revisedPromptFor(PROMPT));
      assert.ok(String(item.result).startsWith('iVBORw0KGgo'));
      const bytes = Buffer.from(String(item.result), 'base64');
      assert.deepEqual(bytes, tinyPng);
      assert.deepEqual(checkPng(bytes), { width: 8, height: 8 });
      assert.ok(String(body.id).startsWith('resp_'));
    });

    it('ok, stream: the §6.2 event sequence, framing and final image', async () => {
      const reply = await postStream(url('ok'));
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('content-type'), 'text/event-stream');
      const events = checkFraming(reply.text);
      assert.deepEqual(
        events.map((e) => e.type),
        okStreamTypes(0),
      );
      assert.deepEqual(finalImageFromStream(reply.text).bytes, tinyPng);
      const completed = record(events.at(-1)!.response);
      assert.equal(completed.status, 'completed');
      assert.equal(list(completed.output).length, 3);
      assert.deepEqual(Buffer.from(String(imageItemOf(list(completed.output))!.result), 'base64'), tinyPng);
      assert.ok(!/\r/.test(reply.text), 'LF line endings');
    });

    it('ok honours the partial_images of the request; ok with width/height/noise serves a large incompressible PNG', async () => {
      const reply = await postStream(url('ok'), { partial_images: 3 });
      const partials = parseSseJson(reply.text)
        .map((e) => e.json)
        .filter((e) => e.type === 'response.image_generation_call.partial_image');
      assert.deepEqual(
        partials.map((p) => p.partial_image_index),
        [0, 1, 2],
      );
      const big = url('ok', { width: 600, height: 400, noise: 1 });
      const bigReply = await post(big);
      const bytes = Buffer.from(String(imageItemOf(list(record(JSON.parse(bigReply.text)).output))!.result), 'base64');
      assert.deepEqual(checkPng(bytes), { width: 600, height: 400 });
      assert.ok(bytes.length > 600 * 400 * 3, 'noise does not compress');
      assert.deepEqual(bytes, gw.imageFor(big));
    });

    it('generating-status: final item stays "generating" and no image_generation_call.completed (both forms)', async () => {
      const stream = await postStream(url('generating-status'));
      const events = checkFraming(stream.text);
      assert.deepEqual(
        events.map((e) => e.type),
        okStreamTypes(0, false),
      );
      const { item, bytes } = finalImageFromStream(stream.text);
      assert.equal(item.status, 'generating');
      assert.deepEqual(bytes, tinyPng);
      const plain = record(JSON.parse((await post(url('generating-status'))).text));
      assert.equal(imageItemOf(list(plain.output))!.status, 'generating');
    });

    it('completed-empty-output: response.completed has output [], the image is only in output_item.done', async () => {
      const stream = await postStream(url('completed-empty-output'));
      const events = checkFraming(stream.text);
      assert.deepEqual(record(events.at(-1)!.response).output, []);
      assert.deepEqual(finalImageFromStream(stream.text).bytes, tinyPng);
      const plain = record(JSON.parse((await post(url('completed-empty-output'))).text));
      assert.ok(imageItemOf(list(plain.output)));
    });

    it('keepalive: ": keep-alive" comment lines between events', async () => {
      const reply = await postStream(url('keepalive'));
      assert.ok(reply.text.includes('\n\n: keep-alive\n\nevent: '));
      const events = checkFraming(reply.text);
      assert.deepEqual(
        events.map((e) => e.type),
        okStreamTypes(1),
      );
    });

    it('crlf: every line ending is CRLF, in the stream and in the JSON', async () => {
      const reply = await postStream(url('crlf'));
      assert.ok(reply.text.includes('\r\n\r\n'));
      assert.ok(!/[^\r]\n/.test(reply.text), 'no bare LF');
      assert.deepEqual(finalImageFromStream(reply.text).bytes, tinyPng);
      const plain = await post(url('crlf'));
      assert.ok(plain.text.includes('\r\n') && !/[^\r]\n/.test(plain.text));
      assert.ok(imageItemOf(list(record(JSON.parse(plain.text)).output)));
    });

    it('split-chunks: tiny pieces that split events, lines and multi-byte characters', async () => {
      const u = url('split-chunks');
      const { chunks, done } = await rawRequest(u, imageRequest({ stream: true }));
      await done;
      const whole = Buffer.concat(chunks);
      assert.ok(chunks.length > 50, `expected many chunks, got ${chunks.length}`);
      const strict = new TextDecoder('utf-8', { fatal: true });
      const broken = chunks.filter((c) => {
        try {
          strict.decode(c);
          return false;
        } catch {
          return true;
        }
      });
      assert.ok(broken.length > 0, 'some chunk ends inside a multi-byte character');
      const text = whole.toString('utf8');
      const { item, bytes } = finalImageFromStream(text);
      assert.equal(item.revised_prompt, revisedPromptFor(PROMPT));
      assert.deepEqual(bytes, tinyPng);
      const plain = await rawRequest(url('split-chunks'), imageRequest());
      await plain.done;
      assert.ok(plain.chunks.length > 50);
      const body = record(JSON.parse(Buffer.concat(plain.chunks).toString('utf8')));
      assert.equal(imageItemOf(list(body.output))!.revised_prompt, revisedPromptFor(PROMPT));
    });

    it('partial-images: 2 by default, the count from params or the request, each a distinct valid PNG', async () => {
      const partialsOf = (text: string) =>
        parseSseJson(text)
          .map((e) => e.json)
          .filter((e) => e.type === 'response.image_generation_call.partial_image');
      const byDefault = partialsOf((await postStream(url('partial-images'))).text);
      assert.deepEqual(
        byDefault.map((p) => p.partial_image_index),
        [0, 1],
      );
      const images = byDefault.map((p) => Buffer.from(String(p.partial_image_b64), 'base64'));
      images.forEach((png, i) => {
        assert.deepEqual(checkPng(png), { width: 16, height: 16 });
        assert.deepEqual(png, partialImageFor(i));
      });
      assert.notDeepEqual(images[0], images[1]);
      assert.notDeepEqual(images[0], tinyPng);
      assert.equal(partialsOf((await postStream(url('partial-images', { partial: 3 }))).text).length, 3);
      assert.equal(partialsOf((await postStream(url('partial-images'), { partial_images: 1 })).text).length, 1);
      // indexFrom: a hostile numbering, 1505 onwards.
      assert.deepEqual(
        partialsOf((await postStream(url('partial-images', { partial: 5, indexFrom: 1505 }))).text).map((p) => p.partial_image_index),
        [1505, 1506, 1507, 1508, 1509],
      );
      const stream = await postStream(url('partial-images'));
      const types = checkFraming(stream.text).map((e) => e.type);
      assert.ok(types.lastIndexOf('response.image_generation_call.partial_image') < types.indexOf('response.output_item.done', 5));
    });

    it('webp-instead / jpeg-instead: real WebP / JPEG bytes although png was asked', async () => {
      for (const [name, expected, magic] of [
        ['webp-instead', tinyWebp, 'UklGR'],
        ['jpeg-instead', tinyJpeg, '/9j/'],
      ] as const) {
        for (const stream of [false, true]) {
          const reply = stream ? await postStream(url(name)) : await post(url(name));
          const item = stream ? finalImageFromStream(reply.text).item : imageItemOf(list(record(JSON.parse(reply.text)).output))!;
          assert.ok(String(item.result).startsWith(magic), `${name} ${stream}`);
          assert.deepEqual(Buffer.from(String(item.result), 'base64'), expected);
        }
      }
      assert.deepEqual(gw.imageFor(url('jpeg-instead')), tinyJpeg);
    });

    it('blank-lines-before-body: "\\n\\n\\n", a pause, then the JSON (and the same before a stream)', async () => {
      const u = url('blank-lines-before-body');
      const { chunks, done } = await rawRequest(u, imageRequest());
      await done;
      assert.equal(chunks[0]!.toString(), '\n\n\n');
      const text = Buffer.concat(chunks).toString();
      assert.ok(text.startsWith('\n\n\n{'));
      assert.ok(imageItemOf(list(record(JSON.parse(text)).output)));
      const stream = await postStream(url('blank-lines-before-body'));
      assert.ok(stream.text.startsWith('\n\n\nevent: response.created'));
      assert.deepEqual(finalImageFromStream(stream.text).bytes, tinyPng);
    });

    it('slow: events spaced by delayMs; non-stream answers after 10 × delayMs', async () => {
      const started = Date.now();
      const reply = await postStream(url('slow', { delayMs: 20 }));
      const events = checkFraming(reply.text);
      assert.ok(Date.now() - started >= 20 * (events.length - 1));
      assert.equal(events.filter((e) => e.type === 'response.image_generation_call.partial_image').length, 2);
      const t0 = Date.now();
      await post(url('slow', { delayMs: 20 }));
      assert.ok(Date.now() - t0 >= 200);
    });
  });

  describe('more terminal shapes', () => {
    it('response-incomplete: response.incomplete (max_output_tokens) with text and no image; non-stream status incomplete', async () => {
      const events = checkFraming((await postStream(url('response-incomplete'))).text);
      const last = events.at(-1)!;
      assert.equal(last.type, 'response.incomplete');
      const response = record(last.response);
      assert.equal(response.status, 'incomplete');
      assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
      assert.equal(imageItemOf(list(response.output)), undefined);
      assert.ok(!events.some((e) => e.type === 'response.completed'));
      assert.equal(
        events.filter((e) => e.type === 'response.output_text.delta').map((e) => String(e.delta)).join(''),
        INCOMPLETE_TEXT,
      );
      const plain = record(JSON.parse((await post(url('response-incomplete'))).text));
      assert.equal(plain.status, 'incomplete');
      assert.equal(imageItemOf(list(plain.output)), undefined);
    });

    it('incomplete-tools-empty: tools [] echoed, then the recorded minimal response.incomplete (output [], no tools)', async () => {
      const events = checkFraming((await postStream(url('incomplete-tools-empty'))).text);
      assert.deepEqual(record(events[0]!.response).tools, []);
      const last = events.at(-1)!;
      assert.equal(last.type, 'response.incomplete');
      const response = record(last.response);
      assert.deepEqual(Object.keys(response).sort(), ['id', 'incomplete_details', 'object', 'output', 'status', 'usage']);
      assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
      assert.deepEqual(response.output, []);
      const plain = record(JSON.parse((await post(url('incomplete-tools-empty'))).text));
      assert.equal(plain.status, 'incomplete');
      assert.deepEqual(plain.tools, []);
    });

    it('request-too-large: 429 rate_limit_exceeded whose message says Request too large (Limit < Requested)', async () => {
      for (const reply of [await post(url('request-too-large')), await postStream(url('request-too-large'))]) {
        assert.equal(reply.status, 429);
        const error = record(record(JSON.parse(reply.text)).error);
        assert.equal(error.code, 'rate_limit_exceeded');
        assert.equal(error.message, REQUEST_TOO_LARGE_MESSAGE);
      }
    });

    it('transparent-jpeg: 400 on tools[0].background for transparent + jpeg, an image otherwise', async () => {
      const refused = await post(url('transparent-jpeg'), imageRequest({ tool: { output_format: 'jpeg', background: 'transparent' } }));
      assert.equal(refused.status, 400);
      assert.equal(record(record(JSON.parse(refused.text)).error).message, TRANSPARENT_JPEG_MESSAGE);
      const fine = await post(url('transparent-jpeg'), imageRequest({ tool: { background: 'transparent' } }));
      assert.equal(fine.status, 200);
    });

    it('policy-refusal: response.failed with code bio_policy (stream), 400 with that code (non-stream); code= picks another', async () => {
      const events = checkFraming((await postStream(url('policy-refusal'))).text);
      const failed = events.at(-1)!;
      assert.equal(failed.type, 'response.failed');
      assert.deepEqual(record(failed.response).error, { code: 'bio_policy', message: POLICY_REFUSAL_MESSAGE });
      const plain = await post(url('policy-refusal', { code: 'cyber_policy' }));
      assert.equal(plain.status, 400);
      assert.equal(record(record(JSON.parse(plain.text)).error).code, 'cyber_policy');
    });

    for (const name of ['flood-text-deltas', 'flood-output-items'] as const) {
      it(`${name}: about \`bytes\` of text or non-image items, then a completed response; the JSON form parses`, async () => {
        const bytes = 600 * 1024;
        const reply = await postStream(url(name, { bytes }));
        assert.ok(reply.text.length >= bytes, `${reply.text.length} bytes`);
        // The repeated batch carries one sequence_number (it is made once), so only the framing of each event is checked.
        const parsed = parseSseJson(reply.text);
        parsed.forEach((e) => assert.equal(e.event, e.json.type));
        const events = parsed.map((e) => e.json);
        const type = name === 'flood-text-deltas' ? 'response.output_text.delta' : 'response.output_item.done';
        assert.ok(events.filter((e) => e.type === type).length > 10);
        assert.equal(events.at(-1)!.type, 'response.completed');
        const plain = record(JSON.parse((await post(url(name, { bytes }))).text));
        assert.equal(plain.status, 'completed');
        assert.equal(imageItemOf(list(plain.output)), undefined);
        const first = await postStream(url(name, { bytes, imageFirst: 1 }));
        assert.ok(finalImageFromStream(first.text).bytes.length > 0, 'imageFirst=1: the image comes before the flood');
      });
    }

    it('queued: response.created says queued, then response.queued, then in_progress and the image', async () => {
      const events = checkFraming((await postStream(url('queued'))).text);
      assert.deepEqual(
        events.slice(0, 3).map((e) => e.type),
        ['response.created', 'response.queued', 'response.in_progress'],
      );
      assert.equal(record(events[0]!.response).status, 'queued');
      assert.equal(events.at(-1)!.type, 'response.completed');
    });

    it('data-only: no event: lines, data only, and a final data: [DONE]', async () => {
      const reply = await postStream(url('data-only'));
      assert.ok(!reply.text.includes('event:'));
      const raw = splitSse(reply.text);
      assert.equal(raw.at(-1)!.data, '[DONE]');
      const events = raw.slice(0, -1).map((e) => record(JSON.parse(e.data)));
      assert.deepEqual(
        events.map((e) => e.type),
        okStreamTypes(1),
      );
      assert.deepEqual(finalImageFromStream(raw.slice(0, -1).map((e) => `event: x\ndata: ${e.data}\n\n`).join('')).bytes, tinyPng);
    });

    it('server-error-once with retryAfter: a 503 with Retry-After', async () => {
      const reply = await post(url('server-error-once', { retryAfter: 2 }));
      assert.equal(reply.status, 503);
      assert.equal(reply.headers.get('retry-after'), '2');
    });
  });

  describe('rate limits', () => {
    async function twice(u: string, stream = false): Promise<[Reply, Reply]> {
      const send = () => (stream ? postStream(u) : post(u));
      return [await send(), await send()];
    }

    it('rate-limit-retry-after-ms: 429 with retry-after-ms once, then ok; times=2 fails twice', async () => {
      const [first, second] = await twice(url('rate-limit-retry-after-ms'));
      assert.equal(first.status, 429);
      assert.equal(first.headers.get('retry-after-ms'), '250');
      assert.equal(record(record(JSON.parse(first.text)).error).code, 'rate_limit_exceeded');
      assert.doesNotMatch(first.text, /try again/i);
      assert.equal(second.status, 200);
      const u = url('rate-limit-retry-after-ms', { ms: 40, times: 2 });
      const replies = [await post(u), await post(u), await post(u)];
      assert.deepEqual(
        replies.map((r) => r.status),
        [429, 429, 200],
      );
      assert.equal(replies[0]!.headers.get('retry-after-ms'), '40');
    });

    it('rate-limit-retry-after: 429 with Retry-After: 1 once, then ok', async () => {
      const [first, second] = await twice(url('rate-limit-retry-after'), true);
      assert.equal(first.status, 429);
      assert.equal(first.headers.get('retry-after'), '1');
      assert.equal(second.status, 200);
      assert.deepEqual(finalImageFromStream(second.text).bytes, tinyPng);
    });

    it('rate-limit-reset-seconds: CPA model_cooldown body with reset_seconds 1 once', async () => {
      const [first, second] = await twice(url('rate-limit-reset-seconds'));
      assert.equal(first.status, 429);
      assert.deepEqual(JSON.parse(first.text), {
        error: {
          code: 'model_cooldown',
          message: 'All credentials for model gpt-5.4 are cooling down via provider codex',
          model: 'gpt-5.4',
          provider: 'codex',
          reset_seconds: 1,
          reset_time: '1s',
        },
      });
      assert.equal(second.status, 200);
    });

    it('rate-limit-text: "Please try again in 1.2s" in the message once; sanitized=1 keeps only type/code/message/param for streams', async () => {
      const [first, second] = await twice(url('rate-limit-text'));
      assert.equal(first.status, 429);
      const error = record(record(JSON.parse(first.text)).error);
      assert.equal(error.code, 'rate_limit_exceeded');
      assert.match(String(error.message), /Please try again in 1\.2s\./);
      assert.equal(second.status, 200);
      const cooled = await postStream(url('rate-limit-reset-seconds', { sanitized: 1 }));
      assert.deepEqual(Object.keys(record(record(JSON.parse(cooled.text)).error)), ['code', 'message']);
    });

    it('rate-limit-in-stream: response.failed rate_limit_exceeded "try again in 0.5s" once, then ok', async () => {
      const u = url('rate-limit-in-stream');
      const [first, second] = await twice(u, true);
      assert.equal(first.status, 200);
      const events = checkFraming(first.text);
      const last = events.at(-1)!;
      assert.equal(last.type, 'response.failed');
      assert.equal(last.sequence_number, 0);
      const error = record(record(last.response).error);
      assert.equal(error.code, 'rate_limit_exceeded');
      assert.match(String(error.message), /try again in 0\.5s/);
      assert.ok(!events.some((e) => e.type === 'response.completed'));
      assert.equal(checkFraming(second.text).at(-1)!.type, 'response.completed');
      const plain = url('rate-limit-in-stream');
      assert.equal((await post(plain)).status, 429);
      assert.equal((await post(plain)).status, 200);
    });

    it('error-event-rate-limit: flat event: error rate_limit_exceeded once, then ok', async () => {
      const [first, second] = await twice(url('error-event-rate-limit'), true);
      const last = checkFraming(first.text).at(-1)!;
      assert.deepEqual(Object.keys(last), ['type', 'code', 'message', 'sequence_number']);
      assert.equal(last.type, 'error');
      assert.equal(last.code, 'rate_limit_exceeded');
      assert.match(String(last.message), /try again in 0\.5s/);
      assert.deepEqual(finalImageFromStream(second.text).bytes, tinyPng);
    });

    it('usage-limit: 429 usage_limit_reached with resets_in_seconds and resets_at, always', async () => {
      const u = url('usage-limit');
      const before = Math.floor(Date.now() / 1000);
      const [first, second] = await twice(u);
      assert.equal(first.status, 429);
      assert.equal(second.status, 429);
      const error = record(record(JSON.parse(first.text)).error);
      assert.equal(error.type, 'usage_limit_reached');
      assert.equal(error.message, USAGE_LIMIT_MESSAGE);
      assert.equal(error.resets_in_seconds, 529498);
      assert.ok(Number(error.resets_at) >= before + 529498 && Number(error.resets_at) <= before + 529500);
    });

    it('model-cooldown-long: 429 model_cooldown with reset_seconds 3600, always', async () => {
      const [first, second] = await twice(url('model-cooldown-long'), true);
      assert.equal(first.status, 429);
      assert.equal(second.status, 429);
      const error = record(record(JSON.parse(first.text)).error);
      assert.equal(error.code, 'model_cooldown');
      assert.equal(error.reset_seconds, 3600);
    });
  });

  describe('text instead of an image', () => {
    it('tools-empty-once: completed response with tools [] and prose once, then the image (both forms)', async () => {
      const u = url('tools-empty-once');
      const first = record(JSON.parse((await post(u)).text));
      assert.equal(first.status, 'completed');
      assert.deepEqual(first.tools, []);
      assert.equal(first.tool_choice, 'auto');
      const output = list(first.output).map(record);
      assert.deepEqual(
        output.map((o) => o.type),
        ['message'],
      );
      assert.equal(record(list(output[0]!.content)[0]).text, TEXT_FALLBACK_REPLY);
      assert.ok(imageItemOf(list(record(JSON.parse((await post(u)).text)).output)));

      const s = url('tools-empty-once');
      const streamed = checkFraming((await postStream(s)).text);
      assert.deepEqual(record(streamed[0]!.response).tools, []);
      const deltas = streamed.filter((e) => e.type === 'response.output_text.delta').map((e) => String(e.delta));
      assert.ok(deltas.length > 1);
      assert.equal(deltas.join(''), TEXT_FALLBACK_REPLY);
      const completed = record(streamed.at(-1)!.response);
      assert.equal(completed.status, 'completed');
      assert.deepEqual(completed.tools, []);
      assert.deepEqual(finalImageFromStream((await postStream(s)).text).bytes, tinyPng);
    });

    it('alt-text: a text request (no tools, an input_image) gets one sentence, in Chinese when asked; the request is on the record', async () => {
      const textRequest = (instruction: string, stream = false) => ({
        model: 'gpt-5.4',
        input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: instruction }, { type: 'input_image', image_url: `data:image/png;base64,${tinyPng.toString('base64')}` }] }],
        instructions: 'you are a helpful assistant',
        stream,
        store: false,
      });
      const sentence = (body: Json) => String(record(list(record(list(body.output)[0]).content)[0]).text);
      const u = url('alt-text');
      const english = record(JSON.parse((await post(u, textRequest('Answer in English.'))).text));
      assert.equal(sentence(english), ALT_TEXT_REPLY);
      assert.deepEqual(english.tools, []);
      assert.equal(imageItemOf(list(english.output)), undefined);
      const chinese = record(JSON.parse((await post(u, textRequest('Answer in Chinese (the script the document uses).'))).text));
      assert.equal(sentence(chinese), ALT_TEXT_REPLY_ZH);
      const recorded = gw.requestsFor(u);
      assert.equal(recorded.length, 2);
      const sent = record(recorded[0]?.json);
      assert.equal(sent.tools, undefined, 'the record shows that no tools were sent');
      const parts = list(record(list(sent.input)[0]).content).map(record);
      assert.equal(parts[1]?.type, 'input_image');
      assert.match(String(parts[1]?.image_url), /^data:image\/png;base64,iVBORw0KGgo/);

      const s = url('alt-text', { lang: 'zh' });
      const streamed = checkFraming((await post(s, textRequest('Answer in English.', true), { accept: 'text/event-stream' })).text);
      const deltas = streamed.filter((e) => e.type === 'response.output_text.delta').map((e) => String(e.delta));
      assert.equal(deltas.join(''), ALT_TEXT_REPLY_ZH, 'lang=zh wins over the instruction');
      const hostile = record(JSON.parse((await post(url('alt-text', { reply: 'hostile' }), textRequest('x'))).text));
      assert.equal(sentence(hostile), ALT_TEXT_HOSTILE_REPLY);
      assert.match(ALT_TEXT_HOSTILE_REPLY, /\]\(javascript:.*<img .*\n\n.*\[click\]\(command:/s);
    });

    it('tools-empty-always: prose every time', async () => {
      const u = url('tools-empty-always');
      for (let i = 0; i < 3; i++) {
        const body = record(JSON.parse((await post(u)).text));
        assert.deepEqual(body.tools, []);
        assert.equal(imageItemOf(list(body.output)), undefined);
      }
    });

    it('terminal-escapes: prose with terminal escapes, then a 400 whose message has them (or, end=image, an image whose revised prompt has them)', async () => {
      assert.match(TERMINAL_ESCAPES_MODEL_TEXT, /\u001b\]52;c;[^\u0007]+\u0007/, 'an OSC 52 clipboard write');
      assert.match(TERMINAL_ESCAPES_MODEL_TEXT, /\u001b\[2J.*\u009b.*\u202e.*\n/s, 'CSI 2J, the 8-bit CSI, RLO and a line feed');
      const u = url('terminal-escapes');
      const first = record(JSON.parse((await post(u)).text));
      assert.deepEqual(first.tools, []);
      assert.equal(record(list(record(list(first.output)[0]).content)[0]).text, TERMINAL_ESCAPES_MODEL_TEXT);
      const second = await post(u);
      assert.equal(second.status, 400);
      assert.equal(record(record(JSON.parse(second.text)).error).message, TERMINAL_ESCAPES_ERROR_MESSAGE);

      const s = url('terminal-escapes');
      const streamed = checkFraming((await postStream(s)).text);
      const deltas = streamed.filter((e) => e.type === 'response.output_text.delta').map((e) => String(e.delta));
      assert.equal(deltas.join(''), TERMINAL_ESCAPES_MODEL_TEXT);
      assert.equal((await postStream(s)).status, 400);

      const i = url('terminal-escapes', { end: 'image' });
      await post(i);
      const image = imageItemOf(list(record(JSON.parse((await post(i)).text)).output))!;
      assert.equal(image.revised_prompt, TERMINAL_ESCAPES_REVISED_PROMPT);
      assert.deepEqual(Buffer.from(String(image.result), 'base64'), tinyPng);
    });
  });

  describe('HTTP errors', () => {
    const cases: [ScenarioName, number, unknown][] = [
      ['auth-string-error', 401, { error: 'Invalid API key' }],
      ['forbidden', 403, { error: { message: FORBIDDEN_MESSAGE, type: 'permission_error' } }],
      [
        'not-found',
        404,
        {
          error: {
            message: 'The model `gpt-5.4` does not exist or you do not have access to it.',
            type: 'invalid_request_error',
            param: null,
            code: 'model_not_found',
          },
        },
      ],
      ['bad-request', 400, { error: { message: TOOL_CHOICE_MESSAGE, type: 'invalid_request_error', param: 'tool_choice', code: null } }],
      ['markdown-link-error', 400, { error: { message: MARKDOWN_LINK_ERROR_MESSAGE, type: 'invalid_request_error', param: null, code: null } }],
      ['server-error-always', 500, { error: { message: 'internal server error', type: 'server_error', code: 'internal_server_error' } }],
    ];
    for (const [name, status, body] of cases) {
      it(`${name}: ${status} with its body, for stream and non-stream requests, every time`, async () => {
        const u = url(name);
        for (const reply of [await post(u), await postStream(u)]) {
          assert.equal(reply.status, status);
          assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
          assert.deepEqual(JSON.parse(reply.text), body);
        }
        assert.equal(gw.requestsFor(u).length, 2);
      });
    }

    it('auth-key-echo: an OpenAI-style 401 that quotes the key it was sent, twice and in every form', async () => {
      const reply = await post(url('auth-key-echo'));
      assert.equal(reply.status, 401);
      const error = record(record(JSON.parse(reply.text)).error);
      assert.equal(error.code, 'invalid_api_key');
      const message = String(error.message);
      // After JSON.parse: as is three times (twice, and once from the \uXXXX escapes; a fourth time when percent-encoding
      // leaves it as it is), upper case, percent-encoded.
      assert.equal(message.split(KEY).length - 1, encodeURIComponent(KEY) === KEY ? 4 : 3);
      assert.ok(message.includes(KEY.toUpperCase()));
      assert.ok(message.includes(keyAsPercentBytes(KEY)));
      assert.equal(error.param, encodeURIComponent(KEY));
      // In the raw body: every character \uXXXX-escaped.
      assert.ok(reply.text.includes(keyAsJsonEscapes(KEY)));
      assert.match(keyAsJsonEscapes('a-'), /^\\u0061\\u002D$/);
    });

    it('retry-mix-forever: 429, 503 (each with retry-after-ms), then a text-only answer, in turn, forever', async () => {
      const u = url('retry-mix-forever', { ms: 70 });
      const replies: Reply[] = [];
      for (let i = 0; i < 7; i++) replies.push(await post(u));
      assert.deepEqual(replies.map((r) => r.status), [429, 503, 200, 429, 503, 200, 429]);
      assert.equal(replies[0]!.headers.get('retry-after-ms'), '70');
      assert.equal(replies[1]!.headers.get('retry-after-ms'), '70');
      const text = record(JSON.parse(replies[2]!.text));
      assert.deepEqual(text.tools, []);
      assert.equal(imageItemOf(list(text.output)), undefined);
      assert.equal(gw.requestsFor(u).length, 7);
    });

    it('timeout-408: CPA "stream disconnected" 408 once, then ok', async () => {
      const u = url('timeout-408');
      const first = await post(u);
      assert.equal(first.status, 408);
      assert.deepEqual(JSON.parse(first.text), { error: { message: STREAM_DISCONNECTED_MESSAGE, type: 'invalid_request_error' } });
      assert.equal((await post(u)).status, 200);
    });

    it('html-502: an nginx HTML page, always', async () => {
      const u = url('html-502');
      for (const reply of [await post(u), await postStream(u)]) {
        assert.equal(reply.status, 502);
        assert.equal(reply.headers.get('content-type'), 'text/html');
        assert.equal(reply.text, HTML_502_BODY);
      }
    });

    it('server-error-once: 503 once, then ok', async () => {
      const u = url('server-error-once');
      assert.equal((await post(u)).status, 503);
      assert.equal((await post(u)).status, 200);
    });

    it('keepalive-200-error: blank lines, then an error JSON under status 200', async () => {
      const reply = await post(url('keepalive-200-error'));
      assert.equal(reply.status, 200);
      assert.ok(reply.text.startsWith('\n\n{'));
      assert.equal(record(record(JSON.parse(reply.text)).error).message, KEEPALIVE_200_ERROR_MESSAGE);
    });

    it('redirect: 307 to another origin (127.0.0.2), which answers like the gateway when followed', async () => {
      const u = url('redirect');
      const reply = await post(u);
      assert.equal(reply.status, 307);
      const location = new URL(reply.headers.get('location') ?? '');
      assert.equal(location.hostname, '127.0.0.2');
      assert.notEqual(location.origin, new URL(gw.baseUrl).origin);
      assert.ok(location.pathname.endsWith('/v1/responses'));
      assert.equal(gw.redirectedRequests.length, 0);
      const followed = await fetch(location, { method: 'POST', body: JSON.stringify(imageRequest()) });
      assert.equal(followed.status, 200);
      assert.equal(gw.redirectedRequests.length, 1);
      assert.equal(gw.requestsFor(u).length, 1, 'followed request is not recorded under the scenario');
    });
  });

  describe('in-stream failures and broken bodies', () => {
    it('truncated-json: a 200 JSON cut in the middle; a stream whose last event is cut', async () => {
      const plain = await post(url('truncated-json'));
      assert.equal(plain.status, 200);
      assert.ok(plain.text.includes('"result":"iVBOR'));
      assert.throws(() => JSON.parse(plain.text));
      const stream = await postStream(url('truncated-json'));
      const raw = splitSse(stream.text);
      assert.equal(raw.at(-1)!.event, 'response.output_item.done');
      assert.throws(() => JSON.parse(raw.at(-1)!.data));
    });

    it('stream-cut: ends after a few events without a terminal event, every time; non-stream gets CPA 408', async () => {
      const u = url('stream-cut');
      for (let i = 0; i < 2; i++) {
        const events = checkFraming((await postStream(u)).text);
        assert.equal(events.at(-1)!.type, 'response.image_generation_call.generating');
        assert.ok(events.length >= 3);
      }
      const plain = await post(url('stream-cut'));
      assert.equal(plain.status, 408);
    });

    it('stream-cut-once: cut once, then ok', async () => {
      const u = url('stream-cut-once');
      assert.equal(checkFraming((await postStream(u)).text).at(-1)!.type, 'response.image_generation_call.generating');
      assert.equal(checkFraming((await postStream(u)).text).at(-1)!.type, 'response.completed');
    });

    it('response-failed: response.failed server_error every time; non-stream 502', async () => {
      const u = url('response-failed');
      for (let i = 0; i < 2; i++) {
        const last = checkFraming((await postStream(u)).text).at(-1)!;
        assert.equal(last.type, 'response.failed');
        assert.equal(record(record(last.response).error).code, 'server_error');
      }
      assert.equal((await post(url('response-failed'))).status, 502);
    });

    it('content-policy: response.failed / 400 (or status=502) with image_content_policy_violation and its message', async () => {
      const last = checkFraming((await postStream(url('content-policy'))).text).at(-1)!;
      assert.equal(last.type, 'response.failed');
      assert.deepEqual(record(last.response).error, { code: 'image_content_policy_violation', message: CONTENT_POLICY_MESSAGE });
      const plain = await post(url('content-policy'));
      assert.equal(plain.status, 400);
      assert.equal(record(record(JSON.parse(plain.text)).error).message, CONTENT_POLICY_MESSAGE);
      assert.equal((await post(url('content-policy', { status: 502 }))).status, 502);
    });

    it('refuse-prompt: refuses a prompt holding the word (400 / response.failed), answers any other with the image', async () => {
      const u = url('refuse-prompt', { word: 'FORBIDDEN' });
      const refused = await post(u, { ...imageRequest(), input: 'a FORBIDDEN thing' });
      assert.equal(refused.status, 400);
      assert.equal(record(record(JSON.parse(refused.text)).error).code, 'image_content_policy_violation');
      const streamed = checkFraming((await post(u, { ...imageRequest({ stream: true }), input: 'a FORBIDDEN thing' }, { accept: 'text/event-stream' })).text).at(-1)!;
      assert.equal(streamed.type, 'response.failed');
      const answered = await post(u);
      assert.equal(answered.status, 200);
      assert.ok(answered.text.includes('image_generation_call'));
    });

    it('refuse-transparent: 400 invalid_value for background transparent (stream or not), the image otherwise; always=1 refuses all', async () => {
      const u = url('refuse-transparent');
      const transparent = (stream: boolean) => {
        const body = imageRequest({ stream }) as { tools: Record<string, unknown>[] };
        return { ...body, tools: [{ ...body.tools[0], background: 'transparent' }] };
      };
      for (const stream of [false, true]) {
        const refused = await post(u, transparent(stream), stream ? { accept: 'text/event-stream' } : {});
        assert.equal(refused.status, 400);
        const error = record(record(JSON.parse(refused.text)).error);
        assert.deepEqual([error.code, error.message], ['invalid_value', 'Transparent background is not supported for this model.']);
      }
      assert.equal((await post(u)).status, 200);
      assert.equal((await post(url('refuse-transparent', { always: '1' }))).status, 400);
    });

    it('mostInFlight counts the requests of one scenario URL open at the same moment', async () => {
      const u = url('slow', { delayMs: 30 });
      assert.equal(gw.mostInFlight(u), 0);
      await Promise.all([post(u), post(u), post(u)]);
      assert.equal(gw.mostInFlight(u), 3, 'three answers held 300 ms each, sent together');
      await post(u);
      assert.equal(gw.mostInFlight(u), 3, 'the most, not the last');
      assert.equal(gw.mostInFlight(url('ok')), 0, 'another scenario URL has its own count');
    });

    it('error-event-flat: flat event: error insufficient_quota', async () => {
      const last = checkFraming((await postStream(url('error-event-flat'))).text).at(-1)!;
      assert.deepEqual(last, { type: 'error', code: 'insufficient_quota', message: INSUFFICIENT_QUOTA_MESSAGE, sequence_number: 0 });
      assert.equal((await post(url('error-event-flat'))).status, 429);
    });

    it('error-event-nested: nested error event followed by response.failed', async () => {
      const events = checkFraming((await postStream(url('error-event-nested'))).text);
      const [error, failed] = events.slice(-2);
      assert.equal(error!.type, 'error');
      assert.deepEqual(error!.error, {
        message: INSUFFICIENT_QUOTA_MESSAGE,
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      });
      assert.equal(failed!.type, 'response.failed');
      assert.equal(record(record(failed!.response).error).code, 'insufficient_quota');
    });

    it('not-image: the result is base64 of an HTML page', async () => {
      const item = imageItemOf(list(record(JSON.parse((await post(url('not-image'))).text)).output))!;
      assert.equal(Buffer.from(String(item.result), 'base64').toString(), NOT_IMAGE_BODY);
      assert.equal(finalImageFromStream((await postStream(url('not-image'))).text).bytes.toString(), NOT_IMAGE_BODY);
    });

    it('huge: a body larger than params.bytes whose result is a valid PNG (both forms)', async () => {
      const bytes = 2 * 1024 * 1024;
      const plain = await post(url('huge', { bytes }));
      assert.ok(plain.text.length > bytes);
      const png = Buffer.from(String(imageItemOf(list(record(JSON.parse(plain.text)).output))!.result), 'base64');
      assert.equal(checkPng(png).width, 1024);
      const stream = await postStream(url('huge', { bytes }));
      assert.ok(stream.text.length > bytes);
      const events = checkFraming(stream.text);
      assert.equal(events.at(-1)!.type, 'response.completed');
      assert.equal(checkPng(finalImageFromStream(stream.text).bytes).width, 1024);
    });

    it('huge: the default body is over 70 MiB and is streamed (counted, not kept)', async () => {
      const u = url('huge');
      const res = await fetch(`${u}/v1/responses`, { method: 'POST', body: JSON.stringify(imageRequest()) });
      let total = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) total += chunk.byteLength;
      assert.ok(total > 70 * 1024 * 1024, `got ${total}`);
    });

    it('huge: stops writing when the client goes away', async () => {
      const u = url('huge');
      const controller = new AbortController();
      const res = await fetch(`${u}/v1/responses`, { method: 'POST', body: JSON.stringify(imageRequest()), signal: controller.signal });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      controller.abort();
      const outcome = await gw.waitForOutcome(u);
      assert.equal(outcome.finished, false);
    });

    it('reset-mid-body: part of the body, then the socket is destroyed (both forms)', async () => {
      await assert.rejects(async () => {
        await post(url('reset-mid-body'));
      });
      await assert.rejects(async () => {
        await postStream(url('reset-mid-body'));
      });
    });
  });

  describe('usage and quota (issue 13 item 6)', () => {
    const usageOf = (body: Json): { usage: unknown; toolUsage: unknown } => ({ usage: body.usage, toolUsage: body.tool_usage });
    const completedOf = (text: string): Json => record(checkFraming(text).find((e) => e.type === 'response.completed')!.response);

    it('by default: usage and tool_usage.image_gen, in the JSON body and in response.completed after the repeated image', async () => {
      const expected = {
        usage: { input_tokens: 1200, input_tokens_details: { cached_tokens: 0 }, output_tokens: 80, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1280 },
        toolUsage: { image_gen: { input_tokens: 49, output_tokens: 272, total_tokens: 321 } },
      };
      assert.deepEqual(usageOf(record(JSON.parse((await post(url('ok'))).text))), expected);
      const streamed = (await postStream(url('ok'))).text;
      const completed = completedOf(streamed);
      assert.deepEqual(usageOf(completed), expected);
      const frame = streamed.slice(streamed.indexOf('event: response.completed'));
      assert.ok(frame.indexOf('"result":"iVBOR') < frame.indexOf('"usage":{'), 'the usage follows the image it repeats, as on the wire');
      const opening = record(checkFraming(streamed)[0]!.response);
      assert.equal(opening.usage, null, 'no usage before the end');
    });

    it('usage=platform: the recorded platform usage, no tool_usage; usage=none: neither', async () => {
      for (const stream of [false, true]) {
        const body = (params: Record<string, string>) =>
          stream ? postStream(url('ok', params)).then((r) => completedOf(r.text)) : post(url('ok', params)).then((r) => record(JSON.parse(r.text)));
        assert.deepEqual(usageOf(await body({ usage: 'platform' })), { usage: PLATFORM_USAGE, toolUsage: undefined });
        assert.deepEqual(usageOf(await body({ usage: 'none' })), { usage: null, toolUsage: undefined });
      }
    });

    it('usage=hostile: negative, string, huge, fractional and deep counts beside one sound one', async () => {
      const body = record(JSON.parse((await post(url('ok', { usage: 'hostile' }))).text));
      const usage = record(body.usage);
      assert.equal(usage.input_tokens, -1200);
      assert.equal(usage.total_tokens, 1e300);
      assert.equal(usage.output_tokens, 80);
      assert.equal(record(usage.output_tokens_details).reasoning_tokens, '12');
      let depth = 0;
      for (let d: unknown = usage.input_tokens_details; typeof d === 'object' && d !== null; d = record(d).cached_tokens) depth++;
      assert.ok(depth > 100);
      assert.deepEqual(body.tool_usage, { image_gen: { input_tokens: 4.5, output_tokens: '272', total_tokens: -321 } });
    });

    it('codex-quota: the x-codex-* headers with an image, stream and not; used/weeklyUsed set the percentages', async () => {
      for (const reply of [await post(url('codex-quota')), await postStream(url('codex-quota', { used: 81.5, weeklyUsed: 100 }))]) {
        assert.equal(reply.status, 200);
        assert.equal(reply.headers.get('x-codex-primary-window-minutes'), '300');
        assert.equal(reply.headers.get('x-codex-secondary-window-minutes'), '10080');
        assert.equal(reply.headers.get('x-codex-plan-type'), 'plus');
        const resetAt = Number(reply.headers.get('x-codex-primary-reset-at'));
        assert.ok(Math.abs(resetAt - (Date.now() / 1000 + 15_780)) < 60);
      }
      const plain = await post(url('codex-quota'));
      assert.equal(plain.headers.get('x-codex-primary-used-percent'), '19');
      assert.equal(plain.headers.get('x-codex-secondary-used-percent'), '36');
      assert.ok(imageItemOf(list(record(JSON.parse(plain.text)).output)));
      const set = await postStream(url('codex-quota', { used: 81.5, weeklyUsed: 100 }));
      assert.equal(set.headers.get('x-codex-primary-used-percent'), '81.5');
      assert.equal(set.headers.get('x-codex-secondary-used-percent'), '100');
      assert.deepEqual(finalImageFromStream(set.text).bytes, tinyPng);
      assert.equal((await post(url('ok'))).headers.get('x-codex-primary-used-percent'), null, 'other scenarios send none');
    });

    it('codex-quota hostile=1: values no client may believe', async () => {
      const reply = await post(url('codex-quota', { hostile: 1 }));
      assert.equal(reply.headers.get('x-codex-primary-used-percent'), 'NaN');
      assert.equal(reply.headers.get('x-codex-secondary-window-minutes'), '1e300');
      assert.equal(reply.headers.get('x-codex-plan-type'), '[pro](command:workbench.action.terminal.new)');
    });
  });

  describe('never-ending answers', () => {
    /** Sends a request to the `ok` scenario and reads its answer to the end. */
    async function answeredInFull(): Promise<void> {
      const later = await fetch(`${url('ok')}/v1/responses`, { method: 'POST', body: JSON.stringify(imageRequest()) });
      assert.equal(later.status, 200);
      assert.ok((await later.arrayBuffer()).byteLength > 0);
    }

    it('hang: receives the request and never answers; the client can leave', { timeout: 10_000 }, async () => {
      const u = url('hang');
      const controller = new AbortController();
      const pending = fetch(`${u}/v1/responses`, { method: 'POST', body: JSON.stringify(imageRequest()), signal: controller.signal });
      let settled = false;
      pending.then(
        () => (settled = true),
        () => (settled = true),
      );
      const seen = await gw.waitForRequest(u);
      assert.equal(seen.attempt, 1);
      // "No answer" is proved by an event, not by a stretch of silence: a later request is answered in full meanwhile.
      await answeredInFull();
      assert.equal(settled, false, 'the hanging request got an answer');
      controller.abort();
      await assert.rejects(pending);
      assert.equal((await gw.waitForOutcome(u)).finished, false);
    });

    it('hang: close() ends the hanging connections instead of waiting for them', { timeout: 10_000 }, async () => {
      const own = await startTestGateway();
      const u = own.scenarioUrl('hang');
      const pending = fetch(`${u}/v1/responses`, { method: 'POST', body: '{}' });
      pending.catch(() => undefined);
      await own.waitForRequest(u);
      await own.close();
      await assert.rejects(pending);
    });

    it('hang-after-headers: headers and response.created, then nothing', { timeout: 10_000 }, async () => {
      const u = url('hang-after-headers');
      const { res, chunks } = await rawRequest(u, imageRequest({ stream: true }));
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'text/event-stream');
      if (chunks.length === 0) await once(res, 'data');
      let ended = false;
      res.once('end', () => (ended = true));
      // As above: a later request answered in full proves the gateway moved on while this answer did not end.
      await answeredInFull();
      assert.equal(ended, false);
      const events = parseSseJson(Buffer.concat(chunks).toString());
      assert.deepEqual(
        events.map((e) => e.json.type),
        ['response.created'],
      );
      res.destroy();
      const plain = await rawRequest(url('hang-after-headers'), imageRequest());
      assert.equal(plain.res.statusCode, 200);
      plain.res.destroy();
    });
  });

  describe('main.ts', () => {
    it('prints its base URL, serves, and exits on SIGTERM', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/gateway/main.ts', '--port', '0', '--key', KEY], {
        cwd: new URL('../..', import.meta.url).pathname,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /gateway listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const denied = await fetch(`${line}/v1/models`);
      assert.equal(denied.status, 401);
      const reply = await post(`${line}/s/partial-images/x1`);
      assert.equal(reply.status, 200);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0);
    });
  });

  describe('the Images route (issue 14)', () => {
    const imagesPost = async (base: string, kind: 'generations' | 'edits', body: string, contentType = 'application/json'): Promise<Reply> => {
      const res = await fetch(`${base}/v1/images/${kind}`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${KEY}` }, body });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
    const generation = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'gpt-image-2', prompt: PROMPT, n: 1, ...extra });
    const png64 = tinyPng.toString('base64');

    it('images-ok: JSON {created, data:[{b64_json}], usage}; the request recorded', async () => {
      const u = url('images-ok');
      const reply = await imagesPost(u, 'generations', generation());
      assert.equal(reply.status, 200);
      const body = record(JSON.parse(reply.text));
      assert.deepEqual(Buffer.from(String(record(list(body.data)[0]).b64_json), 'base64'), gw.imageFor(u));
      assert.equal(record(body.usage).total_tokens, 321);
      assert.equal(gw.requestsFor(u)[0]?.path.endsWith('/v1/images/generations'), true);
    });

    it('images-ok: a stream of partial_image events then completed; image_edit.* for edits', async () => {
      const u = url('images-ok');
      const reply = await imagesPost(u, 'generations', generation({ stream: true, partial_images: 2 }));
      assert.match(reply.headers.get('content-type') ?? '', /text\/event-stream/);
      const events = parseSseJson(reply.text);
      assert.deepEqual(events.map((e) => e.event), ['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
      assert.deepEqual(events.map((e) => e.json.partial_image_index), [0, 1, undefined]);
      assert.deepEqual(Buffer.from(String(events[0]?.json.b64_json), 'base64'), partialImageFor(0));
      assert.deepEqual(Buffer.from(String(events[2]?.json.b64_json), 'base64'), gw.imageFor(u));
      const edit = await imagesPost(u, 'edits', JSON.stringify({ model: 'gpt-image-2', prompt: PROMPT, images: [{ image_url: `data:image/png;base64,${png64}` }], stream: true }));
      assert.deepEqual(parseSseJson(edit.text).map((e) => e.event), ['image_edit.completed']);
    });

    it("CPA's checks: the free probe {} gets 400 prompt is required; a model it does not take and a body that is not JSON get 400", async () => {
      const u = url('images-ok');
      const probe = await imagesPost(u, 'generations', '{}');
      assert.equal(probe.status, 400);
      assert.equal(record(record(JSON.parse(probe.text)).error).message, 'Invalid request: prompt is required');
      const model = await imagesPost(u, 'generations', generation({ model: 'gpt-5.4' }));
      assert.match(record(record(JSON.parse(model.text)).error).message as string, /Model gpt-5\.4 is not supported on \/v1\/images\/generations/);
      const notJson = await imagesPost(u, 'generations', 'nope');
      assert.equal(record(record(JSON.parse(notJson.text)).error).message, 'Invalid request: body must be valid JSON');
      const badType = await imagesPost(u, 'edits', 'x', 'text/plain');
      assert.match(badType.text, /unsupported Content-Type \\"text\/plain\\"/);
    });

    it('images-error-event: a preview, then event: error with the nested, sanitized usage limit; non-stream 429', async () => {
      const u = url('images-error-event');
      const events = parseSseJson((await imagesPost(u, 'generations', generation({ stream: true, partial_images: 1 }))).text);
      assert.deepEqual(events.map((e) => e.event), ['image_generation.partial_image', 'error']);
      assert.deepEqual(events[1]?.json, { error: { type: 'usage_limit_reached', code: 'usage_limit_reached', message: USAGE_LIMIT_MESSAGE, param: null } });
      assert.equal((await imagesPost(u, 'generations', generation())).status, 429);
    });

    it('images-no-completed: previews and the end, no completed event; non-stream data []', async () => {
      const u = url('images-no-completed');
      const events = parseSseJson((await imagesPost(u, 'generations', generation({ stream: true }))).text);
      assert.deepEqual(events.map((e) => e.event), ['image_generation.partial_image']);
      assert.deepEqual(record(JSON.parse((await imagesPost(u, 'generations', generation())).text)).data, []);
    });

    it('images-error: each error shape of images-api.md §5', async () => {
      const expect: [string, number, RegExp][] = [
        ['disabled', 404, /^$/],
        ['unsupported-model', 400, /is not supported on \/v1\/images/],
        ['unknown-provider', 400, /"code":"model_not_found"/],
        ['no-auth', 503, /no auth available/],
        ['usage-limit', 429, /"resets_in_seconds":529498/],
        ['cooldown', 429, /"code":"model_cooldown".*"reset_seconds":3600/],
        ['eof', 500, /unexpected EOF/],
        ['moderation', 400, /"code":"moderation_blocked"/],
      ];
      for (const [shape, status, text] of expect) {
        const reply = await imagesPost(url('images-error', { shape }), 'generations', generation());
        assert.equal(reply.status, status, shape);
        assert.match(reply.text, text, shape);
      }
      const transparent = url('images-error', { shape: 'transparent' });
      assert.equal((await imagesPost(transparent, 'generations', generation({ background: 'transparent' }))).status, 400);
      assert.equal((await imagesPost(transparent, 'generations', generation({ background: 'opaque' }))).status, 200);
    });

    it('images-multipart-only: a JSON edit is refused for its Content-Type; the form is parsed and recorded, file bytes exact', async () => {
      const u = url('images-multipart-only');
      const json = await imagesPost(u, 'edits', JSON.stringify({ model: 'gpt-image-2', prompt: PROMPT, images: [{ image_url: `data:image/png;base64,${png64}` }] }));
      assert.equal(json.status, 400);
      assert.match(json.text, /unsupported Content-Type/);
      const form = new FormData();
      form.append('model', 'gpt-image-2');
      form.append('prompt', PROMPT);
      form.append('image[]', new Blob([new Uint8Array(tinyPng)], { type: 'image/png' }), 'a.png');
      form.append('mask', new Blob([new Uint8Array(tinyPng)], { type: 'image/png' }), 'm.png');
      const res = await fetch(`${u}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form });
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(String(record(list(record(await res.json()).data)[0]).b64_json), 'base64'), gw.imageFor(u));
      const recorded = gw.requestsFor(u)[1]?.form ?? [];
      assert.deepEqual(recorded.map((p) => p.name), ['model', 'prompt', 'image[]', 'mask']);
      assert.ok(recorded[2]?.data.equals(tinyPng));
      assert.equal(recorded[2]?.contentType, 'image/png');
      const noImage = new FormData();
      noImage.append('prompt', PROMPT);
      const refused = await fetch(`${u}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: noImage });
      assert.match(await refused.text(), /image is required/);
    });

    it('images-text-responses: text with tools [] on /v1/responses, gpt-image-2 in /v1/models, images on /v1/images', async () => {
      const u = url('images-text-responses');
      const text = record(JSON.parse((await post(u)).text));
      assert.deepEqual(text.tools, []);
      const models = record(await (await fetch(`${u}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json());
      assert.ok(list(models.data).some((m) => record(m).id === 'gpt-image-2'));
      assert.equal((await imagesPost(u, 'generations', generation())).status, 200);
    });

    it("images-tool-not-found: 400 Tool choice not found on /v1/responses, no image model listed, the probe answers", async () => {
      const u = url('images-tool-not-found');
      const reply = await post(u);
      assert.equal(reply.status, 400);
      assert.match(reply.text, new RegExp(TOOL_CHOICE_MESSAGE.replace(/[.()']/g, '.')));
      const models = record(await (await fetch(`${u}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json());
      assert.ok(!list(models.data).some((m) => String(record(m).id).startsWith('gpt-image')));
      assert.equal((await imagesPost(u, 'generations', '{}')).status, 400);
    });

    it('images-absent: text on /v1/responses and an empty 404 on /v1/images (the route off)', async () => {
      const u = url('images-absent');
      assert.deepEqual(record(JSON.parse((await post(u)).text)).tools, []);
      const reply = await imagesPost(u, 'generations', '{}');
      assert.equal(reply.status, 404);
      assert.equal(reply.text, '');
    });
  });

  after(() => {
    const missing = scenarioNames.filter((n) => !covered.has(n));
    assert.deepEqual(missing, [], 'every scenario is exercised by the gateway self-test');
  });
});
