/**
 * The test gateway's Images route (issue 14, /work/shared/research/images-api.md): `POST /v1/images/generations` and
 * `POST /v1/images/edits` answered as CLIProxyAPI does. The checks CPA's handler makes come first (an empty 404 where
 * the route is off, 400 for a body that is not JSON, a missing prompt, an unsupported model, a form without an image,
 * an unsupported Content-Type), so the free probe (`{}`) is refused for its missing prompt; then the scenario answers:
 * a JSON body `{"created","data":[{"b64_json"}],"usage"}` (§3), or a stream of `image_generation.partial_image` and
 * `image_generation.completed` (`image_edit.*` for edits) in the shape of CPA's own test upstream (§4).
 */
import { endResponse, pause, partialImageFor, sendJson, servedImageFor, write, type ScenarioContext } from './scenarios';
import type { FormPart } from './multipart';

export type ImagesKind = 'generations' | 'edits';

/** What the client sent, from the JSON body or the form. */
interface ImagesRequest {
  fields: Record<string, unknown>;
  /** The images as data URLs (JSON) or files (form). */
  imageCount: number;
  hasMask: boolean;
  stream: boolean;
  partialImages: number;
}

export const IMAGES_PROMPT_REQUIRED = 'Invalid request: prompt is required';
export const IMAGES_USAGE = { input_tokens: 49, input_tokens_details: { image_tokens: 0, text_tokens: 49 }, output_tokens: 272, total_tokens: 321 };
export const IMAGES_EOF_MESSAGE = 'Post "https://chatgpt.com/backend-api/codex/images/generations": unexpected EOF';

function unsupportedModel(model: string): string {
  return (
    `Model ${model} is not supported on /v1/images/generations or /v1/images/edits. Use gpt-image-1.5, gpt-image-2, grok-imagine-image, ` +
    'grok-imagine-image-quality, grok-imagine-image-2.0, or a configured openai-compatibility image model.'
  );
}

function invalid(ctx: ScenarioContext, message: string): Promise<void> {
  return sendJson(ctx, 400, { error: { message, type: 'invalid_request_error' } });
}

function truthy(value: unknown): boolean {
  return value === true || (typeof value === 'string' && /^(1|true|yes|on)$/i.test(value));
}

function fromForm(parts: readonly FormPart[]): ImagesRequest {
  const fields: Record<string, unknown> = {};
  for (const part of parts) if (part.filename === undefined) fields[part.name] = part.data.toString('utf8');
  const images = parts.filter((p) => p.filename !== undefined && (p.name === 'image[]' || p.name === 'image'));
  const stream = truthy(fields.stream);
  return {
    fields,
    imageCount: images.length,
    hasMask: parts.some((p) => p.name === 'mask' && p.filename !== undefined),
    stream,
    partialImages: Number(fields.partial_images ?? 0) || 0,
  };
}

function fromJson(json: Record<string, unknown>): ImagesRequest {
  const images = Array.isArray(json.images) ? json.images : [];
  return {
    fields: json,
    imageCount: images.length,
    hasMask: typeof (json.mask as { image_url?: unknown } | undefined)?.image_url === 'string',
    stream: json.stream === true,
    partialImages: typeof json.partial_images === 'number' ? json.partial_images : 0,
  };
}

/** The answer of `images-ok` (and of every scenario once its fault is past): JSON or a stream, as the request asked. */
async function answerImage(ctx: ScenarioContext, kind: ImagesKind, request: ImagesRequest, options: { completed?: boolean; errorAfterPartials?: Record<string, unknown> } = {}): Promise<void> {
  const image = servedImageFor(ctx.name, ctx.params);
  const b64 = image.bytes.toString('base64');
  if (!request.stream) {
    await sendJson(ctx, 200, {
      created: 1_778_832_973,
      background: 'opaque',
      data: options.completed === false ? [] : [{ b64_json: b64 }],
      output_format: image.format,
      quality: 'medium',
      size: `${image.width}x${image.height}`,
      usage: IMAGES_USAGE,
    });
    return;
  }
  const prefix = kind === 'edits' ? 'image_edit' : 'image_generation';
  ctx.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'access-control-allow-origin': '*' });
  ctx.res.flushHeaders();
  const event = (name: string, data: unknown): Promise<void> => write(ctx, `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  const partials = Math.min(3, Math.max(0, request.partialImages));
  for (let index = 0; index < partials; index++) {
    await event(`${prefix}.partial_image`, { type: `${prefix}.partial_image`, b64_json: partialImageFor(index).toString('base64'), partial_image_index: index });
  }
  if (options.errorAfterPartials) {
    // CPA once the stream has begun (images-api.md §4): `event: error`, the error nested, no sequence number.
    await write(ctx, `event: error\ndata: ${JSON.stringify({ error: options.errorAfterPartials })}\n\n`);
  } else if (options.completed !== false) {
    await event(`${prefix}.completed`, { type: `${prefix}.completed`, b64_json: b64, usage: { total_tokens: 321, input_tokens: 49, output_tokens: 272 } });
  }
  await endResponse(ctx);
}

/** The usage limit as it comes through a stream already begun: only type, code, message and param survive (§4). */
const STREAM_USAGE_LIMIT = { type: 'usage_limit_reached', code: 'usage_limit_reached', message: 'The usage limit has been reached', param: null };

export async function handleImages(ctx: ScenarioContext, kind: ImagesKind, form: FormPart[] | undefined): Promise<void> {
  const shape = ctx.params.shape ?? '';
  // The route is off (CPA before v6.9.32, or disable-image-generation: true): gin's empty 404.
  if (ctx.name === 'images-absent' || (ctx.name === 'images-error' && shape === 'disabled')) {
    ctx.res.writeHead(404, { 'content-length': 0 });
    ctx.res.end();
    return;
  }
  const contentType = String(ctx.req.headers['content-type'] ?? '');
  let request: ImagesRequest;
  if (kind === 'edits' && (/^multipart\/form-data/i.test(contentType) || contentType === '')) {
    if (!form) return invalid(ctx, 'Invalid request: malformed multipart form');
    request = fromForm(form);
    if (!request.fields.prompt) return invalid(ctx, IMAGES_PROMPT_REQUIRED);
    if (request.imageCount === 0) return invalid(ctx, 'Invalid request: image is required');
  } else if (kind === 'edits' && !/^application\/json/i.test(contentType)) {
    return invalid(ctx, `Invalid request: unsupported Content-Type "${contentType}"`);
  } else {
    const json = ctx.json as Record<string, unknown> | undefined;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return invalid(ctx, 'Invalid request: body must be valid JSON');
    request = fromJson(json);
    if (typeof json.prompt !== 'string' || json.prompt === '') return invalid(ctx, IMAGES_PROMPT_REQUIRED);
    // A gateway that takes edits only as a form says so of a JSON body (CPA's words for a Content-Type it does not take).
    if (kind === 'edits' && ctx.name === 'images-multipart-only') return invalid(ctx, `Invalid request: unsupported Content-Type "${contentType}"`);
  }
  const model = String(request.fields.model ?? '') || 'gpt-image-2';
  if (!/^(?:[\w-]+\/)?gpt-image-(?:2|1\.5)$/i.test(model)) return invalid(ctx, unsupportedModel(model));

  switch (ctx.name) {
    case 'images-error-event':
      if (!request.stream) return sendJson(ctx, 429, { error: { ...STREAM_USAGE_LIMIT, resets_in_seconds: 3600 } });
      return answerImage(ctx, kind, request, { errorAfterPartials: STREAM_USAGE_LIMIT });
    case 'images-no-completed':
      // Stream: the previews, then the end without a completed event; JSON: a body whose data holds no image.
      return answerImage(ctx, kind, { ...request, partialImages: Math.max(1, request.partialImages) }, { completed: false });
    case 'images-error':
      return answerError(ctx, kind, request, shape);
    default:
      if (ctx.params.delayMs) await pause(ctx, Number(ctx.params.delayMs));
      return answerImage(ctx, kind, request);
  }
}

/** The error shapes of images-api.md §5 as they arrive on this route (before the first byte: plain HTTP errors). */
async function answerError(ctx: ScenarioContext, kind: ImagesKind, request: ImagesRequest, shape: string): Promise<void> {
  switch (shape) {
    case 'unsupported-model':
      return invalid(ctx, unsupportedModel('dall-e-3'));
    case 'unknown-provider':
      return sendJson(ctx, 400, { error: { message: 'unknown provider for model gpt-image-2', type: 'invalid_request_error', code: 'model_not_found', param: 'model' } });
    case 'no-auth':
      return sendJson(ctx, 503, { error: { message: 'auth_not_found: no auth available (providers=codex, model=gpt-image-2)', type: 'server_error', code: 'internal_server_error' } });
    case 'usage-limit':
      // Upstream's body verbatim, forced to 429; resets_in_seconds survives on this route (not sanitized).
      return sendJson(ctx, 429, { error: { type: 'usage_limit_reached', message: 'The usage limit has been reached', plan_type: 'plus', resets_in_seconds: 529_498 } });
    case 'cooldown':
      return sendJson(ctx, 429, {
        error: { code: 'model_cooldown', message: 'All credentials for model gpt-image-2 are cooling down via provider codex', model: 'gpt-image-2', provider: 'codex', reset_seconds: 3600, reset_time: '1h0m0s' },
      });
    case 'eof':
      return sendJson(ctx, 500, { error: { message: IMAGES_EOF_MESSAGE, type: 'server_error', code: 'internal_server_error' } });
    case 'moderation':
      return sendJson(ctx, 400, {
        error: {
          message: 'Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com.',
          type: 'image_generation_user_error',
          param: null,
          code: 'moderation_blocked',
          moderation_details: { moderation_stage: 'output', categories: ['other'] },
        },
      });
    case 'transparent':
      // gpt-image-2 refuses a transparent background (images-api.md §7); without it the image comes.
      if (request.fields.background === 'transparent') {
        return sendJson(ctx, 400, { error: { message: 'Transparent background is not supported for this model.', type: 'image_generation_user_error', param: 'background', code: 'invalid_value' } });
      }
      return answerImage(ctx, kind, request);
    default:
      throw new Error(`test gateway: unknown images-error shape '${shape}'`);
  }
}
