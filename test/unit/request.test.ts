import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildModelsRequest, buildResponsesRequest, modelsUrl, responsesUrl } from '../../src/core/gateway/request';
import { GatewayError } from '../../src/core/errors';
import type { GatewaySettings } from '../../src/core/types';

function settings(overrides: Partial<GatewaySettings> = {}): GatewaySettings {
  return {
    baseUrl: 'http://127.0.0.1:8317',
    apiKey: 'sk-test-key-123456',
    model: 'gpt-5.4',
    instructions: 'you are a helpful assistant',
    identity: { userAgent: 'codex-tui/0.122.0', version: '0.122.0', originator: 'codex_cli_rs', sessionId: 'test-session' },
    stream: false,
    tool: { outputFormat: 'png' },
    timeoutMs: 600_000,
    maxResponseBytes: 64 * 1024 * 1024,
    retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 3, rateLimitRetries: 3 },
    ...overrides,
  };
}

describe('responsesUrl', () => {
  const cases: [string, string][] = [
    ['http://h:8317', 'http://h:8317/v1/responses'],
    ['http://h:8317/', 'http://h:8317/v1/responses'],
    ['http://h:8317/v1', 'http://h:8317/v1/responses'],
    ['http://h:8317/v1/', 'http://h:8317/v1/responses'],
    ['  http://h:8317/v1//  ', 'http://h:8317/v1/responses'],
    ['https://gw.example.com/v1/responses', 'https://gw.example.com/v1/responses'],
    ['https://gw.example.com/backend-api/codex/responses', 'https://gw.example.com/backend-api/codex/responses'],
    ['http://127.0.0.1:5/s/ok/abc', 'http://127.0.0.1:5/s/ok/abc/v1/responses'],
    ['http://127.0.0.1:5/s/ok/abc/', 'http://127.0.0.1:5/s/ok/abc/v1/responses'],
    ['http://127.0.0.1:5/s/ok/abc/v1', 'http://127.0.0.1:5/s/ok/abc/v1/responses'],
    ['http://127.0.0.1:5/s/rate/abc?delay=1.2', 'http://127.0.0.1:5/s/rate/abc/v1/responses?delay=1.2'],
    ['http://h:8317/v1#frag', 'http://h:8317/v1/responses'],
  ];
  for (const [base, expected] of cases) {
    it(`${JSON.stringify(base)} → ${expected}`, () => assert.equal(responsesUrl(base), expected));
  }

  for (const bad of ['ftp://h/v1', 'localhost:8317', 'file:///etc/passwd', 'not a url', '']) {
    it(`rejects ${JSON.stringify(bad)} with a config error`, () => {
      assert.throws(
        () => responsesUrl(bad),
        (err: unknown) => err instanceof GatewayError && err.kind === 'config' && /http:\/\/ or https:\/\/|not a valid URL/.test(err.message),
      );
    });
  }
});

describe('modelsUrl', () => {
  const cases: [string, string][] = [
    ['http://h:8317', 'http://h:8317/v1/models'],
    ['http://h:8317/', 'http://h:8317/v1/models'],
    ['http://h:8317/v1', 'http://h:8317/v1/models'],
    ['http://h:8317/v1/', 'http://h:8317/v1/models'],
    ['http://h:8317/v1/responses', 'http://h:8317/v1/models'],
    ['http://127.0.0.1:5/s/ok/abc', 'http://127.0.0.1:5/s/ok/abc/v1/models'],
    ['http://127.0.0.1:5/s/ok/abc?x=1', 'http://127.0.0.1:5/s/ok/abc/v1/models?x=1'],
  ];
  for (const [base, expected] of cases) {
    it(`${JSON.stringify(base)} → ${expected}`, () => assert.equal(modelsUrl(base), expected));
  }
  it('rejects a non-http URL', () => {
    assert.throws(() => modelsUrl('ws://h:8317'), (err: unknown) => err instanceof GatewayError && err.kind === 'config');
  });
});

describe('buildResponsesRequest', () => {
  it('sends exactly the body of SPEC §1 when nothing special is set, in that key order', () => {
    const req = buildResponsesRequest(settings(), { prompt: 'a cute squirrel' });
    assert.equal(
      req.body,
      '{"model":"gpt-5.4","input":"a cute squirrel","tools":[{"type":"image_generation","output_format":"png"}],' +
        '"instructions":"you are a helpful assistant","tool_choice":"auto","stream":false,"store":false}',
    );
    assert.equal(req.method, 'POST');
    assert.equal(req.url, 'http://127.0.0.1:8317/v1/responses');
  });

  it('sends the identity, auth and content headers, and accept: application/json without streaming', () => {
    const req = buildResponsesRequest(settings(), { prompt: 'x' });
    assert.deepEqual(req.headers, {
      authorization: 'Bearer sk-test-key-123456',
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'codex-tui/0.122.0',
      version: '0.122.0',
      originator: 'codex_cli_rs',
      session_id: 'test-session',
    });
  });

  it('streaming sets "stream": true and accept: text/event-stream', () => {
    const req = buildResponsesRequest(settings({ stream: true }), { prompt: 'x' });
    assert.equal(req.headers.accept, 'text/event-stream');
    assert.equal((JSON.parse(req.body ?? '') as { stream: boolean }).stream, true);
  });

  it('adds each optional tool field only when set, after output_format', () => {
    const all = buildResponsesRequest(
      settings({
        tool: { outputFormat: 'webp', size: '1024x1536', quality: 'high', background: 'transparent', outputCompression: 80, partialImages: 2, moderation: 'low' },
      }),
      { prompt: 'x' },
    );
    const body = JSON.parse(all.body ?? '') as { tools: Record<string, unknown>[] };
    assert.deepEqual(Object.entries(body.tools[0] ?? {}), [
      ['type', 'image_generation'],
      ['output_format', 'webp'],
      ['size', '1024x1536'],
      ['quality', 'high'],
      ['background', 'transparent'],
      ['output_compression', 80],
      ['partial_images', 2],
      ['moderation', 'low'],
    ]);

    const some = buildResponsesRequest(settings({ tool: { outputFormat: 'jpeg', quality: 'low', partialImages: 0 } }), { prompt: 'x' });
    assert.deepEqual((JSON.parse(some.body ?? '') as { tools: unknown[] }).tools, [
      { type: 'image_generation', output_format: 'jpeg', quality: 'low', partial_images: 0 },
    ]);
  });

  it('builds an edit as one user message with input_text and input_image data URLs, tool action "edit"', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
    const req = buildResponsesRequest(settings(), {
      prompt: 'make it blue',
      inputImages: [
        { mime: 'image/png', bytes: png },
        { mime: 'image/jpeg', bytes: jpeg.subarray(1) },
      ],
    });
    const body = JSON.parse(req.body ?? '') as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['model', 'input', 'tools', 'instructions', 'tool_choice', 'stream', 'store']);
    assert.deepEqual(body.input, [
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'make it blue' },
          { type: 'input_image', image_url: 'data:image/png;base64,iVBORw==' },
          // A view into a larger buffer encodes only its own bytes.
          { type: 'input_image', image_url: `data:image/jpeg;base64,${Buffer.from([0xd8, 0xff, 0xe0]).toString('base64')}` },
        ],
      },
    ]);
    assert.deepEqual(body.tools, [{ type: 'image_generation', action: 'edit', output_format: 'png' }]);
  });

  it('an empty inputImages list is a plain generation', () => {
    const req = buildResponsesRequest(settings(), { prompt: 'p', inputImages: [] });
    const body = JSON.parse(req.body ?? '') as { input: unknown; tools: Record<string, unknown>[] };
    assert.equal(body.input, 'p');
    assert.equal(body.tools[0]?.action, undefined);
  });

  it('throws a config error for a bad base URL', () => {
    assert.throws(() => buildResponsesRequest(settings({ baseUrl: 'localhost:8317' }), { prompt: 'x' }), (e: unknown) => e instanceof GatewayError && e.kind === 'config');
  });
});

describe('buildModelsRequest', () => {
  it('is an authenticated GET of /v1/models without a body', () => {
    const req = buildModelsRequest(settings({ baseUrl: 'http://h:1/v1/' }));
    assert.equal(req.method, 'GET');
    assert.equal(req.url, 'http://h:1/v1/models');
    assert.equal(req.body, undefined);
    assert.equal(req.headers.authorization, 'Bearer sk-test-key-123456');
    assert.equal(req.headers.accept, 'application/json');
    assert.equal(req.headers['content-type'], undefined);
    assert.equal(req.headers.originator, 'codex_cli_rs');
  });
});

describe('the size phrase (issue 12)', () => {
  const input = (s: GatewaySettings, request: Parameters<typeof buildResponsesRequest>[1] = { prompt: 'a fox' }) =>
    (JSON.parse(buildResponsesRequest(s, request).body ?? '') as { input: unknown }).input;

  it('states the asked size at the end of the prompt, besides sending it as size', () => {
    const s = settings({ sizePhrase: true, tool: { outputFormat: 'png', size: '1024x1536' } });
    assert.equal(input(s), 'a fox\n\nImage size: 1024×1536 (portrait).');
    const edit = input(s, { prompt: 'make it blue', inputImages: [{ mime: 'image/png', bytes: new Uint8Array([1]) }] }) as { content: { text?: string }[] }[];
    assert.equal(edit[0]?.content[0]?.text, 'make it blue\n\nImage size: 1024×1536 (portrait).');
  });

  it('adds nothing when turned off, for auto, or with no size', () => {
    assert.equal(input(settings({ sizePhrase: false, tool: { outputFormat: 'png', size: '1024x1536' } })), 'a fox');
    assert.equal(input(settings({ sizePhrase: true, tool: { outputFormat: 'png', size: 'auto' } })), 'a fox');
    assert.equal(input(settings({ sizePhrase: true, tool: { outputFormat: 'png' } })), 'a fox');
  });
});
