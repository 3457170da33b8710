/**
 * Reads what the gateway sent back: the image in any of the places it can be, and errors in every
 * shape gateways use (gateway.md §1–§2, §6), turned into a `GatewayError` whose message names the
 * problem and the next step. Pure: callers redact the key from the text before it gets here.
 */
import { GatewayError, type GatewayErrorKind } from '../errors';
import { epochMsFromResetsAt, parseRetryDelayMs } from './retry';
import { type JsonObject, asRecord } from '../json';
import { oneLineExcerpt } from '../text/describe';

export interface FoundImage {
  base64: string;
  revisedPrompt?: string;
  size?: string;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Longest piece of gateway text quoted in a message. */
const MAX_QUOTE = 300;

function shorten(text: string, max = MAX_QUOTE): string {
  return oneLineExcerpt(text, max);
}

// ---------------------------------------------------------------------------------------------
// Images

function imageFromItem(item: unknown): FoundImage | undefined {
  const object = asRecord(item);
  if (!object || object.type !== 'image_generation_call') return undefined;
  const result = asString(object.result)?.trim();
  // Accept whatever `status` says: some backends leave a finished item at "generating" (gateway.md §1.2).
  if (!result) return undefined;
  const found: FoundImage = { base64: stripDataUrlPrefix(result) };
  const revisedPrompt = asString(object.revised_prompt);
  if (revisedPrompt) found.revisedPrompt = revisedPrompt;
  const size = asString(object.size);
  if (size) found.size = size;
  return found;
}

/** `result` is plain base64 by the spec; a relay that wraps it as a data URL is tolerated. */
function stripDataUrlPrefix(result: string): string {
  const match = /^data:[^;,]*;base64,/i.exec(result);
  return match ? result.slice(match[0].length) : result;
}

function imageFromOutput(response: JsonObject | undefined): FoundImage | undefined {
  const output = response?.output;
  if (!Array.isArray(output)) return undefined;
  for (const item of output) {
    const found = imageFromItem(item);
    if (found) return found;
  }
  return undefined;
}

/**
 * The first `image_generation_call` with a non-empty `result`, from a Response object (`output`),
 * an SSE event that carries one (`response.completed` → `response.output`, `response.output_item.done`
 * → `item`), or a bare output item.
 */
export function readImageFromResponse(json: unknown): FoundImage | undefined {
  const object = asRecord(json);
  if (!object) return undefined;
  return (
    imageFromItem(object) ??
    imageFromItem(object.item) ??
    imageFromOutput(object) ??
    imageFromOutput(asRecord(object.response))
  );
}

/** The Response object inside an event (`{response:{…}}`) or the object itself. */
function responseObject(json: unknown): JsonObject | undefined {
  const object = asRecord(json);
  if (!object) return undefined;
  const inner = asRecord(object.response);
  return inner && (object.type === undefined || String(object.type).startsWith('response.')) ? inner : object;
}

/**
 * True when the response echoes a `tools` list that is empty or has no `image_generation` tool: the
 * gateway stripped the tool, so a text-only answer is a transient fallback worth retrying (SPEC §5).
 */
export function echoedToolsLackImageGeneration(json: unknown): boolean {
  const tools = responseObject(json)?.tools;
  if (!Array.isArray(tools)) return false;
  return !tools.some((tool) => asRecord(tool)?.type === 'image_generation');
}

/**
 * Why a response stopped (`incomplete_details.reason`), shortened, or undefined when it did not stop early. A
 * `response.incomplete` is terminal: `max_output_tokens` (or `max_tokens`) means the model ran out of output tokens
 * before it called the image tool, `content_filter` that a filter stopped it. Either way the echoed tool list is not
 * the cause, so it is reported as it is, not as a stripped tool.
 */
export function incompleteReason(json: unknown): string | undefined {
  const response = responseObject(json);
  if (response?.status !== 'incomplete') return undefined;
  const reason = asString(asRecord(response.incomplete_details)?.reason);
  return reason ? shorten(reason, 80) : '';
}

/** The "no image" error of a response that stopped early (`status: incomplete`) for any reason but a filter. */
export function incompleteError(reason: string, said: string, details: GatewayError['details']): GatewayError {
  const why = /^max_(output_)?tokens$/i.test(reason)
    ? ': the model ran out of output tokens before it made an image. The tool list is not the cause; try again, or ask for the picture more directly.'
    : reason
      ? ' before an image was made. Try again, or rephrase the prompt.'
      : ' (the gateway gave no reason) before an image was made. Try again, or rephrase the prompt.';
  const stopped = reason ? `The response stopped early (${reason})` : 'The response stopped early';
  return new GatewayError('no_image', `${stopped}${why}${said}`, { ...details, ...(reason ? { code: reason } : {}), retryable: false });
}

/** The text of the assistant's message items (what the model said instead of drawing). */
export function modelText(json: unknown): string {
  const output = responseObject(json)?.output;
  if (!Array.isArray(output)) return '';
  const parts: string[] = [];
  for (const item of output) {
    const message = asRecord(item);
    if (message?.type !== 'message' || !Array.isArray(message.content)) continue;
    for (const part of message.content) {
      const content = asRecord(part);
      const text = content?.type === 'output_text' ? asString(content.text) : content?.type === 'refusal' ? asString(content.refusal) : undefined;
      if (text && text.trim()) parts.push(text.trim());
    }
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Errors

/** What an error body says, whatever its shape. */
interface ErrorInfo {
  message?: string;
  code?: string;
  type?: string;
  /** The object holding the fields, for delays such as `resets_in_seconds`. */
  object?: JsonObject;
}

/**
 * Finds the error in `{"error":"text"}`, `{"error":{…}}`, flat `{"type":"error","code","message"}`,
 * nested `{"type":"error","error":{…}}`, `{"type":"response.failed","response":{"error":{…}}}`,
 * a failed Response object, and the `{"message"}` / `{"detail"}` bodies of other proxies.
 */
function findErrorInfo(json: unknown): ErrorInfo | undefined {
  const object = asRecord(json);
  if (!object) return undefined;
  const fromObject = (error: JsonObject): ErrorInfo => {
    const info: ErrorInfo = { object: error };
    const message = asString(error.message) ?? asString(error.detail) ?? asString(error.error);
    if (message) info.message = message;
    const code = asString(error.code) ?? (typeof error.code === 'number' ? String(error.code) : undefined);
    if (code) info.code = code;
    const type = asString(error.type);
    if (type && type !== 'error') info.type = type;
    return info;
  };

  if (typeof object.error === 'string' && object.error.trim()) return { message: object.error, object };
  const nested = asRecord(object.error);
  if (nested) return fromObject(nested);
  const response = asRecord(object.response);
  const responseError = asRecord(response?.error);
  if (responseError) return fromObject(responseError);
  if (object.type === 'error') return fromObject(object);
  if (object.status === 'failed' && object.object === 'response') return { message: 'The response failed.' };
  if (typeof object.message === 'string' && object.message.trim() && object.output === undefined) return fromObject(object);
  if (typeof object.detail === 'string' && object.detail.trim()) return { message: object.detail, object };
  return undefined;
}

/**
 * Codes that mean a policy refused the request or its image: the image policy (`image_content_policy_violation`,
 * `moderation_blocked` with type `image_generation_user_error`), the Responses API's policy codes (`bio_policy`,
 * `cyber_policy`; Codex also knows `misalignment_policy_violation`), Azure's `content_filter` and the
 * `content_safety_violation` of other image models. A refusal is shown as one, never as "the gateway failed".
 */
const CONTENT_POLICY_CODES = new Set([
  'image_content_policy_violation',
  'content_policy_violation',
  'moderation_blocked',
  'content_filter',
  'bio_policy',
  'cyber_policy',
  'misalignment_policy_violation',
  'content_safety_violation',
]);
const USAGE_LIMIT_CODES = new Set(['usage_limit_reached', 'insufficient_quota', 'usage_not_included', 'billing_hard_limit_reached']);
const RATE_LIMIT_CODES = new Set(['rate_limit_exceeded', 'rate_limit_error', 'model_cooldown', 'too_many_requests']);
const SERVER_CODES = new Set(['server_error', 'internal_server_error', 'server_is_overloaded', 'slow_down', 'request_timeout', 'api_error', 'overloaded_error']);
const AUTH_CODES = new Set(['invalid_api_key', 'authentication_error', 'unauthorized']);
const FORBIDDEN_CODES = new Set(['permission_error', 'permission_denied', 'forbidden']);
const NOT_FOUND_CODES = new Set(['model_not_found', 'not_found', 'not_found_error']);
const BAD_REQUEST_CODES = new Set(['invalid_request_error', 'invalid_prompt', 'context_length_exceeded', 'invalid_image', 'image_too_large']);

/** Statuses whose failure is usually gone a moment later (SPEC §5, plus Cloudflare's origin errors). */
const TRANSIENT_STATUSES = new Set([408, 500, 502, 503, 504, 520, 521, 522, 523, 524]);

function codes(info: ErrorInfo | undefined): string[] {
  return [info?.code, info?.type].filter((c): c is string => typeof c === 'string').map((c) => c.toLowerCase());
}

function isContentPolicy(info: ErrorInfo | undefined): boolean {
  if (codes(info).some((c) => CONTENT_POLICY_CODES.has(c))) return true;
  const message = info?.message ?? '';
  return /safety system|content polic|moderation_blocked/i.test(message) || rejectedBySafety(message);
}

/**
 * "rejected by … safety" on one line. Not the regex /rejected by .*safety/: that one backtracks from every
 * "rejected by" to the end of the line, which is quadratic — a 100 kB message from a hostile gateway took
 * 0.7 s, a 1 MiB one over a minute. Here each line is scanned a fixed number of times.
 */
function rejectedBySafety(message: string): boolean {
  for (const line of message.split(/[\n\r\u2028\u2029]/)) {
    const at = line.search(/rejected by /i);
    if (at >= 0 && /safety/i.test(line.slice(at + 'rejected by '.length))) return true;
  }
  return false;
}

/** The policy code of a refusal, when it is one of the known ones (only those are repeated in the message). */
function policyCode(info: ErrorInfo | undefined): string | undefined {
  return codes(info).find((c) => CONTENT_POLICY_CODES.has(c));
}

/**
 * "Request too large for gpt-5.4 … on tokens per min (TPM): Limit 30000, Requested 342389": one request that asks
 * for more than the whole limit. OpenAI sends it under 429 with code `rate_limit_exceeded`, but no wait can make it
 * pass. Also recognised without the words when `Requested` is over `Limit` and nothing was `Used` (a real rate limit
 * says "Limit 30000, Used 22999, Requested 12528"). Returns the "Limit N, Requested M" part, or '' when absent.
 */
function requestTooLarge(info: ErrorInfo | undefined): string | undefined {
  const message = info?.message ?? '';
  if (!message) return undefined;
  const numbers = /\bLimit\s+(\d[\d,]{0,20})\s*,\s*Requested\s+(\d[\d,]{0,20})/i.exec(message);
  const shown = numbers ? `Limit ${numbers[1]}, Requested ${numbers[2]}` : '';
  if (/\brequest too large\b/i.test(message)) return shown;
  if (!numbers || /\bUsed\s+\d/i.test(message)) return undefined;
  const value = (text: string): number => Number(text.replace(/,/g, ''));
  return value(numbers[2]!) > value(numbers[1]!) ? shown : undefined;
}

/** A CPA "stream disconnected before completion" 408 can arrive under any status: it is transient. */
function isDisconnect(info: ErrorInfo | undefined): boolean {
  return /stream disconnected before completion|stream closed before|upstream stream closed/i.test(info?.message ?? '');
}

/** The kind an error code names on its own (for in-stream errors and errors under HTTP 200). */
function kindFromCodes(info: ErrorInfo | undefined): GatewayErrorKind | undefined {
  if (isContentPolicy(info)) return 'content_policy';
  if (requestTooLarge(info) !== undefined) return 'bad_request';
  const list = codes(info);
  const has = (set: Set<string>): boolean => list.some((c) => set.has(c));
  if (has(USAGE_LIMIT_CODES)) return 'usage_limit';
  if (has(RATE_LIMIT_CODES)) return 'rate_limited';
  if (has(AUTH_CODES)) return 'auth';
  if (has(FORBIDDEN_CODES)) return 'forbidden';
  if (has(NOT_FOUND_CODES)) return 'not_found';
  if (has(SERVER_CODES) || isDisconnect(info)) return 'server';
  if (has(BAD_REQUEST_CODES)) return 'bad_request';
  return undefined;
}

function kindFromStatus(status: number, info: ErrorInfo | undefined): GatewayErrorKind {
  if (isContentPolicy(info)) return 'content_policy';
  if (requestTooLarge(info) !== undefined) return 'bad_request';
  const byCode = kindFromCodes(info);
  if (status === 401) return 'auth';
  if (status === 403) return byCode === 'usage_limit' ? 'usage_limit' : 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return byCode === 'usage_limit' ? 'usage_limit' : 'rate_limited';
  if (status >= 500 || status === 408) return 'server';
  if (status >= 400) return byCode === 'usage_limit' || byCode === 'rate_limited' ? byCode : 'bad_request';
  return byCode ?? 'server';
}

function quoted(words: string | undefined): string {
  return words ? ` The gateway said: "${words}"` : '';
}

/** The latest time a `Date` can hold (±8.64e15 ms); `toISOString()` throws a RangeError beyond it. */
const MAX_DATE_MS = 8.64e15;

/**
 * When a usage limit lifts, from `resets_at` (unix s) or `resets_in_seconds` (relative to now). A time no `Date`
 * can hold (`resets_at: 1e20`) is treated as not stated, rather than breaking the message that shows it.
 */
function resetsAtMs(info: ErrorInfo | undefined, now: number): number | undefined {
  const object = info?.object;
  if (!object) return undefined;
  const valid = (ms: number): number | undefined => (ms <= MAX_DATE_MS ? ms : undefined);
  const at = object.resets_at;
  if (typeof at === 'number' && Number.isFinite(at) && at > 0) return valid(epochMsFromResetsAt(at));
  const inSeconds = object.resets_in_seconds;
  if (typeof inSeconds === 'number' && Number.isFinite(inSeconds) && inSeconds >= 0) return valid(now + inSeconds * 1000);
  return undefined;
}

function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 48 * 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}

interface ErrorContext {
  kind: GatewayErrorKind;
  status?: number;
  info?: ErrorInfo;
  /** Retry-After and friends, already parsed. */
  retryAfterMs?: number;
  now: number;
  /** Describes where the error came from, e.g. "(429)" or "in the stream". */
  where: string;
}

/** The user-facing sentence and details for an error of a known kind. */
function buildError(context: ErrorContext): GatewayError {
  const { kind, status, info, retryAfterMs, now, where } = context;
  const words = info?.message ? shorten(info.message) : undefined;
  const code = info?.code ?? info?.type;
  const details: GatewayError['details'] = {};
  if (status !== undefined) details.status = status;
  if (code) details.code = code;
  if (words) details.gatewayMessage = words;

  let message: string;
  switch (kind) {
    case 'auth':
      message = `The gateway rejected the API key ${where}. Run 'CPA Image: Set API Key' or check IMAGE_GEN_KEY.${quoted(words)}`;
      break;
    case 'forbidden':
      message =
        `The gateway refused the request ${where}: the key is valid but not allowed to do this ` +
        `(plan, group or region). Check the account's access to the model and to image generation.${quoted(words)}`;
      break;
    case 'not_found':
      message =
        `The gateway answered "not found" ${where}: no such route or model. Check the base URL ` +
        `(the gateway's address, e.g. http://127.0.0.1:8317) and the model name.${quoted(words)}`;
      break;
    case 'content_policy': {
      const policy = policyCode(info);
      message = `The image was refused by the content policy ${where}${policy ? ` (${policy})` : ''}. Rephrase the prompt.${quoted(words)}`;
      details.retryable = false;
      break;
    }
    case 'usage_limit': {
      const resetsAt = resetsAtMs(info, now);
      if (resetsAt !== undefined) details.resetsAt = resetsAt;
      const when =
        resetsAt !== undefined
          ? ` It resets at ${new Date(resetsAt).toISOString()} (in about ${formatWait(Math.max(0, resetsAt - now))}).`
          : ' Wait until it resets or use another account.';
      message = `The account's usage limit or quota has been reached ${where}.${when}${quoted(words)}`;
      break;
    }
    case 'rate_limited': {
      if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
      const wait = retryAfterMs !== undefined ? ` It asked to wait ${formatWait(retryAfterMs)}.` : '';
      message = `The gateway is rate limiting requests ${where}.${wait} Try again later.${quoted(words)}`;
      break;
    }
    case 'server': {
      if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
      const transient = (status !== undefined && TRANSIENT_STATUSES.has(status)) || isDisconnect(info) || codes(info).some((c) => SERVER_CODES.has(c));
      details.retryable = transient;
      message = `The gateway failed ${where}. Try again in a moment; if it persists, check the gateway's log.${quoted(words)}`;
      break;
    }
    default: {
      const tooLarge = kind === 'bad_request' ? requestTooLarge(info) : undefined;
      if (tooLarge !== undefined) {
        details.retryable = false;
        message =
          `The request is too large for the gateway's limit${tooLarge ? ` (${tooLarge})` : ''} ${where}: it asks for more than the ` +
          `whole limit, so waiting cannot help. Shorten the prompt or the instructions, or send fewer or smaller images.${quoted(words)}`;
        break;
      }
      message = `The gateway rejected the request ${where}.${quoted(words) || ' It gave no reason.'}`;
    }
  }
  return new GatewayError(kind, message, details);
}

function looksLikeHtml(text: string, headers: Record<string, string>): boolean {
  const contentType = headerValue(headers, 'content-type') ?? '';
  if (/text\/html/i.test(contentType)) return true;
  return /^<(!doctype\s+html|html|head|body|title)\b/i.test(text);
}

function htmlTitle(text: string): string | undefined {
  const title = elementText(text, 'title');
  if (title?.trim()) return shorten(decodeBasicEntities(title), 120);
  const heading = elementText(text, 'h1');
  return heading?.trim() ? shorten(decodeBasicEntities(heading.replace(/<[^<>]+>/g, '')), 120) : undefined;
}

/**
 * The content of the first `<tag …>…</tag>`. Found with three forward searches instead of the regex
 * /<tag[^>]*>([\s\S]*?)<\/tag>/, which restarts its scan to the end of the text at every `<tag` and so
 * is quadratic: an error page of 100 kB made of `<h1` took 1.5 s, the 1 MiB that is read of an error body
 * well over a minute.
 */
function elementText(text: string, tag: string): string | undefined {
  const open = new RegExp(`<${tag}(?![\\w-])`, 'i').exec(text);
  if (!open) return undefined;
  const start = text.indexOf('>', open.index);
  if (start < 0) return undefined;
  const close = new RegExp(`</${tag}\\s*>`, 'ig');
  close.lastIndex = start + 1;
  const end = close.exec(text);
  return end ? text.slice(start + 1, end.index) : undefined;
}

function decodeBasicEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Parses JSON after the blank lines some gateways send as keep-alive before the body. */
export function parseJsonBody(text: string): { ok: true; value: unknown } | { ok: false } {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (!trimmed) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(trimmed) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The first characters of an unreadable body, on one line. */
export function bodyExcerpt(text: string, max = 200): string {
  return shorten(text.replace(/^\uFEFF/, ''), max);
}

/** True when a parsed body reports an error and carries no image (an error under HTTP 200, a failed Response). */
export function isErrorBody(json: unknown): boolean {
  return findErrorInfo(json) !== undefined && readImageFromResponse(json) === undefined;
}

/**
 * The error for an HTTP answer that is not a success (or a success whose body is an error: the CPA
 * keep-alive quirk writes a JSON error under status 200). `now` anchors `Retry-After` dates and
 * `resets_in_seconds`; it defaults to the system time.
 */
export function readHttpError(
  status: number,
  headers: Record<string, string>,
  bodyText: string,
  now: number = Date.now(),
): GatewayError {
  const where = `(${status})`;
  if (status >= 300 && status < 400) {
    const location = headerValue(headers, 'location');
    let target = 'another address';
    if (location) {
      try {
        target = new URL(location, 'http://invalid.invalid').origin;
        if (target === 'http://invalid.invalid') target = 'another path on the same host';
      } catch {
        target = 'an unreadable address';
      }
    }
    return new GatewayError(
      'config',
      `The gateway redirected the request (${status}) to ${target}; it was not followed and the API key was not sent there. ` +
        `Set the base URL to the gateway's real address.`,
      { status, retryable: false },
    );
  }

  const parsed = parseJsonBody(bodyText);
  if (!parsed.ok) {
    const text = bodyText.trim();
    if (text && looksLikeHtml(text, headers)) {
      const title = htmlTitle(text);
      const kind = status >= 400 ? kindFromStatus(status, undefined) : 'protocol';
      const transient = TRANSIENT_STATUSES.has(status);
      return new GatewayError(
        kind,
        `The gateway returned an HTML page (status ${status}) instead of JSON — a proxy in front of it may be failing` +
          `${title ? ` (page title: "${title}")` : ''}. Check the base URL and that the gateway is running.`,
        { status, excerpt: bodyExcerpt(text), retryable: transient, ...(title ? { gatewayMessage: title } : {}) },
      );
    }
    if (status < 400) {
      return new GatewayError(
        'protocol',
        text
          ? `The gateway's answer (status ${status}) is not valid JSON — it may have been cut off: "${bodyExcerpt(text)}".`
          : `The gateway answered (status ${status}) with an empty body.`,
        { status, excerpt: bodyExcerpt(text), retryable: true },
      );
    }
    // A plain-text error ("Bad Gateway", "upstream connect error ...") still says what went wrong.
    const info: ErrorInfo | undefined = text ? { message: text } : undefined;
    const kind = kindFromStatus(status, info);
    const error = buildError({ kind, status, info, retryAfterMs: parseRetryDelayMs(headers, undefined, text, now), now, where });
    if (text) error.details.excerpt = bodyExcerpt(text);
    return error;
  }

  const info = findErrorInfo(parsed.value);
  const kind = status >= 400 ? kindFromStatus(status, info) : (kindFromCodes(info) ?? 'server');
  const retryAfterMs = parseRetryDelayMs(headers, info?.object, info?.message, now);
  const error = buildError({ kind, status, info, retryAfterMs, now, where: status >= 400 ? where : `(an error under status ${status})` });
  if (!info) error.details.excerpt = bodyExcerpt(bodyText);
  return error;
}

/**
 * The error an SSE event reports: `error` (flat or nested), `response.failed` with `response.error`,
 * or undefined for any other event.
 */
export function readEventError(data: unknown, now: number = Date.now()): GatewayError | undefined {
  const object = asRecord(data);
  if (!object) return undefined;
  const type = asString(object.type);
  if (type !== 'error' && type !== 'response.failed') return undefined;
  const info = findErrorInfo(object) ?? { message: type === 'response.failed' ? 'The response failed without a reason.' : 'Unknown error.' };
  const statusValue = asRecord(info.object)?.status ?? asRecord(info.object)?.status_code;
  const status = typeof statusValue === 'number' && statusValue >= 400 && statusValue < 600 ? statusValue : undefined;
  const kind = kindFromCodes(info) ?? (status !== undefined ? kindFromStatus(status, info) : 'server');
  const retryAfterMs = parseRetryDelayMs(undefined, info.object, info.message, now);
  return buildError({ kind, status, info, retryAfterMs, now, where: 'during generation' });
}
