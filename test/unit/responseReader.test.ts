import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  echoedToolsLackImageGeneration,
  isErrorBody,
  modelText,
  parseJsonBody,
  readEventError,
  readHttpError,
  readImageFromResponse,
} from '../../src/core/gateway/responseReader';
import type { GatewayErrorKind } from '../../src/core/errors';

const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';
const NOW = Date.parse('2026-05-01T12:00:00Z');

/** The non-stream body of gateway.md §6.1, trimmed to the fields that matter. */
const CCSWITCH_RESPONSE = {
  id: 'resp_0894',
  object: 'response',
  status: 'completed',
  error: null,
  output: [
    {
      action: 'generate',
      id: 'ig_0894',
      output_format: 'png',
      result: PNG_B64,
      revised_prompt: 'A minimalist blue dot graphic on a pure white background.',
      size: '1024x1024',
      status: 'generating',
      type: 'image_generation_call',
    },
    { content: [{ annotations: [], text: '', type: 'output_text' }], id: 'msg_1', role: 'assistant', status: 'completed', type: 'message' },
  ],
  tool_choice: { type: 'image_generation' },
  tools: [{ type: 'image_generation', output_format: 'png', n: 1 }],
};

/** The degraded variant: tools stripped, prose instead of an image. */
const TEXT_FALLBACK_RESPONSE = {
  id: 'resp_text',
  object: 'response',
  status: 'completed',
  output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: "I can't generate images here." }] }],
  tool_choice: 'auto',
  tools: [],
};

describe('readImageFromResponse', () => {
  const cases: { name: string; json: unknown; expected: ReturnType<typeof readImageFromResponse> }[] = [
    {
      name: 'a completed response whose item says "generating" (gateway.md §1.2 quirk)',
      json: CCSWITCH_RESPONSE,
      expected: { base64: PNG_B64, revisedPrompt: 'A minimalist blue dot graphic on a pure white background.', size: '1024x1024' },
    },
    {
      name: 'the first item with a non-empty result wins, after reasoning and empty items',
      json: {
        output: [
          { type: 'reasoning', summary: [] },
          { type: 'image_generation_call', status: 'in_progress', result: null },
          { type: 'image_generation_call', status: 'completed', result: '' },
          { type: 'image_generation_call', status: 'completed', result: 'SECOND' },
          { type: 'image_generation_call', status: 'completed', result: 'THIRD' },
        ],
      },
      expected: { base64: 'SECOND' },
    },
    { name: 'an SSE response.output_item.done event', json: { type: 'response.output_item.done', output_index: 1, item: { type: 'image_generation_call', status: 'completed', result: 'AAA' } }, expected: { base64: 'AAA' } },
    { name: 'an SSE response.completed event', json: { type: 'response.completed', response: { output: [{ type: 'image_generation_call', result: 'BBB', size: '1536x1024' }] } }, expected: { base64: 'BBB', size: '1536x1024' } },
    { name: 'a bare item', json: { type: 'image_generation_call', result: 'CCC' }, expected: { base64: 'CCC' } },
    { name: 'a result wrapped as a data URL', json: { output: [{ type: 'image_generation_call', result: `data:image/png;base64,${PNG_B64}` }] }, expected: { base64: PNG_B64 } },
    { name: 'completed with empty output', json: { type: 'response.completed', response: { output: [] } }, expected: undefined },
    { name: 'a message item only', json: TEXT_FALLBACK_RESPONSE, expected: undefined },
    { name: 'output_item.done of a message', json: { type: 'response.output_item.done', item: { type: 'message', content: [] } }, expected: undefined },
    { name: 'a whitespace-only result', json: { output: [{ type: 'image_generation_call', result: '  ' }] }, expected: undefined },
    { name: 'not an object', json: 'iVBOR', expected: undefined },
    { name: 'null', json: null, expected: undefined },
    { name: 'output that is not an array', json: { output: { type: 'image_generation_call', result: 'X' } }, expected: undefined },
  ];
  for (const { name, json, expected } of cases) {
    it(name, () => assert.deepEqual(readImageFromResponse(json), expected));
  }
});

describe('echoedToolsLackImageGeneration', () => {
  const cases: [string, unknown, boolean][] = [
    ['tools: [] (stripped)', TEXT_FALLBACK_RESPONSE, true],
    ['tools without image_generation', { tools: [{ type: 'web_search' }] }, true],
    ['tools with image_generation', CCSWITCH_RESPONSE, false],
    ['no tools echo at all: unknown, not retried', { output: [] }, false],
    ['inside a response.completed event', { type: 'response.completed', response: { tools: [] } }, true],
    ['inside a response.completed event, tool present', { type: 'response.completed', response: { tools: [{ type: 'image_generation' }] } }, false],
    ['not an object', 'x', false],
  ];
  for (const [name, json, expected] of cases) it(name, () => assert.equal(echoedToolsLackImageGeneration(json), expected));
});

describe('modelText', () => {
  it("gathers the output_text of message items and skips empty ones", () => {
    const json = {
      output: [
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking' }] },
        { type: 'message', content: [{ type: 'output_text', text: 'First.' }, { type: 'output_text', text: '' }] },
        { type: 'message', content: [{ type: 'refusal', refusal: 'I cannot draw that.' }] },
        { type: 'message', content: [{ type: 'output_text', text: ' Second. ' }] },
      ],
    };
    assert.equal(modelText(json), 'First.\nI cannot draw that.\nSecond.');
  });
  it('reads inside an event and answers "" when there is no text', () => {
    assert.equal(modelText({ type: 'response.completed', response: TEXT_FALLBACK_RESPONSE }), "I can't generate images here.");
    assert.equal(modelText(CCSWITCH_RESPONSE), '');
    assert.equal(modelText(undefined), '');
  });
});

describe('readHttpError', () => {
  type Case = {
    name: string;
    status: number;
    body: string;
    headers?: Record<string, string>;
    kind: GatewayErrorKind;
    message: RegExp[];
    details?: Record<string, unknown>;
  };
  const cases: Case[] = [
    {
      name: '401 with a string error (CPA auth failure)',
      status: 401,
      body: '{"error":"Invalid API key"}',
      kind: 'auth',
      message: [/^The gateway rejected the API key \(401\)\. Run 'CPA Image: Set API Key' or check IMAGE_GEN_KEY\./, /Invalid API key/],
      details: { status: 401, gatewayMessage: 'Invalid API key' },
    },
    {
      name: '401 in the OpenAI shape',
      status: 401,
      body: '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}',
      kind: 'auth',
      message: [/Set API Key/],
      details: { code: 'invalid_api_key' },
    },
    { name: '403 permission', status: 403, body: '{"error":{"message":"Image generation is not enabled for this group","type":"permission_error"}}', kind: 'forbidden', message: [/\(403\)/, /not enabled for this group/] },
    { name: '403 insufficient_quota is a usage limit', status: 403, body: '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}', kind: 'usage_limit', message: [/quota/] },
    { name: '404', status: 404, body: '{"error":{"message":"The model gpt-x does not exist","code":"model_not_found"}}', kind: 'not_found', message: [/no such route or model/, /gpt-x/] },
    { name: '404 with an empty body', status: 404, body: '', kind: 'not_found', message: [/no such route or model/] },
    {
      name: '400 keeps the gateway words',
      status: 400,
      body: '{"error":{"message":"Tool choice \'image_generation\' not found in \'tools\' parameter.","type":"invalid_request_error","param":"tool_choice","code":null}}',
      kind: 'bad_request',
      message: [/\(400\)/, /Tool choice 'image_generation' not found/],
    },
    {
      name: '400 content policy (code)',
      status: 400,
      body: '{"error":{"message":"Your request was rejected as a result of our safety system.","type":"image_generation_user_error","code":"image_content_policy_violation"}}',
      kind: 'content_policy',
      message: [/refused by the content policy/, /safety system/],
      details: { code: 'image_content_policy_violation' },
    },
    { name: 'content_policy_violation code', status: 400, body: '{"error":{"code":"content_policy_violation","message":"Blocked."}}', kind: 'content_policy', message: [/content policy/, /Blocked\./] },
    { name: 'moderation_blocked code', status: 400, body: '{"error":{"code":"moderation_blocked","message":"no"}}', kind: 'content_policy', message: [/content policy/] },
    { name: 'message that mentions the safety system', status: 400, body: '{"error":{"message":"This request has been blocked by our safety system"}}', kind: 'content_policy', message: [/safety system/] },
    {
      name: '429 rate limit with "try again in 1.2s"',
      status: 429,
      body: '{"error":{"code":"rate_limit_exceeded","message":"Rate limit reached for gpt-5.4. Please try again in 1.2s."}}',
      kind: 'rate_limited',
      message: [/rate limiting/, /1\.2 s/],
      details: { retryAfterMs: 1200, code: 'rate_limit_exceeded' },
    },
    { name: '429 with Retry-After header', status: 429, body: '{"error":{"code":"rate_limit_exceeded","message":"slow down"}}', headers: { 'retry-after': '3' }, kind: 'rate_limited', message: [/rate limiting/], details: { retryAfterMs: 3000 } },
    { name: '429 without a stated delay', status: 429, body: '{"error":{"message":"Too many requests"}}', kind: 'rate_limited', message: [/rate limiting/], details: { retryAfterMs: undefined } },
    {
      name: '429 model_cooldown with reset_seconds',
      status: 429,
      body: '{"error":{"code":"model_cooldown","message":"All credentials for model gpt-5.4 are cooling down via provider codex","model":"gpt-5.4","provider":"codex","reset_seconds":10,"reset_time":"10s"}}',
      kind: 'rate_limited',
      message: [/cooling down/],
      details: { retryAfterMs: 10_000 },
    },
    {
      name: '429 usage_limit_reached with resets_at',
      status: 429,
      body: `{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"free","resets_at":${NOW / 1000 + 3600},"resets_in_seconds":3600}}`,
      kind: 'usage_limit',
      message: [/usage limit/, /resets at 2026-05-01T13:00:00\.000Z \(in about 60 min\)/],
      details: { resetsAt: NOW + 3_600_000, code: 'usage_limit_reached' },
    },
    {
      name: '429 usage_limit_reached with only resets_in_seconds',
      status: 429,
      body: '{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_in_seconds":60}}',
      kind: 'usage_limit',
      message: [/resets at 2026-05-01T12:01:00\.000Z/],
      details: { resetsAt: NOW + 60_000 },
    },
    {
      name: 'a reset days away is said in days',
      status: 429,
      body: '{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_in_seconds":529498}}',
      kind: 'usage_limit',
      message: [/resets at 2026-05-07T15:04:58\.000Z \(in about 6 days\)/],
    },
    { name: '429 insufficient_quota', status: 429, body: '{"error":{"code":"insufficient_quota","message":"quota"}}', kind: 'usage_limit', message: [/Wait until it resets/] },
    {
      name: '408 stream disconnected (CPA) is a retryable server error',
      status: 408,
      body: '{"error":{"message":"stream error: stream disconnected before completion: stream closed before response.completed","type":"invalid_request_error"}}',
      kind: 'server',
      message: [/failed \(408\)/, /stream disconnected/],
      details: { retryable: true },
    },
    { name: '500', status: 500, body: '{"error":{"message":"boom","type":"server_error","code":"internal_server_error"}}', kind: 'server', message: [/\(500\)/, /boom/], details: { retryable: true } },
    { name: '503 plain text', status: 503, body: 'Service Unavailable', kind: 'server', message: [/\(503\)/, /Service Unavailable/], details: { retryable: true, excerpt: 'Service Unavailable' } },
    { name: '503 with Retry-After', status: 503, body: '', headers: { 'retry-after': '2' }, kind: 'server', message: [/\(503\)/], details: { retryable: true, retryAfterMs: 2000 } },
    { name: '501 is not transient', status: 501, body: '{"error":"not implemented"}', kind: 'server', message: [/\(501\)/], details: { retryable: false } },
    {
      name: '502 HTML page from a proxy',
      status: 502,
      body: '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>',
      headers: { 'content-type': 'text/html' },
      kind: 'server',
      message: [/the gateway returned an HTML page \(status 502\) instead of JSON — a proxy in front of it may be failing/i, /502 Bad Gateway/],
      details: { retryable: true, status: 502 },
    },
    {
      name: 'HTML under 200 is a protocol error',
      status: 200,
      body: '<html><body><h1>Welcome to nginx!</h1></body></html>',
      kind: 'protocol',
      message: [/HTML page \(status 200\)/, /Welcome to nginx!/],
    },
    {
      name: 'truncated JSON under 200',
      status: 200,
      body: '{"id":"resp_1","output":[{"type":"image_generation_call","result":"iVBOR',
      kind: 'protocol',
      message: [/not valid JSON/, /\{"id":"resp_1"/],
      details: { retryable: true },
    },
    { name: 'empty body under 200', status: 200, body: '\n\n', kind: 'protocol', message: [/empty body/] },
    {
      name: 'an error JSON under 200 after keep-alive blank lines (CPA quirk)',
      status: 200,
      body: '\n\n\n{"error":{"code":"rate_limit_exceeded","message":"Rate limit reached. Please try again in 2s."}}',
      kind: 'rate_limited',
      message: [/rate limiting/],
      details: { retryAfterMs: 2000, status: 200 },
    },
    { name: 'a failed Response object under 200', status: 200, body: '{"object":"response","status":"failed","error":{"code":"server_error","message":"upstream died"}}', kind: 'server', message: [/upstream died/], details: { retryable: true } },
    { name: 'an unknown error code under 200 is a server error that is not retried', status: 200, body: '{"error":{"code":"weird","message":"odd"}}', kind: 'server', message: [/odd/], details: { retryable: false } },
    { name: 'flat {"message"} body', status: 400, body: '{"message":"Bad thing"}', kind: 'bad_request', message: [/Bad thing/] },
    { name: 'FastAPI {"detail"} body', status: 422, body: '{"detail":"field required"}', kind: 'bad_request', message: [/field required/] },
    { name: 'flat error-event shape as a body', status: 400, body: '{"type":"error","code":"invalid_prompt","message":"bad prompt"}', kind: 'bad_request', message: [/bad prompt/], details: { code: 'invalid_prompt' } },
    {
      name: '302 redirect is refused and names the origin',
      status: 302,
      body: '',
      headers: { location: 'https://evil.example.net/collect?x=1' },
      kind: 'config',
      message: [/redirected the request \(302\) to https:\/\/evil\.example\.net/, /API key was not sent there/],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const error = readHttpError(c.status, c.headers ?? {}, c.body, NOW);
      assert.equal(error.kind, c.kind, error.message);
      for (const pattern of c.message) assert.match(error.message, pattern);
      for (const [key, value] of Object.entries(c.details ?? {})) {
        assert.deepEqual((error.details as Record<string, unknown>)[key], value, `details.${key}`);
      }
    });
  }

  it('shortens a very long gateway message', () => {
    const error = readHttpError(400, {}, JSON.stringify({ error: { message: 'x'.repeat(5000) } }), NOW);
    assert.ok(error.message.length < 600, String(error.message.length));
    assert.ok(error.details.gatewayMessage?.endsWith('…'));
  });

  it('uses the system time when no "now" is given', () => {
    const before = Date.now();
    const error = readHttpError(429, {}, '{"error":{"type":"usage_limit_reached","resets_in_seconds":10}}');
    assert.ok((error.details.resetsAt ?? 0) >= before + 10_000);
  });
});

describe('readEventError', () => {
  const cases: { name: string; data: unknown; kind: GatewayErrorKind | undefined; message?: RegExp; details?: Record<string, unknown> }[] = [
    {
      name: 'flat error event (CPA for non-Codex clients)',
      data: { type: 'error', code: 'rate_limit_exceeded', message: 'Rate limit reached for … Please try again in 1.2s. …', sequence_number: 0 },
      kind: 'rate_limited',
      details: { retryAfterMs: 1200, code: 'rate_limit_exceeded' },
    },
    {
      name: 'nested error event (OpenAI platform)',
      data: { type: 'error', sequence_number: 2, error: { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota.', param: null } },
      kind: 'usage_limit',
      message: /exceeded your current quota/,
    },
    {
      name: 'response.failed with response.error (CPA for Codex clients)',
      data: { type: 'response.failed', sequence_number: 0, response: { status: 'failed', error: { code: 'rate_limit_exceeded', message: 'Please try again in 11.054s.' } } },
      kind: 'rate_limited',
      details: { retryAfterMs: 11_054 },
    },
    {
      name: 'response.failed for a content policy refusal',
      data: { type: 'response.failed', response: { status: 'failed', error: { code: 'image_content_policy_violation', message: 'Rejected by the safety system.' } } },
      kind: 'content_policy',
      message: /refused by the content policy.*safety system/,
    },
    { name: 'response.failed without an error', data: { type: 'response.failed', response: { status: 'failed' } }, kind: 'server', message: /failed without a reason/, details: { retryable: false } },
    { name: 'internal_server_error is transient', data: { type: 'error', code: 'internal_server_error', message: 'upstream stream closed before a terminal event' }, kind: 'server', details: { retryable: true } },
    { name: 'request_timeout (CPA 408 in-stream)', data: { type: 'error', code: 'request_timeout', message: 'stream error: stream disconnected before completion' }, kind: 'server', details: { retryable: true } },
    { name: 'invalid_api_key in the stream', data: { type: 'error', code: 'invalid_api_key', message: 'bad key' }, kind: 'auth', message: /Set API Key/ },
    { name: 'model_not_found in the stream', data: { type: 'error', code: 'model_not_found', message: 'nope' }, kind: 'not_found' },
    { name: 'usage_limit_reached with resets_in_seconds', data: { type: 'error', error: { type: 'usage_limit_reached', message: 'limit', resets_in_seconds: 120 } }, kind: 'usage_limit', details: { resetsAt: NOW + 120_000 } },
    { name: 'status field maps an unknown code', data: { type: 'error', error: { code: 'whatever', message: 'm', status: 403 } }, kind: 'forbidden' },
    { name: 'a normal event is no error', data: { type: 'response.completed', response: { status: 'completed' } }, kind: undefined },
    { name: 'a delta is no error', data: { type: 'response.output_text.delta', delta: 'hi' }, kind: undefined },
    { name: 'not an object', data: 'error', kind: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const error = readEventError(c.data, NOW);
      assert.equal(error?.kind, c.kind);
      if (c.message) assert.match(error?.message ?? '', c.message);
      for (const [key, value] of Object.entries(c.details ?? {})) {
        assert.deepEqual((error?.details as Record<string, unknown>)[key], value, `details.${key}`);
      }
    });
  }
});

describe('parseJsonBody and isErrorBody', () => {
  it('tolerates leading blank lines and a BOM', () => {
    assert.deepEqual(parseJsonBody('\n\n\r\n  {"a":1}\n'), { ok: true, value: { a: 1 } });
    assert.deepEqual(parseJsonBody('\uFEFF{"a":1}'), { ok: true, value: { a: 1 } });
    assert.deepEqual(parseJsonBody('{"a":'), { ok: false });
    assert.deepEqual(parseJsonBody('   '), { ok: false });
  });
  it('tells error bodies from responses', () => {
    assert.equal(isErrorBody({ error: 'x' }), true);
    assert.equal(isErrorBody({ error: { message: 'x' } }), true);
    assert.equal(isErrorBody(CCSWITCH_RESPONSE), false);
    assert.equal(isErrorBody(TEXT_FALLBACK_RESPONSE), false);
    assert.equal(isErrorBody({ object: 'response', status: 'failed', error: { message: 'x' } }), true);
  });
});

describe('resets_at in milliseconds (issue 10, planted bug: milliseconds read as seconds, a reset in the year 58000)', () => {
  it('a usage limit whose resets_at is epoch milliseconds resets in an hour, not in 56 000 years', () => {
    const body = JSON.stringify({ error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', resets_at: NOW + 3_600_000 } });
    const error = readHttpError(429, {}, body, NOW);
    assert.equal(error.kind, 'usage_limit');
    assert.equal(error.details.resetsAt, NOW + 3_600_000);
    assert.match(error.message, /resets at 2026-05-01T13:00:00\.000Z \(in about 60 min\)/);
    assert.doesNotMatch(error.message, /\+0\d{5}|days\)/, 'no date tens of thousands of years away');
  });

  it('seconds and milliseconds for the same moment give the same reset time', () => {
    const inSeconds = readHttpError(429, {}, JSON.stringify({ error: { type: 'usage_limit_reached', resets_at: NOW / 1000 + 90 } }), NOW);
    const inMs = readHttpError(429, {}, JSON.stringify({ error: { type: 'usage_limit_reached', resets_at: NOW + 90_000 } }), NOW);
    assert.equal(inSeconds.details.resetsAt, NOW + 90_000);
    assert.equal(inMs.details.resetsAt, NOW + 90_000);
    assert.equal(inMs.message, inSeconds.message);
  });
});
