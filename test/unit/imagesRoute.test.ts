/**
 * The Images route's pure parts (issue 14): the URLs, the request bodies (generations, edits as JSON, the multipart
 * form), the Responses route's mask, the edit checks, the `auto` route's readings of the gateway, and the settings
 * (cpaImage.api, cpaImage.imageModel) with their sources.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewaySettings } from '../../src/core/types';
import { GatewayError } from '../../src/core/errors';
import { buildResponsesRequest, imagesUrl } from '../../src/core/gateway/request';
import { buildImagesMultipartEdit, buildImagesProbeRequest, buildImagesRequest } from '../../src/core/gateway/imagesRequest';
import { checkEditInputs } from '../../src/core/gateway/editInputs';
import { imageToolUnavailable, jsonEditRefused, listsImageModel, probeShowsImagesRoute } from '../../src/core/gateway/routeChoice';
import { describeResolvedConfig, resolveConfig, toGatewaySettings } from '../../src/core/config/config';
import { makePng, tinyJpeg } from '../gateway/images';

function settings(overrides: Partial<GatewaySettings> = {}): GatewaySettings {
  return {
    baseUrl: 'http://127.0.0.1:8317/v1',
    apiKey: 'sk-test-key-123456',
    model: 'gpt-5.4',
    instructions: 'you are a helpful assistant',
    identity: { userAgent: 'codex-tui/0.122.0', version: '0.122.0', originator: 'codex_cli_rs', sessionId: 'test-session' },
    stream: false,
    tool: { outputFormat: 'png' },
    timeoutMs: 600_000,
    maxResponseBytes: 64 * 1024 * 1024,
    retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 3, rateLimitRetries: 3 },
    api: 'images',
    imageModel: 'gpt-image-2',
    ...overrides,
  };
}

const PHOTO = makePng(8, 8, { seed: 1 });
const MASK = makePng(8, 8, { seed: 2 });
const png = (bytes: Buffer) => ({ mime: 'image/png', bytes });
const dataUrl = (bytes: Buffer) => `data:image/png;base64,${bytes.toString('base64')}`;

describe('imagesUrl', () => {
  const cases: [string, string, string][] = [
    ['http://h:8317', 'generations', 'http://h:8317/v1/images/generations'],
    ['http://h:8317/v1/', 'edits', 'http://h:8317/v1/images/edits'],
    ['https://gw.example.com/v1/responses', 'generations', 'https://gw.example.com/v1/images/generations'],
    ['http://127.0.0.1:5/s/ok/abc', 'edits', 'http://127.0.0.1:5/s/ok/abc/v1/images/edits'],
  ];
  for (const [base, kind, url] of cases) {
    it(`${base} → ${url}`, () => assert.equal(imagesUrl(base, kind as 'generations' | 'edits'), url));
  }
});

describe('buildImagesRequest', () => {
  it('a generation: the image model and the fields in the documented order, each only when set', () => {
    const request = buildImagesRequest(
      settings({ stream: true, sizePhrase: false, tool: { outputFormat: 'webp', size: '1024x1536', quality: 'high', background: 'opaque', outputCompression: 80, partialImages: 2, moderation: 'low' } }),
      { prompt: 'a fox' },
    );
    assert.equal(request.url, 'http://127.0.0.1:8317/v1/images/generations');
    assert.equal(request.headers.accept, 'text/event-stream');
    assert.equal(request.headers.authorization, 'Bearer sk-test-key-123456');
    assert.deepEqual(Object.entries(JSON.parse(request.body ?? '') as object), [
      ['model', 'gpt-image-2'],
      ['prompt', 'a fox'],
      ['size', '1024x1536'],
      ['quality', 'high'],
      ['background', 'opaque'],
      ['output_format', 'webp'],
      ['output_compression', 80],
      ['moderation', 'low'],
      ['n', 1],
      ['stream', true],
      ['partial_images', 2],
    ]);
  });

  it('without a stream: stream false, no partial_images, accept application/json', () => {
    const request = buildImagesRequest(settings({ tool: { outputFormat: 'png', partialImages: 2 } }), { prompt: 'a fox' });
    assert.equal(request.headers.accept, 'application/json');
    assert.deepEqual(JSON.parse(request.body ?? ''), { model: 'gpt-image-2', prompt: 'a fox', output_format: 'png', n: 1, stream: false });
  });

  it('an edit: POST /v1/images/edits with images [{image_url}] and mask {image_url} as data URLs', () => {
    const request = buildImagesRequest(settings(), { prompt: 'add a hat', inputImages: [png(PHOTO), { mime: 'image/jpeg', bytes: tinyJpeg }], mask: png(MASK) });
    assert.equal(request.url, 'http://127.0.0.1:8317/v1/images/edits');
    const body = JSON.parse(request.body ?? '') as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).slice(0, 4), ['model', 'prompt', 'images', 'mask']);
    assert.deepEqual(body.images, [{ image_url: dataUrl(PHOTO) }, { image_url: `data:image/jpeg;base64,${tinyJpeg.toString('base64')}` }]);
    assert.deepEqual(body.mask, { image_url: dataUrl(MASK) });
  });

  it('the style and the size phrase reach the prompt, as on the Responses route', () => {
    const request = buildImagesRequest(settings({ sizePhrase: true, tool: { outputFormat: 'png', size: '1536x1024' }, style: { name: 'diagram', text: 'Flat diagram.' } }), { prompt: 'a fox' });
    const prompt = (JSON.parse(request.body ?? '') as { prompt: string }).prompt;
    assert.match(prompt, /^a fox/);
    assert.match(prompt, /Flat diagram\./);
    assert.match(prompt, /1536/);
  });

  it('no image model: a config error, not a request', () => {
    assert.throws(() => buildImagesRequest(settings({ imageModel: ' ' }), { prompt: 'x' }), (err: unknown) => err instanceof GatewayError && err.kind === 'config');
  });

  it('the free probe is {} on /v1/images/generations', () => {
    const probe = buildImagesProbeRequest(settings());
    assert.equal(probe.url, 'http://127.0.0.1:8317/v1/images/generations');
    assert.equal(probe.body, '{}');
  });
});

describe('buildImagesMultipartEdit', () => {
  it('text fields, image[] files and the mask file with their types and exact bytes; stream only when true', () => {
    const request = buildImagesMultipartEdit(settings({ tool: { outputFormat: 'png', quality: 'low' } }), { prompt: 'add a hat', inputImages: [png(PHOTO)], mask: png(MASK) }, 'BOUNDARY');
    assert.equal(request.url, 'http://127.0.0.1:8317/v1/images/edits');
    assert.equal(request.headers['content-type'], 'multipart/form-data; boundary=BOUNDARY');
    assert.equal(request.body, undefined);
    const form = Buffer.from(request.formBody ?? new Uint8Array());
    const expected = Buffer.concat([
      Buffer.from('--BOUNDARY\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-image-2\r\n'),
      Buffer.from('--BOUNDARY\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nadd a hat\r\n'),
      Buffer.from('--BOUNDARY\r\nContent-Disposition: form-data; name="image[]"; filename="image-1.png"\r\nContent-Type: image/png\r\n\r\n'),
      PHOTO,
      Buffer.from('\r\n--BOUNDARY\r\nContent-Disposition: form-data; name="mask"; filename="mask.png"\r\nContent-Type: image/png\r\n\r\n'),
      MASK,
      Buffer.from('\r\n--BOUNDARY\r\nContent-Disposition: form-data; name="quality"\r\n\r\nlow\r\n'),
      Buffer.from('--BOUNDARY\r\nContent-Disposition: form-data; name="output_format"\r\n\r\npng\r\n'),
      Buffer.from('--BOUNDARY\r\nContent-Disposition: form-data; name="n"\r\n\r\n1\r\n'),
      Buffer.from('--BOUNDARY--\r\n'),
    ]);
    assert.ok(form.equals(expected), form.toString('latin1'));
  });

  it('a prompt that holds the boundary is refused', () => {
    assert.throws(() => buildImagesMultipartEdit(settings(), { prompt: 'x --B y', inputImages: [png(PHOTO)] }, 'B'), /form boundary/);
  });
});

describe('the Responses route with a mask', () => {
  it('the tool gets input_image_mask {image_url}; the image goes as input_image', () => {
    const request = buildResponsesRequest(settings({ api: 'responses' }), { prompt: 'add a hat', inputImages: [png(PHOTO)], mask: png(MASK) });
    const body = JSON.parse(request.body ?? '') as { input: { content: { type: string; image_url?: string }[] }[]; tools: Record<string, unknown>[] };
    assert.deepEqual(body.input[0]?.content.filter((c) => c.type === 'input_image').map((c) => c.image_url), [dataUrl(PHOTO)]);
    assert.deepEqual(body.tools[0]?.input_image_mask, { image_url: dataUrl(MASK) });
    assert.equal(body.tools[0]?.action, 'edit');
  });

  it('no mask: no input_image_mask', () => {
    const request = buildResponsesRequest(settings({ api: 'responses' }), { prompt: 'add a hat', inputImages: [png(PHOTO)] });
    assert.equal('input_image_mask' in ((JSON.parse(request.body ?? '') as { tools: object[] }).tools[0] ?? {}), false);
  });
});

describe('checkEditInputs', () => {
  const refuses = (request: Parameters<typeof checkEditInputs>[0], message: RegExp) =>
    assert.throws(() => checkEditInputs(request), (err: unknown) => err instanceof GatewayError && err.kind === 'config' && message.test(err.message));
  it('takes 16 images and a PNG mask of the first image\'s size', () => {
    checkEditInputs({ inputImages: Array.from({ length: 16 }, () => png(PHOTO)), mask: png(MASK) });
  });
  it('17 images', () => refuses({ inputImages: Array.from({ length: 17 }, () => png(PHOTO)) }, /at most 16 images; 17 were given/));
  it('a mask without an image', () => refuses({ mask: png(MASK) }, /needs an image to edit/));
  it('a JPEG mask', () => refuses({ inputImages: [png(PHOTO)], mask: { mime: 'image/jpeg', bytes: tinyJpeg } }, /must be a PNG/));
  it('a mask of another size', () => refuses({ inputImages: [png(PHOTO)], mask: png(makePng(9, 8)) }, /mask is 9x8 but the image is 8x8/));
  it('a mask of 4 MB or more', () => {
    const big = Buffer.concat([MASK, Buffer.alloc(4 * 1024 * 1024)]);
    refuses({ inputImages: [png(PHOTO)], mask: png(big) }, /under 4 MB/);
  });
});

describe('the auto route: what the gateway showed', () => {
  const error = (kind: GatewayError['kind'], message: string, details: GatewayError['details'] = {}) => new GatewayError(kind, message, details);
  it('a text answer after the retries is a missing tool', () => {
    assert.equal(imageToolUnavailable(error('no_image', 'Stopped after 3 attempts: The gateway answered with text instead of an image: the image_generation tool did not reach the model')), 'text_fallback');
  });
  it("Tool choice 'image_generation' not found", () => {
    assert.equal(imageToolUnavailable(error('bad_request', "The gateway rejected the request (400). The gateway said: \"Tool choice 'image_generation' not found in 'tools' parameter.\"", { status: 400 })), 'tool_not_found');
  });
  it('a 403 that names the tool; a 403 that does not is not the route', () => {
    assert.equal(imageToolUnavailable(error('forbidden', 'refused', { gatewayMessage: 'image_generation is not enabled for this group' })), 'tool_forbidden');
    assert.equal(imageToolUnavailable(error('forbidden', 'refused', { gatewayMessage: 'region not supported' })), undefined);
  });
  it('rate limits, keys, policy refusals and responses stopped early are not the route', () => {
    assert.equal(imageToolUnavailable(error('rate_limited', 'later')), undefined);
    assert.equal(imageToolUnavailable(error('auth', 'key')), undefined);
    assert.equal(imageToolUnavailable(error('no_image', 'refused', { code: 'content_filter' })), undefined);
    assert.equal(imageToolUnavailable(error('no_image', 'The response stopped early (the gateway gave no reason) before an image was made.')), undefined);
  });
  it('an image model in /v1/models: the configured one or any gpt-image-*', () => {
    assert.equal(listsImageModel(['gpt-5.4', 'gpt-image-2'], 'gpt-image-2'), true);
    assert.equal(listsImageModel(['gpt-5.4', 'codex/gpt-image-1.5'], 'gpt-image-2'), true);
    assert.equal(listsImageModel(['my-painter'], 'my-painter'), true);
    assert.equal(listsImageModel(['gpt-5.4', 'gpt-5.5'], 'gpt-image-2'), false);
  });
  it('the probe: a 400 about the prompt means the route is there; an empty 404 or anything else does not', () => {
    assert.equal(probeShowsImagesRoute(400, '{"error":{"message":"Invalid request: prompt is required","type":"invalid_request_error"}}'), true);
    assert.equal(probeShowsImagesRoute(404, ''), false);
    assert.equal(probeShowsImagesRoute(401, '{"error":"Invalid API key"}'), false);
    assert.equal(probeShowsImagesRoute(400, '{"error":{"message":"model is required"}}'), false);
  });
  it('a refused JSON edit: 415, or a 400 about the content type or a missing image file', () => {
    assert.equal(jsonEditRefused(error('bad_request', 'x', { status: 415 })), true);
    assert.equal(jsonEditRefused(error('bad_request', 'x', { status: 400, gatewayMessage: 'Invalid request: unsupported Content-Type "application/json"' })), true);
    assert.equal(jsonEditRefused(error('bad_request', 'x', { status: 400, gatewayMessage: 'Invalid request: image is required' })), true);
    assert.equal(jsonEditRefused(error('bad_request', 'x', { status: 400, gatewayMessage: 'Transparent background is not supported' })), false);
    assert.equal(jsonEditRefused(error('server', 'x', { status: 500, gatewayMessage: 'content-type' })), false);
  });
});

describe('cpaImage.api and cpaImage.imageModel', () => {
  const base = { IMAGE_GEN_BASE_URL: 'http://127.0.0.1:8317', IMAGE_GEN_KEY: 'sk-x-123456' };
  it('defaults: responses and gpt-image-2, shown with their sources', () => {
    const resolved = resolveConfig({ settings: {}, env: base });
    assert.deepEqual(resolved.api, { value: 'responses', source: 'default' });
    assert.deepEqual(resolved.imageModel, { value: 'gpt-image-2', source: 'default' });
    const rows = describeResolvedConfig(resolved);
    assert.deepEqual(rows.find((r) => r.name === 'Route'), { name: 'Route', value: 'responses', source: 'default' });
    assert.deepEqual(rows.find((r) => r.name === 'Image model'), { name: 'Image model', value: 'gpt-image-2', source: 'default' });
  });
  it('the setting wins over the environment; any case is accepted', () => {
    const resolved = resolveConfig({ settings: { api: 'Images', imageModel: 'gpt-image-1.5' }, env: { ...base, IMAGE_GEN_API: 'auto', IMAGE_GEN_IMAGE_MODEL: 'gpt-image-2' } });
    assert.deepEqual(resolved.api, { value: 'images', source: 'setting cpaImage.api' });
    assert.deepEqual(resolved.imageModel, { value: 'gpt-image-1.5', source: 'setting cpaImage.imageModel' });
    const env = resolveConfig({ settings: {}, env: { ...base, IMAGE_GEN_API: 'auto' } });
    assert.deepEqual(env.api, { value: 'auto', source: 'environment IMAGE_GEN_API' });
  });
  it('an unknown route is a configuration error naming the three', () => {
    const resolved = resolveConfig({ settings: { api: 'dalle' }, env: base });
    assert.throws(() => toGatewaySettings(resolved, { api: 'dalle' }), /route 'dalle' \(from setting cpaImage.api\) is not known\. Use responses, images or auto/);
  });
  it('on the Images route (and auto) the image model must be an image model; the text model rule stays for responses', () => {
    const text = resolveConfig({ settings: { api: 'images', imageModel: 'gpt-5.4' }, env: base });
    assert.throws(() => toGatewaySettings(text, {}), /image model 'gpt-5\.4' \(from setting cpaImage.imageModel\) is not an image model/);
    const auto = resolveConfig({ settings: { api: 'auto', model: 'gpt-image-2' }, env: base });
    assert.throws(() => toGatewaySettings(auto, {}), /is an image model and cannot be used as the request model/);
    const images = resolveConfig({ settings: { api: 'images', model: 'gpt-image-2' }, env: base });
    const s = toGatewaySettings(images, {});
    assert.equal(s.api, 'images');
    assert.equal(s.imageModel, 'gpt-image-2');
    const responses = resolveConfig({ settings: { imageModel: 'anything' }, env: base });
    assert.equal(toGatewaySettings(responses, {}).api, 'responses', 'the image model is not checked where it is not used');
  });
});
