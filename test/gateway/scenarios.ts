/**
 * What the test gateway answers, one scenario per gateway quirk of /work/shared/research/gateway.md.
 * Bodies copy the recorded shapes: the non-stream envelope of §6.1, the event sequence of §6.2,
 * the error bodies of §2.4, §2.5 and §6.3 (CPA's in-stream error forms use `sequence_number: 0`).
 * HTTP-level failures are the same for stream and non-stream requests, as with CPA, which answers
 * with an HTTP status whenever it fails before the first data frame.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { base64Pieces, makePng, streamNoisePng, tinyJpeg, tinyPng, tinyWebp } from './images';

export const scenarioNames = [
  'ok',
  'generating-status',
  'completed-empty-output',
  'keepalive',
  'crlf',
  'split-chunks',
  'partial-images',
  'webp-instead',
  'jpeg-instead',
  'rate-limit-retry-after-ms',
  'rate-limit-retry-after',
  'rate-limit-reset-seconds',
  'rate-limit-text',
  'rate-limit-in-stream',
  'error-event-rate-limit',
  'usage-limit',
  'model-cooldown-long',
  'tools-empty-once',
  'tools-empty-always',
  'auth-string-error',
  'auth-key-echo',
  'forbidden',
  'not-found',
  'bad-request',
  'timeout-408',
  'html-502',
  'server-error-once',
  'server-error-always',
  'truncated-json',
  'stream-cut',
  'stream-cut-once',
  'response-failed',
  'content-policy',
  'error-event-flat',
  'error-event-nested',
  'blank-lines-before-body',
  'keepalive-200-error',
  'hang',
  'hang-after-headers',
  'not-image',
  'huge',
  'reset-mid-body',
  'redirect',
  'slow',
  'response-incomplete',
  'queued',
  'data-only',
  'terminal-escapes',
  'flood-text-deltas',
  'flood-output-items',
  'incomplete-tools-empty',
  'request-too-large',
  'transparent-jpeg',
  'policy-refusal',
  'markdown-link-error',
  'retry-mix-forever',
  'refuse-prompt',
  'ignores-size',
  'refuse-transparent',
  'alt-text',
  'codex-quota',
  // The Images route (issue 14): imagesScenarios.ts answers /v1/images/generations and /v1/images/edits.
  'images-ok',
  'images-error-event',
  'images-no-completed',
  'images-error',
  'images-multipart-only',
  'images-text-responses',
  'images-tool-not-found',
  'images-absent',
] as const;

export type ScenarioName = (typeof scenarioNames)[number];

export function isScenarioName(name: string): name is ScenarioName {
  return (scenarioNames as readonly string[]).includes(name);
}

/** Everything a scenario handler needs about one request. */
export interface ScenarioContext {
  name: ScenarioName;
  res: ServerResponse;
  req: IncomingMessage;
  /** Parsed request body, when it was JSON. */
  json: unknown;
  /** The request's `stream` flag. */
  stream: boolean;
  params: Readonly<Record<string, string>>;
  /** 1 for the first request of this scenario URL, 2 for the second, ... */
  attempt: number;
  /** Aborts when the client goes away or the gateway closes. */
  signal: AbortSignal;
  /** `http://127.0.0.2:PORT` (another origin) for the redirect scenario. */
  redirectOrigin: string;
  /** The scenario URL prefix of this request, e.g. `/s/redirect/t4`. */
  prefix: string;
}

// ---------------------------------------------------------------------------------------------
// Fixed texts, exported so tests compare against the same words.

export const TEXT_FALLBACK_REPLY =
  "I can't generate images here, but I can describe it: a small red squirrel sits on a mossy branch, holding an acorn, with soft morning light behind it.";
export const RATE_LIMIT_MESSAGE_NO_DELAY = 'Too Many Requests';
export const FORBIDDEN_MESSAGE = 'Image generation is not enabled for this group';
export const TOOL_CHOICE_MESSAGE = "Tool choice 'image_generation' not found in 'tools' parameter.";
export const STREAM_DISCONNECTED_MESSAGE =
  'stream error: stream disconnected before completion: stream closed before response.completed';
export const CONTENT_POLICY_MESSAGE =
  'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.';
export const INSUFFICIENT_QUOTA_MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';
export const SERVER_ERROR_MESSAGE =
  'An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists. Please include the request ID req_4c1e5b2d in your message.';
export const USAGE_LIMIT_MESSAGE = 'The usage limit has been reached';
export const KEEPALIVE_200_ERROR_MESSAGE = 'upstream request failed: unexpected EOF';
export const NOT_IMAGE_BODY =
  '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body><h1>Checking your browser before accessing the site.</h1></body></html>';
export const HTML_502_BODY =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n';
/**
 * Terminal control sequences a hostile gateway may hide in its words: retitle the window (OSC 0), write the
 * clipboard (OSC 52), clear the screen (CSI 2J) and home the cursor, colour through the 8-bit CSI (U+009B),
 * reverse the text (RLO), and a line feed followed by a forged line. `terminal-escapes` puts them in an error
 * message, in the model's text and in the revised prompt.
 */
export const TERMINAL_ATTACK =
  '\u001b]0;pwned\u0007\u001b]52;c;ZWNobyBwd25lZA==\u0007\u001b[2J\u001b[H\u009b31mred\u202eevil\u0008\u007f\ncpa-gpt-image: forged line';
export const TERMINAL_ESCAPES_ERROR_MESSAGE = `Bad tool ${TERMINAL_ATTACK}`;
export const TERMINAL_ESCAPES_MODEL_TEXT = `No image today ${TERMINAL_ATTACK}`;
export const TERMINAL_ESCAPES_REVISED_PROMPT = `A squirrel ${TERMINAL_ATTACK}`;
/** OpenAI's 429 for one request over the tokens-per-minute limit: code `rate_limit_exceeded`, yet waiting never helps. */
export const REQUEST_TOO_LARGE_MESSAGE =
  'Request too large for gpt-5.4 in organization org-AAA on tokens per min (TPM): Limit 30000, Requested 342389. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.';
/** The API's answer to `background: transparent` with `output_format: jpeg` (a 400 on `tools[0].background`). */
export const TRANSPARENT_JPEG_MESSAGE = "Transparent background is not supported for output format 'jpeg'. Use 'png' or 'webp'.";
/**
 * A policy refusal under a code of the Responses API's error list (`bio_policy`, `cyber_policy`, …). The code is the
 * documented one; the wording is ours (the recorded texts vary).
 */
export const POLICY_REFUSAL_MESSAGE = 'This request was flagged by a safety policy and cannot be completed.';
/**
 * A 400 whose message is a markdown command link (issue 9): VS Code's notifications turn `[label](command:…)`
 * into a link that runs the command on a click, here a new terminal.
 */
export const MARKDOWN_LINK_ERROR_MESSAGE = '[Sign in again](command:workbench.action.terminal.new) Your session has expired.';
export const MODELS = ['gpt-5.4', 'gpt-5.4-mini', 'gpt-5.5', 'gpt-5.3-codex'];
/** The image models CPA adds for a Codex account (images-api.md §6). */
export const IMAGE_MODELS = ['gpt-image-2', 'gpt-image-1.5'];

export function rateLimitTextMessage(seconds: string): string {
  return `Rate limit reached for gpt-5.4 in organization org-AAA on tokens per min (TPM): Limit 30000, Used 22999, Requested 12528. Please try again in ${seconds}s. Visit https://platform.openai.com/account/rate-limits to learn more.`;
}

/** Every UTF-8 byte of `key` as lower-case `%xx` (a percent-encoding that `encodeURIComponent` would not choose). */
export function keyAsPercentBytes(key: string): string {
  return Array.from(Buffer.from(key, 'utf8'), (b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

/** Every character of `key` as a JSON `\uXXXX` escape, upper-case hex: valid inside a JSON string. */
export function keyAsJsonEscapes(key: string): string {
  return key.split('').map((c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`).join('');
}

export function notFoundMessage(model: string): string {
  return `The model \`${model}\` does not exist or you do not have access to it.`;
}

export function cooldownMessage(model: string): string {
  return `All credentials for model ${model} are cooling down via provider codex`;
}

/** The revised prompt the gateway reports: it contains multi-byte UTF-8 on purpose. */
export function revisedPromptFor(prompt: string): string {
  return `A detailed illustration of ${prompt} — 细节丰富, café-style light 🎨`;
}

// ---------------------------------------------------------------------------------------------
// Images served.

export interface ServedImage {
  bytes: Buffer;
  /** What the image item claims in `output_format` (the real bytes, except for not-image). */
  format: 'png' | 'jpeg' | 'webp';
  width: number;
  height: number;
}

const imageCache = new Map<string, ServedImage>();

function intParam(params: Readonly<Record<string, string>>, key: string): number | undefined {
  const raw = params[key];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`test gateway: parameter ${key}=${raw} is not a number`);
  return n;
}

/**
 * The final image a scenario serves for these parameters: the same bytes on every request, except with `distinct=1`,
 * where request `attempt` of a scenario URL gets its own PNG (variants: each request a different candidate).
 */
export function servedImageFor(name: ScenarioName, params: Readonly<Record<string, string>> = {}, attempt = 1): ServedImage {
  if (name === 'not-image') return { bytes: Buffer.from(NOT_IMAGE_BODY), format: 'png', width: 1024, height: 1024 };
  // The Codex upstream behind CPA answered 1536×1024 whatever size was asked (research peers-2026-12 §3): a
  // landscape gradient (red grows left to right, green top to bottom), so a crop can be checked by its pixels.
  if (name === 'ignores-size') {
    const noise = params.noise === '1' || params.noise === 'true';
    const key = `ignores-size:${noise}`;
    let image = imageCache.get(key);
    if (!image) {
      image = { bytes: makePng(1536, 1024, { noise }), format: 'png', width: 1536, height: 1024 };
      imageCache.set(key, image);
    }
    return image;
  }
  const format = name === 'webp-instead' ? 'webp' : name === 'jpeg-instead' ? 'jpeg' : (params.format ?? 'png');
  if (format === 'jpeg') return { bytes: tinyJpeg, format: 'jpeg', width: 4, height: 3 };
  if (format === 'webp') return { bytes: tinyWebp, format: 'webp', width: 4, height: 3 };
  if (format !== 'png') throw new Error(`test gateway: unknown format ${format}`);
  const width = intParam(params, 'width');
  const height = intParam(params, 'height');
  if (params.distinct === '1') {
    const w = width ?? height ?? 8;
    const h = height ?? width ?? 8;
    const key = `distinct:${w}x${h}:${attempt}`;
    let image = imageCache.get(key);
    if (!image) {
      image = { bytes: makePng(w, h, { seed: attempt }), format: 'png', width: w, height: h };
      imageCache.set(key, image);
    }
    return image;
  }
  if (width === undefined && height === undefined) return { bytes: tinyPng, format: 'png', width: 8, height: 8 };
  const w = width ?? height ?? 8;
  const h = height ?? width ?? 8;
  const noise = params.noise === '1' || params.noise === 'true';
  const subject = params.subject === '1';
  const key = `${w}x${h}:${noise}:${subject}`;
  let image = imageCache.get(key);
  if (!image) {
    image = { bytes: makePng(w, h, { noise, subject }), format: 'png', width: w, height: h };
    imageCache.set(key, image);
  }
  return image;
}

const partialCache = new Map<number, Buffer>();

/** The preview sent as `partial_image_index` = `index`: a distinct, valid 16×16 PNG. */
export function partialImageFor(index: number): Buffer {
  let png = partialCache.get(index);
  if (!png) {
    png = makePng(16, 16, { seed: index + 1 });
    partialCache.set(index, png);
  }
  return png;
}

// ---------------------------------------------------------------------------------------------
// Reading the request.

interface RequestInfo {
  model: string;
  prompt: string;
  instructions: unknown;
  tools: unknown[];
  toolChoice: unknown;
  partialImages?: number;
  quality?: string;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function promptOf(input: unknown): string {
  if (typeof input === 'string') return input;
  if (!Array.isArray(input)) return '';
  for (const message of input) {
    const content = asRecord(message)?.content;
    if (typeof content === 'string') return content;
    if (!Array.isArray(content)) continue;
    for (const part of content) {
      const p = asRecord(part);
      if (p?.type === 'input_text' && typeof p.text === 'string') return p.text;
    }
  }
  return '';
}

function requestInfo(json: unknown): RequestInfo {
  const body = asRecord(json) ?? {};
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const imageTool = tools.map(asRecord).find((t) => t?.type === 'image_generation');
  const partial = imageTool?.partial_images;
  return {
    model: typeof body.model === 'string' ? body.model : 'gpt-5.4',
    prompt: promptOf(body.input),
    instructions: body.instructions ?? null,
    tools,
    toolChoice: body.tool_choice ?? 'auto',
    partialImages: typeof partial === 'number' ? partial : undefined,
    quality: typeof imageTool?.quality === 'string' ? imageTool.quality : undefined,
  };
}

/** The tools as the backend echoes them: the image tool with every default filled in (§1.1, §6.1). */
function echoTools(tools: unknown[]): unknown[] {
  return tools.map((tool) => {
    const t = asRecord(tool);
    if (t?.type !== 'image_generation') return tool;
    return {
      type: 'image_generation',
      background: 'auto',
      moderation: 'auto',
      n: 1,
      output_compression: 100,
      output_format: 'png',
      quality: 'auto',
      size: 'auto',
      ...t,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Writing, with back-pressure and client-gone detection.

/** Thrown inside a handler when the client went away; the server swallows it. */
export class ClientGone extends Error {
  constructor() {
    super('client went away');
  }
}

function ensureOpen(ctx: ScenarioContext): void {
  if (ctx.signal.aborted || ctx.res.destroyed) throw new ClientGone();
}

/** Writes one piece and waits until it is handed to the socket (the awaited drain). */
export function write(ctx: ScenarioContext, chunk: string | Buffer): Promise<void> {
  ensureOpen(ctx);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new ClientGone());
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    ctx.res.write(chunk, (err) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (err) reject(new ClientGone());
      else resolve();
    });
  });
}

/** Resolves after `ms`, or throws ClientGone as soon as the client leaves. */
export function pause(ctx: ScenarioContext, ms: number): Promise<void> {
  ensureOpen(ctx);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ClientGone());
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes `text` in tiny pieces (1–7 bytes), cutting through every multi-byte UTF-8 character,
 * every line and every event, waiting for each piece to reach the socket.
 */
async function writeSplit(ctx: ScenarioContext, text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  const sizes = [1, 3, 2, 7, 1, 5, 4, 1, 6, 2];
  let start = 0;
  let turn = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + sizes[turn++ % sizes.length]!);
    // If a multi-byte character starts inside this piece, cut right after its first byte.
    for (let i = start; i < end; i++) {
      if (bytes[i]! >= 0xc0) {
        end = i + 1;
        break;
      }
    }
    await write(ctx, bytes.subarray(start, end));
    await nextTick();
    start = end;
  }
}

export function endResponse(ctx: ScenarioContext): Promise<void> {
  ensureOpen(ctx);
  return new Promise((resolve) => ctx.res.end(resolve));
}

// ---------------------------------------------------------------------------------------------
// HTTP answers.

const JSON_TYPE = 'application/json; charset=utf-8';

export async function sendJson(
  ctx: ScenarioContext,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<void> {
  ensureOpen(ctx);
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  ctx.res.end(text);
}

/**
 * An HTTP error with a JSON `{"error":{...}}` body. With `sanitized=1` a stream request gets the
 * body older CPA builds send from their streaming handler: only type/code/message/param (§2.4).
 */
async function sendError(
  ctx: ScenarioContext,
  status: number,
  error: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<void> {
  let body = error;
  if (ctx.stream && ctx.params.sanitized === '1') {
    body = {};
    for (const key of ['type', 'code', 'message', 'param']) if (error[key] != null) body[key] = error[key];
  }
  await sendJson(ctx, status, { error: body }, headers);
}

// ---------------------------------------------------------------------------------------------
// Response objects (§6.1).

let idCounter = 0;
function hexId(): string {
  idCounter += 1;
  const random = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
  return `0894cf2ef651c7d1016a06f4${idCounter.toString(16).padStart(8, '0')}${random}`;
}

interface Ids {
  response: string;
  reasoning: string;
  image: string;
  message: string;
}

function newIds(): Ids {
  const base = hexId();
  return { response: `resp_${base}`, reasoning: `rs_${base}a1`, image: `ig_${base}b2`, message: `msg_${base}c3` };
}

function envelope(
  info: RequestInfo,
  ids: Ids,
  fields: { status: string; output: unknown[]; tools?: unknown[]; toolChoice?: unknown; usage?: unknown; error?: unknown; toolUsage?: unknown },
): Record<string, unknown> {
  const created = Math.floor(Date.now() / 1000);
  const done = fields.status === 'completed' || fields.status === 'failed';
  return {
    id: ids.response,
    object: 'response',
    created_at: created,
    completed_at: done ? created : null,
    status: fields.status,
    background: false,
    error: fields.error ?? null,
    incomplete_details: null,
    instructions: info.instructions,
    max_output_tokens: null,
    max_tool_calls: null,
    metadata: {},
    model: info.model,
    moderation: null,
    output: fields.output,
    parallel_tool_calls: true,
    presence_penalty: 0,
    previous_response_id: null,
    prompt_cache_key: '1a375b23-2d4c-426e-a9a0-126bb8536ea1',
    prompt_cache_retention: '24h',
    reasoning: { effort: 'none', summary: 'detailed' },
    safety_identifier: 'user-RMR8FPJLNcmhSmcuscQctd3x',
    service_tier: 'default',
    store: false,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: fields.toolChoice ?? info.toolChoice,
    // `toolUsage: null` leaves the field out (the OpenAI platform does not send it, §6.2).
    ...(fields.toolUsage === null ? {} : { tool_usage: fields.toolUsage ?? IMAGE_TOOL_USAGE }),
    tools: fields.tools ?? echoTools(info.tools),
    top_p: 1,
    truncation: 'disabled',
    usage: fields.usage ?? null,
    user: null,
  };
}

const USAGE = {
  input_tokens: 1200,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 80,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 1280,
};

/** The image tool's own counts, top-level `tool_usage.image_gen` of the ChatGPT backend (§1.2, §6.1). */
const IMAGE_TOOL_USAGE = { image_gen: { input_tokens: 49, output_tokens: 272, total_tokens: 321 } };

/** The usage the OpenAI platform recorded in `response.completed` (§6.2), without `tool_usage`. */
export const PLATFORM_USAGE = {
  input_tokens: 2941,
  input_tokens_details: { cached_tokens: 1920 },
  output_tokens: 1249,
  output_tokens_details: { reasoning_tokens: 1024 },
  total_tokens: 4190,
};

/**
 * What an image answer reports as its cost, by the `usage` parameter of any image scenario: by default the shape
 * relayed from the ChatGPT backend (`usage` and `tool_usage.image_gen`: 1280 + 321 tokens); `usage=platform` the
 * recorded platform usage alone (4190 tokens); `usage=none` neither; `usage=hostile` counts no client may believe
 * (negative, a string, 1e300, a fraction, a deep object), beside one sound count (`output_tokens: 80`).
 */
function usageFields(ctx: ScenarioContext): { usage: unknown; toolUsage?: unknown } {
  switch (ctx.params.usage) {
    case 'platform':
      return { usage: PLATFORM_USAGE, toolUsage: null };
    case 'none':
      return { usage: null, toolUsage: null };
    case 'hostile': {
      let deep: Record<string, unknown> = { cached_tokens: 1 };
      for (let i = 0; i < 200; i++) deep = { cached_tokens: deep };
      return {
        usage: { input_tokens: -1200, output_tokens: 80, total_tokens: 1e300, input_tokens_details: deep, output_tokens_details: { reasoning_tokens: '12' } },
        toolUsage: { image_gen: { input_tokens: 4.5, output_tokens: '272', total_tokens: -321 } },
      };
    }
    case undefined:
    case '':
      return { usage: USAGE };
    default:
      throw new Error(`test gateway: unknown usage=${ctx.params.usage}`);
  }
}

function reasoningItem(ids: Ids): Record<string, unknown> {
  return { id: ids.reasoning, type: 'reasoning', summary: [] };
}

function imageItem(ids: Ids, info: RequestInfo, image: ServedImage, status: string, result: string): Record<string, unknown> {
  return {
    id: ids.image,
    type: 'image_generation_call',
    status,
    action: 'generate',
    background: 'opaque',
    output_format: image.format,
    quality: info.quality ?? 'medium',
    result,
    revised_prompt: revisedPromptFor(info.prompt),
    size: `${image.width}x${image.height}`,
  };
}

function messageItem(ids: Ids, text: string, status = 'completed'): Record<string, unknown> {
  return {
    id: ids.message,
    type: 'message',
    status,
    content: status === 'in_progress' ? [] : [{ type: 'output_text', annotations: [], logprobs: [], text }],
    phase: 'final_answer',
    role: 'assistant',
  };
}

// ---------------------------------------------------------------------------------------------
// Server-sent events (§6.2).

interface SseOptions {
  eol?: '\n' | '\r\n';
  keepalive?: boolean;
  split?: boolean;
  delayMs?: number;
  /** No `event:` lines, only `data:` (relays that strip them), and a final `data: [DONE]`. */
  dataOnly?: boolean;
}

class SseWriter {
  private sequence = 0;
  private readonly eol: string;

  constructor(
    private readonly ctx: ScenarioContext,
    private readonly options: SseOptions = {},
  ) {
    this.eol = options.eol ?? '\n';
  }

  start(): void {
    ensureOpen(this.ctx);
    this.ctx.res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'access-control-allow-origin': '*',
    });
    this.ctx.res.flushHeaders();
  }

  private async send(text: string): Promise<void> {
    if (this.options.split) await writeSplit(this.ctx, text);
    else await write(this.ctx, text);
  }

  /** One event with the next sequence number; `type` and `sequence_number` come first, as on the wire. */
  async event(type: string, fields: Record<string, unknown> = {}): Promise<void> {
    await this.raw(type, { type, sequence_number: this.sequence++, ...fields });
  }

  /** One event with exactly this payload (CPA's own error events carry `sequence_number: 0`). */
  async raw(eventName: string, payload: unknown): Promise<void> {
    const eol = this.eol;
    const eventLine = this.options.dataOnly ? '' : `event: ${eventName}${eol}`;
    await this.send(`${eventLine}data: ${JSON.stringify(payload)}${eol}${eol}`);
    if (this.options.keepalive) await this.send(`: keep-alive${eol}${eol}`);
    if (this.options.delayMs) await pause(this.ctx, this.options.delayMs);
  }

  /** Raw text (used to cut an event in the middle). */
  async text(text: string): Promise<void> {
    await this.send(text);
  }

  /** The end of the stream: `data: [DONE]` for data-only relays, then the end of the body. */
  async end(): Promise<void> {
    if (this.options.dataOnly) await this.send(`data: [DONE]${this.eol}${this.eol}`);
    await endResponse(this.ctx);
  }
}

async function streamPrelude(w: SseWriter, info: RequestInfo, ids: Ids, tools?: unknown[]): Promise<void> {
  const opening = envelope(info, ids, { status: 'in_progress', output: [], tools });
  await w.event('response.created', { response: opening });
  await w.event('response.in_progress', { response: opening });
}

async function streamImageStart(w: SseWriter, ids: Ids): Promise<void> {
  await w.event('response.output_item.added', { output_index: 0, item: reasoningItem(ids) });
  await w.event('response.output_item.done', { output_index: 0, item: reasoningItem(ids) });
  await w.event('response.output_item.added', {
    output_index: 1,
    item: { id: ids.image, type: 'image_generation_call', status: 'in_progress' },
  });
  await w.event('response.image_generation_call.in_progress', { output_index: 1, item_id: ids.image });
  await w.event('response.image_generation_call.generating', { output_index: 1, item_id: ids.image });
}

// ---------------------------------------------------------------------------------------------
// The image answer and its variants.

interface ImageAnswer {
  /** Final `status` of the image item (the ChatGPT backend may leave it `generating`). */
  itemStatus?: string;
  /** Send `response.image_generation_call.completed` (stream). */
  completedEvent?: boolean;
  /** `response.completed` carries `output: []` (stream). */
  completedOutputEmpty?: boolean;
  /** Number of `partial_image` events (stream). */
  partials?: number;
  sse?: SseOptions;
  /** Written before the body, then a pause (CPA's non-stream keep-alive). */
  leadingBlankLines?: string;
  /** Non-stream: wait this long before answering. */
  delayMs?: number;
  /** Stream: `response.created` says `queued` and a `response.queued` event follows. */
  queued?: boolean;
  /** The image item's `revised_prompt`, instead of one made from the prompt. */
  revisedPrompt?: string;
}

async function answerImage(ctx: ScenarioContext, answer: ImageAnswer = {}): Promise<void> {
  const info = requestInfo(ctx.json);
  const ids = newIds();
  const image = servedImageFor(ctx.name, ctx.params, ctx.attempt);
  const result = image.bytes.toString('base64');
  const itemStatus = answer.itemStatus ?? 'completed';
  const finalImage = { ...imageItem(ids, info, image, itemStatus, result), ...(answer.revisedPrompt !== undefined ? { revised_prompt: answer.revisedPrompt } : {}) };
  const finalMessage = messageItem(ids, '');
  const output = [reasoningItem(ids), finalImage, finalMessage];

  const cost = usageFields(ctx);
  if (!ctx.stream) {
    const body = envelope(info, ids, { status: 'completed', output, ...cost });
    const eol = answer.sse?.eol;
    // The body is ready before the delay ends, as a real gateway's is when its image is: the fill benchmark's `slow`
    // answers at concurrency 6 otherwise wait for each other's JSON.stringify of 4 MiB (the gateway's time, not ours).
    const text = eol === '\r\n' ? JSON.stringify(body, null, 2).replaceAll('\n', '\r\n') : JSON.stringify(body);
    if (answer.delayMs) await pause(ctx, answer.delayMs);
    ctx.res.writeHead(200, { 'content-type': JSON_TYPE });
    if (answer.leadingBlankLines) {
      ctx.res.flushHeaders();
      await write(ctx, answer.leadingBlankLines);
      await pause(ctx, Number(ctx.params.pauseMs ?? 30));
    }
    if (answer.sse?.split) await writeSplit(ctx, text);
    else await write(ctx, text);
    await endResponse(ctx);
    return;
  }

  const w = new SseWriter(ctx, answer.sse);
  w.start();
  if (answer.leadingBlankLines) {
    await w.text(answer.leadingBlankLines);
    await pause(ctx, Number(ctx.params.pauseMs ?? 30));
  }
  if (answer.queued) {
    const waiting = envelope(info, ids, { status: 'queued', output: [] });
    await w.event('response.created', { response: waiting });
    await w.event('response.queued', { response: waiting });
    await pause(ctx, Number(ctx.params.pauseMs ?? 30));
    await w.event('response.in_progress', { response: envelope(info, ids, { status: 'in_progress', output: [] }) });
  } else {
    await streamPrelude(w, info, ids);
  }
  await streamImageStart(w, ids);
  const partials = answer.partials ?? 0;
  for (let index = 0; index < partials; index++) {
    await w.event('response.image_generation_call.partial_image', {
      output_index: 1,
      item_id: ids.image,
      // `indexFrom` numbers the previews from there (a hostile gateway's "partial image 1506 of 3").
      partial_image_index: index + (intParam(ctx.params, 'indexFrom') ?? 0),
      partial_image_b64: partialImageFor(index).toString('base64'),
      size: `${image.width}x${image.height}`,
      quality: info.quality ?? 'medium',
      background: 'opaque',
      output_format: 'png',
    });
  }
  if (answer.completedEvent ?? true) {
    await w.event('response.image_generation_call.completed', { output_index: 1, item_id: ids.image });
  }
  await w.event('response.output_item.done', { output_index: 1, item: finalImage });
  await streamMessage(w, ids, 2, '');
  const completed = envelope(info, ids, {
    status: 'completed',
    output: answer.completedOutputEmpty ? [] : output,
    ...cost,
  });
  await w.event('response.completed', { response: completed });
  await w.end();
}

/** The message item events, with the text as deltas when there is any. */
async function streamMessage(w: SseWriter, ids: Ids, outputIndex: number, text: string): Promise<void> {
  const part = { type: 'output_text', annotations: [], logprobs: [], text: '' };
  await w.event('response.output_item.added', { output_index: outputIndex, item: messageItem(ids, '', 'in_progress') });
  await w.event('response.content_part.added', { item_id: ids.message, output_index: outputIndex, content_index: 0, part });
  for (const delta of text.match(/.{1,40}/gsu) ?? []) {
    await w.event('response.output_text.delta', {
      item_id: ids.message,
      output_index: outputIndex,
      content_index: 0,
      delta,
      logprobs: [],
    });
  }
  await w.event('response.output_text.done', {
    item_id: ids.message,
    output_index: outputIndex,
    content_index: 0,
    text,
    logprobs: [],
  });
  await w.event('response.content_part.done', {
    item_id: ids.message,
    output_index: outputIndex,
    content_index: 0,
    part: { ...part, text },
  });
  await w.event('response.output_item.done', { output_index: outputIndex, item: messageItem(ids, text) });
}

/** A completed response without an image: tools echoed as `[]`, the model answers in prose (§6.1, §2.7). */
export async function answerTextOnly(ctx: ScenarioContext, reply = TEXT_FALLBACK_REPLY): Promise<void> {
  const info = requestInfo(ctx.json);
  const ids = newIds();
  const output = [messageItem(ids, reply)];
  if (!ctx.stream) {
    await sendJson(ctx, 200, envelope(info, ids, { status: 'completed', output, tools: [], toolChoice: 'auto', usage: USAGE }));
    return;
  }
  const w = new SseWriter(ctx);
  w.start();
  const opening = envelope(info, ids, { status: 'in_progress', output: [], tools: [], toolChoice: 'auto' });
  await w.event('response.created', { response: opening });
  await w.event('response.in_progress', { response: opening });
  await streamMessage(w, ids, 0, reply);
  await w.event('response.completed', {
    response: envelope(info, ids, { status: 'completed', output, tools: [], toolChoice: 'auto', usage: USAGE }),
  });
  await endResponse(ctx);
}

export const INCOMPLETE_TEXT = 'Here is a plan for the picture: a squirrel, a branch, morning light, and';

/**
 * The model ran out of output tokens while still writing text: `status: incomplete`, no image. `tools` is the echoed
 * tool list (default: the request's); `minimalFinal` sends the terminal event in the shape recorded from the API
 * (`id`, `object`, `status`, `incomplete_details`, `output: []`, `usage`, nothing else).
 */
async function answerIncomplete(ctx: ScenarioContext, options: { tools?: unknown[]; minimalFinal?: boolean } = {}): Promise<void> {
  const info = requestInfo(ctx.json);
  const ids = newIds();
  const output = [reasoningItem(ids), messageItem(ids, INCOMPLETE_TEXT, 'incomplete')];
  const full = {
    ...envelope(info, ids, { status: 'incomplete', output, usage: USAGE, ...(options.tools ? { tools: options.tools } : {}) }),
    incomplete_details: { reason: 'max_output_tokens' },
  };
  if (!ctx.stream) {
    await sendJson(ctx, 200, full);
    return;
  }
  const final = options.minimalFinal
    ? { id: ids.response, object: 'response', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [], usage: USAGE }
    : full;
  const w = new SseWriter(ctx);
  w.start();
  await streamPrelude(w, info, ids, options.tools);
  await w.event('response.output_item.added', { output_index: 0, item: reasoningItem(ids) });
  await w.event('response.output_item.done', { output_index: 0, item: reasoningItem(ids) });
  await streamMessage(w, ids, 1, INCOMPLETE_TEXT);
  await w.event('response.incomplete', { response: final });
  await w.end();
}

/** Stream: a few frames, then CPA's terminal `response.failed` (codex-looking clients, §2.4). */
async function streamFailed(ctx: ScenarioContext, error: { code: string; message: string }, imageStarted = true): Promise<void> {
  const info = requestInfo(ctx.json);
  const ids = newIds();
  const w = new SseWriter(ctx);
  w.start();
  await streamPrelude(w, info, ids);
  if (imageStarted) await streamImageStart(w, ids);
  await w.raw('response.failed', { type: 'response.failed', sequence_number: 0, response: { status: 'failed', error } });
  await endResponse(ctx);
}

/** Stream: a few frames, then CPA's flat `event: error` (other clients, §2.4, §6.3). */
async function streamFlatError(ctx: ScenarioContext, code: string, message: string): Promise<void> {
  const info = requestInfo(ctx.json);
  const ids = newIds();
  const w = new SseWriter(ctx);
  w.start();
  await streamPrelude(w, info, ids);
  await w.raw('error', { type: 'error', code, message, sequence_number: 0 });
  await endResponse(ctx);
}

function rateLimitTextError(seconds: string): Record<string, unknown> {
  return { code: 'rate_limit_exceeded', message: rateLimitTextMessage(seconds) };
}

function insufficientQuotaError(): Record<string, unknown> {
  return { message: INSUFFICIENT_QUOTA_MESSAGE, type: 'insufficient_quota', param: null, code: 'insufficient_quota' };
}

function serverError(): Record<string, unknown> {
  return { message: 'internal server error', type: 'server_error', code: 'internal_server_error' };
}

function failing(ctx: ScenarioContext): boolean {
  return ctx.attempt <= Number(ctx.params.times ?? 1);
}

function partialCount(ctx: ScenarioContext, fallback: number): number {
  const fromParams = intParam(ctx.params, 'partial');
  return fromParams ?? requestInfo(ctx.json).partialImages ?? fallback;
}

/** Body larger than `params.bytes` (default 70 MiB), streamed: a valid noise PNG as base64. */
/** Text of the flood scenarios: plain words, nothing that looks like base64 (so nothing is taken out on the way). */
const FLOOD_WORDS = 'The squirrel holds an acorn on a mossy branch, morning light, soft focus. ';

function floodText(chars: number): string {
  return FLOOD_WORDS.repeat(Math.ceil(chars / FLOOD_WORDS.length)).slice(0, chars);
}

/**
 * Streams about `bytes` (default 400 MiB) of model text or of finished non-image items, then a completed response
 * without an image (with `imageFirst=1`, the stream gives the image before the flood). The events are made once and written again and again (256 KiB per write, each write awaited),
 * so the gateway holds one batch whatever the size, and stops as soon as the client goes away.
 */
async function answerFlood(ctx: ScenarioContext, kind: 'deltas' | 'items'): Promise<void> {
  const total = intParam(ctx.params, 'bytes') ?? 400 * 1024 * 1024;
  const info = requestInfo(ctx.json);
  const ids = newIds();
  const batchBytes = 256 * 1024;
  let written = 0;
  const repeat = async (batch: string): Promise<void> => {
    const size = Buffer.byteLength(batch);
    while (written < total) {
      await write(ctx, batch);
      written += size;
    }
  };
  const message = messageItem(ids, floodText(16 * 1024));
  const reasoning = { id: ids.reasoning, type: 'reasoning', summary: [{ type: 'summary_text', text: floodText(16 * 1024) }] };

  if (!ctx.stream) {
    ctx.res.writeHead(200, { 'content-type': JSON_TYPE });
    const body = JSON.stringify(envelope(info, ids, { status: 'completed', output: ['@@OUTPUT@@'], usage: USAGE }));
    const [before, after] = body.split('"@@OUTPUT@@"') as [string, string];
    if (kind === 'deltas') {
      const [open, close] = JSON.stringify(messageItem(ids, '@@TEXT@@')).split('@@TEXT@@') as [string, string];
      await write(ctx, before + open);
      await repeat(floodText(batchBytes));
      await write(ctx, close + after);
    } else {
      const pair = `${JSON.stringify(message)},${JSON.stringify(reasoning)},`;
      await write(ctx, before);
      await repeat(pair.repeat(Math.max(1, Math.floor(batchBytes / pair.length))));
      await write(ctx, JSON.stringify(messageItem(ids, 'done')) + after);
    }
    await endResponse(ctx);
    return;
  }

  const w = new SseWriter(ctx);
  w.start();
  await streamPrelude(w, info, ids);
  if (ctx.params.imageFirst === '1') {
    // The image first, then the flood: a client that has the image may stop reading, and keeps the image.
    const image = servedImageFor('ok', {});
    await streamImageStart(w, ids);
    await w.event('response.output_item.done', { output_index: 1, item: imageItem(ids, info, image, 'completed', image.bytes.toString('base64')) });
  }
  const sse = (type: string, fields: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: 9, ...fields })}\n\n`;
  let one: string;
  if (kind === 'deltas') {
    await w.event('response.output_item.added', { output_index: 0, item: messageItem(ids, '', 'in_progress') });
    one = sse('response.output_text.delta', { item_id: ids.message, output_index: 0, content_index: 0, delta: floodText(8 * 1024), logprobs: [] });
  } else {
    one = sse('response.output_item.done', { output_index: 0, item: message }) + sse('response.output_item.done', { output_index: 1, item: reasoning });
  }
  await repeat(one.repeat(Math.max(1, Math.floor(batchBytes / one.length))));
  await w.event('response.completed', {
    response: envelope(info, ids, { status: 'completed', output: [messageItem(ids, 'done')], usage: USAGE }),
  });
  await w.end();
}

async function answerHuge(ctx: ScenarioContext): Promise<void> {
  const bytes = intParam(ctx.params, 'bytes') ?? 70 * 1024 * 1024;
  const width = 1024;
  const rowLength = 1 + width * 3;
  // base64 is 4/3 of the PNG: enough rows that the base64 alone exceeds `bytes`.
  const height = Math.ceil((bytes * 3) / 4 / rowLength) + 1;
  const info = requestInfo(ctx.json);
  const ids = newIds();
  const image: ServedImage = { bytes: Buffer.alloc(0), format: 'png', width, height };
  const item = imageItem(ids, info, image, 'completed', '@@RESULT@@');
  const [before, after] = ctx.stream
    ? (() => {
        const text = `event: response.output_item.done\ndata: ${JSON.stringify({
          type: 'response.output_item.done',
          sequence_number: 7,
          output_index: 1,
          item,
        })}\n\n`;
        return text.split('"@@RESULT@@"') as [string, string];
      })()
    : (JSON.stringify(envelope(info, ids, { status: 'completed', output: [reasoningItem(ids), item], usage: USAGE })).split(
        '"@@RESULT@@"',
      ) as [string, string]);

  if (ctx.stream) {
    const w = new SseWriter(ctx);
    w.start();
    await streamPrelude(w, info, ids);
    await streamImageStart(w, ids);
  } else {
    ctx.res.writeHead(200, { 'content-type': JSON_TYPE });
  }
  await write(ctx, `${before}"`);
  let pending = '';
  for (const piece of base64Pieces(streamNoisePng(width, height))) {
    pending += piece;
    if (pending.length >= 256 * 1024) {
      await write(ctx, pending);
      pending = '';
    }
  }
  await write(ctx, `${pending}"${after}`);
  if (ctx.stream) {
    await write(
      ctx,
      `event: response.completed\ndata: ${JSON.stringify({
        type: 'response.completed',
        sequence_number: 8,
        response: envelope(info, ids, { status: 'completed', output: [], usage: USAGE }),
      })}\n\n`,
    );
  }
  await endResponse(ctx);
}

// ---------------------------------------------------------------------------------------------
// Alt text (issue 14 item 5): a text model describes an image; no image tool was sent.

export const ALT_TEXT_REPLY = 'A bar chart comparing monthly sales of three products, with the blue product leading.';
export const ALT_TEXT_REPLY_ZH = '一张柱状图，比较三种产品的月销售额，蓝色产品领先。';
/** Everything an answer may do to a markdown document: a link, a javascript: target, HTML, line breaks, brackets, a pipe. */
export const ALT_TEXT_HOSTILE_REPLY =
  'Alt text: "A chart](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n# Heading [click](command:workbench.action.terminal.new) `code` a|b \\ end"';

/**
 * Answers a text request (Write Alt Text) with one sentence: in Chinese when the request's instruction asks for
 * Chinese (or `lang=zh`), the hostile answer with `reply=hostile`, `reply=empty` with no text at all; `delayMs` delays
 * the answer. The echoed tools
 * are `[]`; whether the request carried any is on the gateway's record of it.
 */
async function answerAltText(ctx: ScenarioContext): Promise<void> {
  // `delayMs`: the answer comes that late (for a user who edits the document meanwhile).
  if (ctx.params.delayMs !== undefined) await pause(ctx, Number(ctx.params.delayMs));
  const instruction = promptOf(asRecord(ctx.json)?.input);
  const chinese = ctx.params.lang === 'zh' || (ctx.params.lang === undefined && /\bin Chinese\b/.test(instruction));
  const reply =
    ctx.params.reply === 'hostile' ? ALT_TEXT_HOSTILE_REPLY : ctx.params.reply === 'empty' ? '' : chinese ? ALT_TEXT_REPLY_ZH : ALT_TEXT_REPLY;
  return answerTextOnly(ctx, reply);
}

// ---------------------------------------------------------------------------------------------
// The table.

type Handler = (ctx: ScenarioContext) => Promise<void>;

const handlers: Record<ScenarioName, Handler> = {
  ok: (ctx) => answerImage(ctx, { partials: partialCount(ctx, 0) }),

  'ignores-size': (ctx) => answerImage(ctx, { partials: partialCount(ctx, 0) }),

  'generating-status': (ctx) =>
    answerImage(ctx, { itemStatus: 'generating', completedEvent: false, partials: partialCount(ctx, 0) }),

  // CPA rebuilds `output` for non-stream answers (§2.3), so only the stream form differs.
  'completed-empty-output': (ctx) => answerImage(ctx, { completedOutputEmpty: true, partials: partialCount(ctx, 0) }),

  keepalive: (ctx) => answerImage(ctx, { sse: { keepalive: true }, partials: partialCount(ctx, 1) }),

  crlf: (ctx) => answerImage(ctx, { sse: { eol: '\r\n' }, partials: partialCount(ctx, 1) }),

  'split-chunks': (ctx) => answerImage(ctx, { sse: { split: true }, partials: partialCount(ctx, 1) }),

  'partial-images': (ctx) => answerImage(ctx, { partials: partialCount(ctx, 2) }),

  'webp-instead': (ctx) => answerImage(ctx, { partials: partialCount(ctx, 0) }),

  'jpeg-instead': (ctx) => answerImage(ctx, { partials: partialCount(ctx, 0) }),

  'rate-limit-retry-after-ms': async (ctx) => {
    if (!failing(ctx)) return answerImage(ctx);
    const ms = ctx.params.ms ?? '250';
    await sendError(
      ctx,
      429,
      { message: RATE_LIMIT_MESSAGE_NO_DELAY, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
      { 'retry-after-ms': ms },
    );
  },

  'rate-limit-retry-after': async (ctx) => {
    if (!failing(ctx)) return answerImage(ctx);
    await sendError(
      ctx,
      429,
      { message: RATE_LIMIT_MESSAGE_NO_DELAY, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
      { 'retry-after': ctx.params.seconds ?? '1' },
    );
  },

  'rate-limit-reset-seconds': async (ctx) => {
    if (!failing(ctx)) return answerImage(ctx);
    const seconds = Number(ctx.params.seconds ?? 1);
    const model = requestInfo(ctx.json).model;
    await sendError(ctx, 429, {
      code: 'model_cooldown',
      message: cooldownMessage(model),
      model,
      provider: 'codex',
      reset_seconds: seconds,
      reset_time: `${seconds}s`,
    });
  },

  'rate-limit-text': async (ctx) => {
    if (!failing(ctx)) return answerImage(ctx);
    await sendError(ctx, 429, rateLimitTextError(ctx.params.seconds ?? '1.2'));
  },

  'rate-limit-in-stream': async (ctx) => {
    if (!failing(ctx)) return answerImage(ctx);
    const seconds = ctx.params.seconds ?? '0.5';
    if (!ctx.stream) return sendError(ctx, 429, rateLimitTextError(seconds));
    await streamFailed(ctx, { code: 'rate_limit_exceeded', message: rateLimitTextMessage(seconds) }, false);
  },

  'error-event-rate-limit': async (ctx) => {
    if (!failing(ctx)) return answerImage(ctx);
    const seconds = ctx.params.seconds ?? '0.5';
    if (!ctx.stream) return sendError(ctx, 429, rateLimitTextError(seconds));
    await streamFlatError(ctx, 'rate_limit_exceeded', rateLimitTextMessage(seconds));
  },

  'usage-limit': async (ctx) => {
    const seconds = Number(ctx.params.seconds ?? 529498);
    await sendError(ctx, 429, {
      type: 'usage_limit_reached',
      message: USAGE_LIMIT_MESSAGE,
      plan_type: 'free',
      resets_at: Math.floor(Date.now() / 1000) + seconds,
      resets_in_seconds: seconds,
    });
  },

  'model-cooldown-long': async (ctx) => {
    const model = requestInfo(ctx.json).model;
    await sendError(ctx, 429, {
      code: 'model_cooldown',
      message: cooldownMessage(model),
      model,
      provider: 'codex',
      reset_seconds: 3600,
      reset_time: '1h0m0s',
    });
  },

  'tools-empty-once': (ctx) => (failing(ctx) ? answerTextOnly(ctx) : answerImage(ctx)),

  'tools-empty-always': (ctx) => answerTextOnly(ctx),

  'auth-string-error': (ctx) => sendJson(ctx, 401, { error: 'Invalid API key' }),

  // OpenAI-style 401 that quotes the key it got, twice and in the forms a gateway may write it back in: as is, upper
  // case, percent-encoded (encodeURIComponent, and every byte as lower-case %xx), and in the raw JSON every character
  // \uXXXX-escaped (JSON.parse turns that back into the key). The client must redact every one.
  'auth-key-echo': async (ctx) => {
    const auth = ctx.req.headers.authorization ?? '';
    const key = auth.replace(/^Bearer\s+/i, '');
    const escapedPlaceholder = '\u0000KEY-AS-JSON-ESCAPES\u0000';
    const body = JSON.stringify({
      error: {
        message:
          `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys. ` +
          `Key sent: ${key}; upper case: ${key.toUpperCase()}; url-encoded: ${encodeURIComponent(key)}; ` +
          `bytes: ${keyAsPercentBytes(key)}; escaped: ${escapedPlaceholder}.`,
        type: 'invalid_request_error',
        param: encodeURIComponent(key),
        code: 'invalid_api_key',
      },
    });
    const text = body.replace(JSON.stringify(escapedPlaceholder).slice(1, -1), keyAsJsonEscapes(key));
    ensureOpen(ctx);
    ctx.res.writeHead(401, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
    ctx.res.end(text);
  },

  forbidden: (ctx) => sendError(ctx, 403, { message: FORBIDDEN_MESSAGE, type: 'permission_error' }),

  'not-found': (ctx) =>
    sendError(ctx, 404, {
      message: notFoundMessage(requestInfo(ctx.json).model),
      type: 'invalid_request_error',
      param: null,
      code: 'model_not_found',
    }),

  'bad-request': (ctx) =>
    sendError(ctx, 400, { message: TOOL_CHOICE_MESSAGE, type: 'invalid_request_error', param: 'tool_choice', code: null }),

  'timeout-408': async (ctx) => {
    if (!failing(ctx)) return answerImage(ctx);
    await sendError(ctx, 408, { message: STREAM_DISCONNECTED_MESSAGE, type: 'invalid_request_error' });
  },

  'html-502': async (ctx) => {
    ensureOpen(ctx);
    ctx.res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(HTML_502_BODY) });
    ctx.res.end(HTML_502_BODY);
  },

  // `retryAfter` (seconds) adds a Retry-After header, as CPA's home cluster does (§2.5.3).
  'server-error-once': async (ctx) => {
    if (!failing(ctx)) return answerImage(ctx);
    const headers: Record<string, string> = ctx.params.retryAfter ? { 'retry-after': ctx.params.retryAfter } : {};
    await sendError(
      ctx,
      503,
      { message: 'The server is overloaded or not ready yet.', type: 'server_error', code: 'internal_server_error' },
      headers,
    );
  },

  'server-error-always': (ctx) => sendError(ctx, 500, serverError()),

  'truncated-json': async (ctx) => {
    const info = requestInfo(ctx.json);
    const ids = newIds();
    const image = servedImageFor('ok', {});
    const item = imageItem(ids, info, image, 'completed', image.bytes.toString('base64'));
    if (!ctx.stream) {
      const text = JSON.stringify(envelope(info, ids, { status: 'completed', output: [reasoningItem(ids), item], usage: USAGE }));
      const cut = text.indexOf('"result"') + 40;
      ctx.res.writeHead(200, { 'content-type': JSON_TYPE });
      await write(ctx, text.slice(0, cut));
      await endResponse(ctx);
      return;
    }
    const w = new SseWriter(ctx);
    w.start();
    await streamPrelude(w, info, ids);
    await streamImageStart(w, ids);
    const data = JSON.stringify({ type: 'response.output_item.done', sequence_number: 7, output_index: 1, item });
    await w.text(`event: response.output_item.done\ndata: ${data.slice(0, data.indexOf('"result"') + 40)}\n\n`);
    await endResponse(ctx);
  },

  'stream-cut': async (ctx) => {
    if (!ctx.stream) return sendError(ctx, 408, { message: STREAM_DISCONNECTED_MESSAGE, type: 'invalid_request_error' });
    const info = requestInfo(ctx.json);
    const ids = newIds();
    const w = new SseWriter(ctx);
    w.start();
    await streamPrelude(w, info, ids);
    await streamImageStart(w, ids);
    await endResponse(ctx);
  },

  'stream-cut-once': async (ctx) => {
    if (!failing(ctx)) return answerImage(ctx);
    return handlers['stream-cut'](ctx);
  },

  'response-failed': async (ctx) => {
    const error = { code: 'server_error', message: SERVER_ERROR_MESSAGE };
    if (!ctx.stream) return sendError(ctx, 502, error);
    await streamFailed(ctx, error);
  },

  // `status` chooses the non-stream status: 400 (default) or 502, which is what CPA derives from an
  // upstream error without a type (§2.4, codexTerminalFailureStatus).
  'content-policy': async (ctx) => {
    const error = { code: 'image_content_policy_violation', message: CONTENT_POLICY_MESSAGE };
    if (!ctx.stream) return sendError(ctx, Number(ctx.params.status ?? 400), error);
    await streamFailed(ctx, error);
  },

  // Refuses (content policy) a prompt that holds the word `word` (default REFUSE), answers any other with the image
  // (after 10 × `delayMs` when given): several generations of which some fail, as when filling a document.
  'refuse-prompt': async (ctx) => {
    const word = ctx.params.word ?? 'REFUSE';
    const input = (ctx.json as { input?: unknown } | undefined)?.input;
    if (promptOf(input).includes(word)) {
      const error = { code: 'image_content_policy_violation', message: CONTENT_POLICY_MESSAGE };
      if (!ctx.stream) return sendError(ctx, 400, error);
      return streamFailed(ctx, error);
    }
    const delayMs = Number(ctx.params.delayMs ?? 0);
    return answerImage(ctx, delayMs > 0 ? { delayMs: delayMs * 10 } : {});
  },

  // gpt-image-2 behind the gateway: a request that asks `background: transparent` is refused before any stream starts
  // (images-api.md §7: `400 invalid_value "Transparent background is not supported for this model."`,
  // `image_generation_user_error`); any other is answered with the image (params as for `ok`, e.g. subject=1).
  // `always=1`: every request is refused with those words, with or without `background`.
  'alt-text': (ctx) => answerAltText(ctx),
  // The Images route's scenarios (imagesScenarios.ts) answer /v1/responses as a gateway with a working tool would,
  // except the three that stand for a gateway whose Responses route has no image tool (the `auto` route's cases).
  'images-ok': (ctx) => answerImage(ctx, { partials: partialCount(ctx, 0) }),
  'images-error-event': (ctx) => answerImage(ctx, { partials: partialCount(ctx, 0) }),
  'images-no-completed': (ctx) => answerImage(ctx, { partials: partialCount(ctx, 0) }),
  'images-error': (ctx) => answerImage(ctx, { partials: partialCount(ctx, 0) }),
  'images-multipart-only': (ctx) => answerImage(ctx, { partials: partialCount(ctx, 0) }),
  'images-text-responses': (ctx) => answerTextOnly(ctx),
  'images-tool-not-found': (ctx) =>
    sendError(ctx, 400, { message: TOOL_CHOICE_MESSAGE, type: 'invalid_request_error', param: 'tool_choice', code: null }),
  'images-absent': (ctx) => answerTextOnly(ctx),

  'refuse-transparent': async (ctx) => {
    const tools = (ctx.json as { tools?: { background?: unknown }[] } | undefined)?.tools;
    if (tools?.[0]?.background === 'transparent' || ctx.params.always === '1') {
      return sendError(ctx, 400, {
        message: 'Transparent background is not supported for this model.',
        type: 'image_generation_user_error',
        code: 'invalid_value',
        param: 'tools[0].background',
      });
    }
    return answerImage(ctx, {});
  },

  'error-event-flat': async (ctx) => {
    if (!ctx.stream) return sendError(ctx, 429, insufficientQuotaError());
    await streamFlatError(ctx, 'insufficient_quota', INSUFFICIENT_QUOTA_MESSAGE);
  },

  // vercel/ai `openai-error.1.chunks.txt`: nested `error` event, then `response.failed`.
  'error-event-nested': async (ctx) => {
    if (!ctx.stream) return sendError(ctx, 429, insufficientQuotaError());
    const info = requestInfo(ctx.json);
    const ids = newIds();
    const w = new SseWriter(ctx);
    w.start();
    await streamPrelude(w, info, ids);
    await w.event('error', { error: insufficientQuotaError() });
    await w.event('response.failed', {
      response: envelope(info, ids, {
        status: 'failed',
        output: [],
        error: { code: 'insufficient_quota', message: INSUFFICIENT_QUOTA_MESSAGE },
      }),
    });
    await endResponse(ctx);
  },

  'blank-lines-before-body': (ctx) => answerImage(ctx, { leadingBlankLines: '\n\n\n' }),

  // CPA's non-stream keep-alive committed 200 early; the late error arrives as JSON under 200 (§2.3).
  'keepalive-200-error': async (ctx) => {
    ensureOpen(ctx);
    ctx.res.writeHead(200, { 'content-type': JSON_TYPE });
    ctx.res.flushHeaders();
    await write(ctx, '\n');
    await pause(ctx, Number(ctx.params.pauseMs ?? 30));
    await write(ctx, '\n');
    await write(ctx, JSON.stringify({ error: { message: KEEPALIVE_200_ERROR_MESSAGE, type: 'server_error', code: 'internal_server_error' } }));
    await endResponse(ctx);
  },

  hang: async () => {
    // Never answers; the server destroys the socket on close().
  },

  'hang-after-headers': async (ctx) => {
    if (!ctx.stream) {
      ctx.res.writeHead(200, { 'content-type': JSON_TYPE });
      ctx.res.flushHeaders();
      await write(ctx, '\n');
      return;
    }
    const info = requestInfo(ctx.json);
    const w = new SseWriter(ctx);
    w.start();
    await w.event('response.created', { response: envelope(info, newIds(), { status: 'in_progress', output: [] }) });
  },

  'not-image': (ctx) => answerImage(ctx),

  huge: (ctx) => answerHuge(ctx),

  'reset-mid-body': async (ctx) => {
    const info = requestInfo(ctx.json);
    const ids = newIds();
    if (!ctx.stream) {
      const image = servedImageFor('ok', {});
      const output = [reasoningItem(ids), imageItem(ids, info, image, 'completed', image.bytes.toString('base64'))];
      const text = JSON.stringify(envelope(info, ids, { status: 'completed', output, usage: USAGE }));
      ctx.res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
      await write(ctx, text.slice(0, Math.floor(text.length / 2)));
    } else {
      const w = new SseWriter(ctx);
      w.start();
      await streamPrelude(w, info, ids);
      await streamImageStart(w, ids);
    }
    await nextTick();
    ctx.res.socket?.destroy();
  },

  redirect: async (ctx) => {
    ensureOpen(ctx);
    const rest = ctx.req.url?.slice(ctx.prefix.length) ?? '/v1/responses';
    const id = ctx.prefix.split('/')[3] ?? 'x';
    const location = `${ctx.redirectOrigin}/s/ok/${id}-followed${rest}`;
    const body = `<a href="${location}">Temporary Redirect</a>.\n\n`;
    ctx.res.writeHead(307, { location, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    ctx.res.end(body);
  },

  // A terminal `response.incomplete` without an image (§2.3: CPA stops there and returns that response).
  'response-incomplete': (ctx) => answerIncomplete(ctx),

  queued: (ctx) => answerImage(ctx, { queued: true, partials: partialCount(ctx, 0) }),

  'data-only': (ctx) => answerImage(ctx, { sse: { dataOnly: true }, partials: partialCount(ctx, 1) }),

  // The first answer is text whose words carry terminal escapes (a text-fallback retry follows); the second is a
  // 400 whose message carries them, or with `end=image` an image whose revised prompt carries them.
  'terminal-escapes': async (ctx) => {
    if (ctx.attempt === 1) return answerTextOnly(ctx, TERMINAL_ESCAPES_MODEL_TEXT);
    if (ctx.params.end === 'image') return answerImage(ctx, { revisedPrompt: TERMINAL_ESCAPES_REVISED_PROMPT });
    await sendError(ctx, 400, { message: TERMINAL_ESCAPES_ERROR_MESSAGE, type: 'invalid_request_error', param: null, code: null });
  },

  // ~400 MiB (`bytes`) of model text as `response.output_text.delta` events (stream), or as one message's text
  // (non-stream), made on the fly: the gateway never holds more than one batch of events.
  'flood-text-deltas': (ctx) => answerFlood(ctx, 'deltas'),

  // ~400 MiB (`bytes`) of finished output items that carry no image (messages and reasoning summaries), as
  // `response.output_item.done` events (stream) or in `output` (non-stream), made on the fly.
  'flood-output-items': (ctx) => answerFlood(ctx, 'items'),

  // The recorded minimal `response.incomplete` (reason `max_output_tokens`, `output: []`) after a gateway that echoes
  // `tools: []`: the response stopped, the tool list is not the cause (§2.3).
  'incomplete-tools-empty': (ctx) => answerIncomplete(ctx, { tools: [], minimalFinal: true }),

  // OpenAI's 429 "Request too large … Limit 30000, Requested 342389" with code rate_limit_exceeded: no wait helps.
  'request-too-large': (ctx) =>
    sendError(ctx, 429, { message: REQUEST_TOO_LARGE_MESSAGE, type: 'tokens', param: null, code: 'rate_limit_exceeded' }),

  // What the API does with `background: transparent` and `output_format: jpeg` (a 400); any other request gets an image.
  'transparent-jpeg': async (ctx) => {
    const tool = requestInfo(ctx.json).tools.map(asRecord).find((t) => t?.type === 'image_generation');
    if (tool?.background === 'transparent' && tool.output_format === 'jpeg') {
      return sendError(ctx, 400, { message: TRANSPARENT_JPEG_MESSAGE, type: 'invalid_request_error', param: 'tools[0].background', code: 'invalid_value' });
    }
    return answerImage(ctx);
  },

  // A policy refusal under a Responses API error code (`code`, default bio_policy): in the stream a response.failed
  // (what CPA forwards), without a stream a 400 invalid_request_error.
  'policy-refusal': async (ctx) => {
    const code = ctx.params.code ?? 'bio_policy';
    if (!ctx.stream) return sendError(ctx, 400, { message: POLICY_REFUSAL_MESSAGE, type: 'invalid_request_error', param: null, code });
    await streamFailed(ctx, { code, message: POLICY_REFUSAL_MESSAGE }, false);
  },
  'markdown-link-error': (ctx) =>
    sendError(ctx, 400, { message: MARKDOWN_LINK_ERROR_MESSAGE, type: 'invalid_request_error', param: null, code: null }),

  // Every kind of retry in turn, forever: 429 (retry-after-ms), 503 (retry-after-ms), a text-only answer (tools []),
  // again and again. Each kind alone stays within its own retry count; only one budget for all of them ends it.
  // `ms` is the stated delay of the 429 and the 503 (default 50).
  'retry-mix-forever': async (ctx) => {
    const ms = ctx.params.ms ?? '50';
    switch ((ctx.attempt - 1) % 3) {
      case 0:
        return sendError(ctx, 429, { code: 'rate_limit_exceeded', message: RATE_LIMIT_MESSAGE_NO_DELAY, type: 'requests' }, { 'retry-after-ms': ms });
      case 1:
        return sendError(ctx, 503, { message: 'The server is overloaded or not ready yet.', type: 'server_error', code: 'internal_server_error' }, { 'retry-after-ms': ms });
      default:
        return answerTextOnly(ctx);
    }
  },

  slow: (ctx) => {
    const delayMs = Number(ctx.params.delayMs ?? 200);
    return ctx.stream
      ? answerImage(ctx, { sse: { delayMs }, partials: partialCount(ctx, 2) })
      : answerImage(ctx, { delayMs: delayMs * 10 });
  },

  // CPA with `passthrough-headers: true` forwards the Codex quota headers (§2.5): an image, with them.
  'codex-quota': (ctx) => {
    for (const [name, value] of Object.entries(codexQuotaHeaders(ctx))) ctx.res.setHeader(name, value);
    return answerImage(ctx, { partials: partialCount(ctx, 0) });
  },
};

/**
 * The `x-codex-*` headers of the ChatGPT backend (the set recorded in CLIProxyAPI issue #4833): a five-hour primary
 * window `used` percent spent (default 19) and a weekly secondary window `weeklyUsed` (default 36), resetting in
 * 4 h 23 min and 3 days. `hostile=1` sends values no client may believe beside one sound window: NaN, a negative
 * number, 1e300, a reset long past, and a plan type that is a markdown command link.
 */
export function codexQuotaHeaders(ctx: Pick<ScenarioContext, 'params'>): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  if (ctx.params.hostile === '1') {
    return {
      'x-codex-plan-type': '[pro](command:workbench.action.terminal.new)',
      'x-codex-primary-used-percent': 'NaN',
      'x-codex-primary-window-minutes': '-300',
      'x-codex-secondary-used-percent': '42',
      'x-codex-secondary-window-minutes': '1e300',
      'x-codex-secondary-reset-at': String(now - 30 * 86_400),
      'x-codex-secondary-reset-after-seconds': '-5',
    };
  }
  return {
    'x-codex-active-limit': 'codex',
    'x-codex-plan-type': 'plus',
    'x-codex-primary-used-percent': ctx.params.used ?? '19',
    'x-codex-primary-window-minutes': '300',
    'x-codex-primary-reset-after-seconds': '15780',
    'x-codex-primary-reset-at': String(now + 15_780),
    'x-codex-secondary-used-percent': ctx.params.weeklyUsed ?? '36',
    'x-codex-secondary-window-minutes': '10080',
    'x-codex-secondary-reset-after-seconds': '259200',
    'x-codex-secondary-reset-at': String(now + 259_200),
    'x-codex-primary-over-secondary-limit-percent': '0',
  };
}

/** Answers `POST …/v1/responses` for the scenario. */
export function handleResponses(ctx: ScenarioContext): Promise<void> {
  return handlers[ctx.name](ctx);
}

/** Answers `GET …/v1/models`: the model list, or the scenario's HTTP failure where one applies. */
export async function handleModels(ctx: ScenarioContext): Promise<void> {
  switch (ctx.name) {
    case 'auth-string-error':
    case 'auth-key-echo':
    case 'forbidden':
    case 'html-502':
    case 'server-error-always':
    case 'hang':
    case 'redirect':
    case 'reset-mid-body':
    case 'truncated-json':
      if (ctx.name === 'reset-mid-body') {
        ctx.res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': 400 });
        await write(ctx, '{"data":[{"created":1');
        ctx.res.socket?.destroy();
        return;
      }
      if (ctx.name === 'truncated-json') {
        ctx.res.writeHead(200, { 'content-type': JSON_TYPE });
        await write(ctx, '{"data":[{"created":1');
        await endResponse(ctx);
        return;
      }
      return handlers[ctx.name](ctx);
    case 'server-error-once':
      if (failing(ctx)) return handlers[ctx.name](ctx);
      break;
    case 'not-found':
      return sendPlain(ctx, 404, '404 page not found');
    default:
      break;
  }
  if (ctx.name === 'slow') await pause(ctx, Number(ctx.params.delayMs ?? 200));
  const created = 1_776_000_000;
  // CPA lists its image models by id only (images-api.md §6); this one stands for a gateway that has them.
  const models = ctx.name === 'images-text-responses' || ctx.name === 'images-ok' ? [...MODELS, ...IMAGE_MODELS] : MODELS;
  await sendJson(ctx, 200, {
    data: models.map((id) => ({ created, id, object: 'model', owned_by: 'openai' })),
    object: 'list',
  });
}

/** gin's answer for a route it does not know. */
export async function sendPlain(ctx: ScenarioContext, status: number, text: string): Promise<void> {
  ensureOpen(ctx);
  ctx.res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  ctx.res.end(text);
}
