/**
 * The gateway client (SPEC §5): sends one image request, reads the answer as SSE or JSON, retries
 * what the policy allows, and returns the decoded image with its real type. Everything it throws is
 * a `GatewayError` with the key redacted; everything it logs goes through a redacting logger.
 */
import type { Clock, GatewaySettings, GeneratedImage, ImageMime, ImageRequest, Logger, Phase, ProgressEvent } from '../types';
import { GatewayError, cancelledError, isCancellation, redactSecrets, throwIfAborted } from '../errors';
import { nullLogger, redactingLogger } from '../logger';
import { redactForDisplay, redactUrlCredentials, secretPrefixLength } from '../text/redaction';
import { systemClock } from '../clock';
import { buildModelsRequest, buildResponsesRequest, type HttpRequest } from './request';
import { createUndiciTransport, type HttpResponse, type HttpTransport } from './transport';
import { abortableChunks, readSseEvents, tooLargeError } from './sse';
import {
  bodyExcerpt,
  echoedToolsLackImageGeneration,
  incompleteError,
  incompleteReason,
  isErrorBody,
  modelText,
  parseJsonBody,
  readEventError,
  readHttpError,
  readImageFromResponse,
  type FoundImage,
} from './responseReader';
import { decideRetry, finalError, initialRetryState, nextRetryState, overallBudget, overallTimeoutError, withinOverallBudget } from './retry';
import { describeBytes, detectImageType } from './imageType';
import { Base64Splicer, type SplicedValue } from './base64Splice';
import { FinishedItems, StreamBudget, TextPrefix, eventByteLimit, eventTooLargeError } from './answerBounds';
import { asRecord } from '../json';

export interface ImageClientOptions {
  transport?: HttpTransport;
  clock?: Clock;
  logger?: Logger;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * How a `response.completed` event begins on the wire, with or without its `event:` line; once the image is in
 * hand, the stream is not read past it (the event repeats the image).
 */
const COMPLETED_LINES = [
  ...['event: response.completed', 'event:response.completed'].flatMap((line) => [`${line}\n`, `${line}\r`]),
  'data: {"type":"response.completed"',
  'data:{"type":"response.completed"',
];

/** An error body is only quoted, so there is no point reading megabytes of it. */
const ERROR_BODY_LIMIT = 1024 * 1024;
/** "Check Connection" is a cheap request; it should not hang for the full image timeout. */
const CHECK_TIMEOUT_MS = 30_000;
/** The most previews the image tool makes (`partial_images` is 0–3); the cap when the request asked for none. */
const MAX_PARTIAL_IMAGES = 3;
/** Longest model text quoted in a "no image" message. */
const MAX_MODEL_TEXT = 500;

/** Anything thrown, as a GatewayError; a fired signal always wins, whatever the error it caused. */
function toGatewayError(err: unknown, signal: AbortSignal | undefined): GatewayError {
  if (signal?.aborted) return cancelledError();
  if (err instanceof GatewayError) return err;
  if (isCancellation(err)) return cancelledError();
  const text = err instanceof Error ? err.message : String(err);
  return new GatewayError('protocol', `Unexpected error while talking to the gateway: ${text}`, { cause: err });
}

/** The same error with every secret removed from its message and quoted texts. */
function redactError(error: GatewayError, secrets: readonly string[]): GatewayError {
  const redact = (text: string | undefined): string | undefined => (text === undefined ? undefined : redactForDisplay(text, secrets));
  const { details } = error;
  const strings = [error.message, details.gatewayMessage, details.excerpt, details.modelText, details.code];
  if (strings.every((s) => s === undefined || redact(s) === s)) return error;
  const clean: GatewayError['details'] = { ...details };
  if (details.gatewayMessage !== undefined) clean.gatewayMessage = redact(details.gatewayMessage);
  if (details.excerpt !== undefined) clean.excerpt = redact(details.excerpt);
  if (details.modelText !== undefined) clean.modelText = redact(details.modelText);
  if (details.code !== undefined) clean.code = redact(details.code);
  return new GatewayError(error.kind, redactForDisplay(error.message, secrets), clean);
}

function quote(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Chunks smaller than this are copied into shared blocks of `BODY_BLOCK_BYTES` (see readBodyBytes). */
const SMALL_CHUNK_BYTES = 4096;
const BODY_BLOCK_BYTES = 64 * 1024;

/**
 * Reads a whole body with the size cap; `truncate` keeps the first `maxBytes` instead of failing.
 * Small chunks are copied into shared blocks rather than kept one by one: each chunk object costs about
 * 100 bytes on its own, so a body that arrives a byte at a time would otherwise take some 100 times its
 * size in memory, far past the cap (an 8 MB body in 1-byte chunks did not fit in a 400 MB heap).
 */
async function readBodyBytes(
  body: AsyncIterable<Uint8Array>,
  options: { signal?: AbortSignal; maxBytes: number; truncate?: boolean },
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let block = Buffer.alloc(0);
  let used = 0;
  const flush = (): void => {
    if (used === 0) return;
    chunks.push(block.subarray(0, used));
    block = block.subarray(used);
    used = 0;
  };
  const keep = (chunk: Uint8Array): void => {
    if (chunk.byteLength >= SMALL_CHUNK_BYTES) {
      flush();
      chunks.push(chunk);
      return;
    }
    if (block.length - used < chunk.byteLength) {
      flush();
      block = Buffer.allocUnsafe(BODY_BLOCK_BYTES);
    }
    block.set(chunk, used);
    used += chunk.byteLength;
  };
  for await (const chunk of abortableChunks(body, options.signal)) {
    if (total + chunk.byteLength > options.maxBytes) {
      if (!options.truncate) throw tooLargeError(options.maxBytes);
      keep(chunk.subarray(0, options.maxBytes - total));
      total = options.maxBytes;
      break;
    }
    keep(chunk);
    total += chunk.byteLength;
  }
  flush();
  return Buffer.concat(chunks, total);
}

function mimeForFormat(format: unknown): ImageMime {
  if (format === 'jpeg' || format === 'jpg') return 'image/jpeg';
  if (format === 'webp') return 'image/webp';
  return 'image/png';
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Characters of the bytes quoted in a "not an image" error. */
const EXCERPT_CHARS = 80;

/**
 * The start of bytes that are not an image, with the secrets removed. The excerpt is taken wider than shown and
 * redacted before it is cut, so that a key in the decoded bytes is never shown cut in two (and so unredacted).
 */
function bytesExcerpt(bytes: Uint8Array, secrets: readonly string[]): string {
  const longest = Math.max(0, ...secrets.map((secret) => secret.length));
  const wide = redactSecrets(describeBytes(bytes, EXCERPT_CHARS + longest), secrets);
  return wide.length > EXCERPT_CHARS + 1 ? `${wide.slice(0, EXCERPT_CHARS).replace(/…$/, '')}…` : wide;
}

/**
 * What clean base64 of this text decodes to, in bytes; -1 when a length check cannot tell (a lone last
 * character decodes to nothing whatever it is). Node's decoder skips what is not base64 and stops at padding,
 * so any such character, or whitespace, gives fewer bytes than this.
 */
function cleanDecodedLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  const chars = base64.length - padding;
  return chars % 4 === 1 ? -1 : Math.floor((chars * 3) / 4);
}

function notBase64Error(start: Uint8Array, secrets: readonly string[]): GatewayError {
  // Not base64 at all (a URL, a message): quote the text itself, not what decoding would make of it. A long value
  // taken out of the body was not redacted with it, so the excerpt is redacted before it is cut.
  const excerpt = bytesExcerpt(start, secrets);
  return new GatewayError('not_image', `The gateway's image result is not base64 data; it starts with "${excerpt}". Nothing was saved.`, { excerpt });
}

/** A preview image: its first bytes (enough for the type) now, all of them on first request. */
interface Preview {
  start: Uint8Array;
  bytes(): Uint8Array;
}

/**
 * The preview in `value`: one the splicer took out of the stream stays base64 until someone asks for its bytes
 * (the command line only counts previews; the preview panel shows them), a short one still in the text is
 * decoded at once. Undefined when there is none, it was dropped, or it is not base64.
 */
function readPreview(splicer: Base64Splicer, value: unknown): Preview | undefined {
  const text = typeof value === 'string' ? value : '';
  const spliced = splicer.take(text);
  if (spliced) {
    let decoded: Uint8Array | undefined;
    return {
      start: Buffer.from(spliced.head.toString('latin1', 0, 24), 'base64'),
      // A preview that turns out not to be clean base64 shows as an empty image rather than as garbage.
      bytes: () => (decoded ??= spliced.bytes() ?? new Uint8Array(0)),
    };
  }
  if (Base64Splicer.isPlaceholder(text)) return undefined;
  const base64 = text.replace(/\s+/g, '');
  if (!base64 || !BASE64.test(base64)) return undefined;
  const bytes = Buffer.from(base64, 'base64');
  return { start: bytes, bytes: () => bytes };
}

/**
 * Decodes the `result` (or takes the bytes the splicer decoded as they arrived) and checks they are an image
 * we can save under the right extension.
 */
function decodeImage(found: FoundImage, secrets: readonly string[], spliced?: SplicedValue): Pick<GeneratedImage, 'bytes' | 'mime' | 'extension'> {
  let bytes: Uint8Array | undefined;
  if (spliced) {
    bytes = spliced.bytes();
    if (!bytes) throw notBase64Error(spliced.head, secrets);
  } else {
    // Decode first and look closer only when the length is not what clean base64 gives: the whitespace
    // removal and the alphabet check each walk the whole text (BENCHMARKS.md F4).
    const fast = Buffer.from(found.base64, 'base64');
    if (fast.length === cleanDecodedLength(found.base64)) bytes = fast;
    else {
      const base64 = found.base64.replace(/\s+/g, '');
      if (!BASE64.test(base64)) throw notBase64Error(Buffer.from(found.base64.slice(0, 256), 'utf8'), secrets);
      bytes = Buffer.from(base64, 'base64');
    }
  }
  const type = detectImageType(bytes);
  if (!type) {
    const excerpt = bytesExcerpt(bytes, secrets);
    throw new GatewayError(
      'not_image',
      `The gateway returned ${bytes.length} bytes that are not a PNG, JPEG or WebP image; they start with "${excerpt}". Nothing was saved.`,
      { excerpt },
    );
  }
  return { bytes, mime: type.mime, extension: type.extension };
}

/**
 * The error for a finished response without an image. When the echoed tools lack
 * `image_generation` the gateway stripped the tool, which is transient and retried (SPEC §5).
 */
function noImageError(response: unknown, streamedText: string): GatewayError {
  const object = asRecord(asRecord(response)?.response) ?? asRecord(response);
  const text = modelText(object) || streamedText.trim();
  const toolMissing = echoedToolsLackImageGeneration(object);
  const said = text ? ` The model said: "${quote(text, MAX_MODEL_TEXT)}"` : '';
  const details: GatewayError['details'] = { retryable: toolMissing };
  if (text) details.modelText = quote(text, 4000);

  const reason = asRecord(object?.incomplete_details)?.reason;
  if (object?.status === 'incomplete' && reason === 'content_filter') {
    return new GatewayError('content_policy', `The image was refused by the content policy (the response stopped: content_filter). Rephrase the prompt.${said}`, {
      code: 'content_filter',
      ...details,
      retryable: false,
    });
  }
  // Stopped early (max_output_tokens, …): reported with its reason, never blamed on the tool list nor retried.
  const stoppedFor = incompleteReason(object);
  if (stoppedFor !== undefined) return incompleteError(stoppedFor, said, details);
  if (toolMissing) {
    return new GatewayError(
      'no_image',
      `The gateway answered with text instead of an image: the image_generation tool did not reach the model ` +
        `(the response lists no such tool). Check that the gateway allows image generation for this model and account.${said}`,
      details,
    );
  }
  return new GatewayError(
    'no_image',
    `The model answered without making an image. Rephrase the prompt to ask for a picture explicitly.${said}`,
    details,
  );
}

/**
 * Removes the secrets from text that arrives in pieces (the model's streamed words, shown live by the glue):
 * a secret split over two pieces would pass a per-piece redaction, so an ending that could be the start of a
 * secret is held back until the next piece shows whether it is one, or until `flush` at the end of the stream.
 * Text that ends in no such prefix passes piece for piece, unchanged.
 */
function streamingRedactor(secrets: readonly string[]): { push(text: string): string; flush(): string } {
  let pending = '';
  const heldLength = (text: string): number => secretPrefixLength(text, secrets);
  return {
    push(text: string): string {
      pending = redactSecrets(pending + text, secrets);
      const cut = pending.length - heldLength(pending);
      const shown = pending.slice(0, cut);
      pending = pending.slice(cut);
      return shown;
    },
    flush(): string {
      const rest = pending;
      pending = '';
      return rest;
    },
  };
}

/** Reports each phase once, and never lets a failing listener break the generation. */
function progressReporter(listener: ((event: ProgressEvent) => void) | undefined, log: Logger) {
  let lastPhase: Phase | undefined;
  const emit = (event: ProgressEvent): void => {
    if (!listener) return;
    try {
      listener(event);
    } catch (err) {
      log.warn(`A progress listener failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    emit,
    /** Partial images are only worth decoding for someone (BENCHMARKS.md F2). */
    hasListener: listener !== undefined,
    phase(phase: Phase): void {
      if (phase === lastPhase) return;
      lastPhase = phase;
      emit({ type: 'phase', phase });
    },
    resetPhase(): void {
      lastPhase = undefined;
    },
  };
}
type Progress = ReturnType<typeof progressReporter>;

interface AttemptResult {
  found: FoundImage;
  /** The image's bytes when they were taken out of the body as they arrived (`found.base64` is then a placeholder). */
  spliced?: SplicedValue;
  responseId?: string;
}

interface AttemptContext {
  settings: GatewaySettings;
  signal?: AbortSignal;
  progress: Progress;
  log: Logger;
  secrets: readonly string[];
}

export class ImageClient {
  readonly #injectedTransport: HttpTransport | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** Transports made here, one per proxy configuration, created on first use so undici loads late. */
  readonly #transports = new Map<string, HttpTransport>();

  constructor(options: ImageClientOptions = {}) {
    this.#injectedTransport = options.transport;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? nullLogger;
  }

  /** Releases the connections of the transports this client created (not of an injected one). */
  async close(): Promise<void> {
    const transports = [...this.#transports.values()];
    this.#transports.clear();
    await Promise.all(transports.map((t) => t.close?.()));
  }

  #transportFor(settings: GatewaySettings): HttpTransport {
    if (this.#injectedTransport) return this.#injectedTransport;
    const key = JSON.stringify(settings.proxy ?? null);
    let transport = this.#transports.get(key);
    if (!transport) {
      transport = createUndiciTransport(settings.proxy);
      this.#transports.set(key, transport);
    }
    return transport;
  }

  async generate(settings: GatewaySettings, request: ImageRequest, options: GenerateOptions = {}): Promise<GeneratedImage> {
    const { signal } = options;
    const secrets = [settings.apiKey];
    const log = redactingLogger(this.#logger, () => secrets);
    const progress = progressReporter(options.onProgress, log);
    const started = this.#clock.now();
    try {
      throwIfAborted(signal);
      const httpRequest = buildResponsesRequest(settings, request);
      const transport = this.#transportFor(settings);
      let state = initialRetryState;
      // One budget for the whole generation, whatever kind of retry spends it (issue 9): attempts and time.
      const budget = overallBudget(settings.retry);
      for (let attempt = 1; ; attempt += 1) {
        // No attempt may outlast the generation's deadline: its own timeout is cut to what is left.
        const remainingMs = budget.totalTimeoutMs - (this.#clock.now() - started);
        const cutByDeadline = remainingMs < settings.timeoutMs;
        const attemptSettings = cutByDeadline ? { ...settings, timeoutMs: Math.max(1, Math.ceil(remainingMs)) } : settings;
        try {
          progress.resetPhase();
          const result = await this.#attempt(transport, httpRequest, { settings: attemptSettings, signal, progress, log, secrets }, attempt);
          const image = decodeImage(result.found, secrets, result.spliced);
          const elapsedMs = this.#clock.now() - started;
          log.info(`Image received: ${image.mime}, ${image.bytes.length} bytes, attempt ${attempt}, ${elapsedMs} ms in all.`);
          return {
            ...image,
            // The gateway's texts reach the history, the preview and the log: an echoed key must not.
            ...(result.found.revisedPrompt !== undefined ? { revisedPrompt: redactSecrets(result.found.revisedPrompt, secrets) } : {}),
            ...(result.found.size !== undefined ? { size: redactSecrets(result.found.size, secrets) } : {}),
            ...(result.responseId !== undefined ? { responseId: redactSecrets(result.responseId, secrets) } : {}),
            attempts: attempt,
            elapsedMs,
          };
        } catch (err) {
          let error = redactError(toGatewayError(err, signal), secrets);
          if (error.kind === 'cancelled') {
            log.info(`Attempt ${attempt} cancelled.`);
            throw error;
          }
          if (error.kind === 'timeout' && cutByDeadline) error = overallTimeoutError(budget, error);
          const decision = withinOverallBudget(
            decideRetry(error, state, settings.retry, () => this.#clock.random()),
            attempt,
            this.#clock.now() - started,
            budget,
          );
          if (!decision.retry) {
            log.error(`Attempt ${attempt} failed (${error.kind}); not retrying: ${decision.why}. ${error.message}`);
            throw finalError(error, attempt, decision.stoppedBy);
          }
          state = nextRetryState(state, decision);
          log.warn(`Attempt ${attempt} failed (${error.kind}); retrying in ${decision.delayMs} ms (${decision.reason}). ${error.message}`);
          progress.emit({ type: 'retry', attempt: attempt + 1, delayMs: decision.delayMs, reason: decision.reason, message: error.message });
          try {
            await this.#clock.sleep(decision.delayMs, signal);
          } catch (sleepError) {
            throw toGatewayError(sleepError, signal);
          }
          throwIfAborted(signal);
        }
      }
    } catch (err) {
      throw redactError(toGatewayError(err, signal), secrets);
    }
  }

  /** One HTTP exchange: send, then read the answer as SSE or JSON according to what came back. */
  async #attempt(transport: HttpTransport, httpRequest: HttpRequest, context: AttemptContext, attempt: number): Promise<AttemptResult> {
    const { settings, signal, progress, log } = context;
    const sentAt = this.#clock.now();
    progress.phase('connecting');
    // A base URL may carry `user:password@`: the request lines show it as `user:***@`.
    const shownUrl = redactUrlCredentials(httpRequest.url);
    log.info(`${httpRequest.method} ${shownUrl} (attempt ${attempt}, ${settings.stream ? 'streaming' : 'non-streaming'})`);
    let response: HttpResponse;
    try {
      const sending = transport.send(httpRequest, { signal, timeoutMs: settings.timeoutMs });
      // Without a stream nothing reports progress until the whole answer is there; from here the
      // gateway is working on the image.
      if (!settings.stream) progress.phase('generating');
      response = await sending;
    } catch (err) {
      const error = toGatewayError(err, signal);
      log.warn(`${httpRequest.method} ${shownUrl} failed after ${this.#clock.now() - sentAt} ms: ${error.kind}`);
      throw error;
    }
    log.info(`${httpRequest.method} ${shownUrl} → ${response.status} after ${this.#clock.now() - sentAt} ms`);

    if (response.status < 200 || response.status >= 300) {
      throw await this.#errorFromResponse(response, context);
    }
    const contentType = response.headers['content-type'] ?? '';
    const isSse = /text\/event-stream/i.test(contentType) || (settings.stream && contentType === '');
    const result = isSse ? await this.#readStream(response, context) : await this.#readJson(response, context);
    log.info(`Answer read in ${this.#clock.now() - sentAt} ms.`);
    return result;
  }

  async #errorFromResponse(response: HttpResponse, context: AttemptContext): Promise<GatewayError> {
    const { signal, settings, secrets } = context;
    const bytes = await readBodyBytes(response.body, {
      signal,
      maxBytes: Math.min(ERROR_BODY_LIMIT, settings.maxResponseBytes),
      truncate: true,
    });
    const text = redactSecrets(bytes.toString('utf8'), secrets);
    return readHttpError(response.status, response.headers, text, this.#clock.now());
  }

  async #readJson(response: HttpResponse, context: AttemptContext): Promise<AttemptResult> {
    const { signal, settings, progress, secrets } = context;
    progress.phase('receiving');
    // The image's base64 is decoded as it arrives and never becomes a string; everything else is read as text.
    // Content-Length bounds the image, so it is decoded into one buffer of that size (pages never written cost nothing).
    const contentLength = Number(response.headers['content-length']);
    const knownLength = Number.isSafeInteger(contentLength) && contentLength > 0 && contentLength <= settings.maxResponseBytes;
    const splicer = new Base64Splicer({
      keys: { result: 'decode' },
      maxTotalBytes: settings.maxResponseBytes,
      ...(knownLength ? { sizeHint: Math.floor((contentLength * 3) / 4) + 3 } : {}),
    });
    const bytes = await readBodyBytes(splicer.splice(abortableChunks(response.body, signal)), { signal, maxBytes: settings.maxResponseBytes });
    // Redacted before anything is read or cut out of it (responseReader's contract): a key cut in two by an
    // excerpt would no longer be found by a redaction of the excerpt.
    const text = redactSecrets(bytes.toString('utf8'), secrets);
    const parsed = parseJsonBody(text);
    if (!parsed.ok) {
      throw readHttpError(response.status, response.headers, bodyExcerpt(text, 2000), this.#clock.now());
    }
    const json = parsed.value;
    const found = readImageFromResponse(json);
    if (found) {
      const id = asRecord(json)?.id;
      const spliced = splicer.take(found.base64);
      return { found, ...(spliced ? { spliced } : {}), ...(typeof id === 'string' ? { responseId: id } : {}) };
    }
    if (isErrorBody(json)) {
      // The CPA keep-alive quirk: status 200 was committed early, then the error was written as the body.
      throw readHttpError(response.status, response.headers, text, this.#clock.now());
    }
    throw noImageError(json, '');
  }

  async #readStream(response: HttpResponse, context: AttemptContext): Promise<AttemptResult> {
    const { signal, settings, progress, log, secrets } = context;
    let found: FoundImage | undefined;
    let foundSpliced: SplicedValue | undefined;
    let responseId: string | undefined;
    let finalResponse: unknown;
    let terminal: string | undefined;
    // Only the first 64 KiB of the model's text are kept, and of the finished items only their text (answerBounds.ts).
    const streamedText = new TextPrefix();
    let partialCount = 0;
    // For a text-only answer: the tools echo of an earlier event and the finished items, since some
    // backends send a bare final response (`output: []`, no `tools`).
    let echoedTools: unknown[] | undefined;
    const doneItems = new FinishedItems();
    // Past the budget the stream ends: quietly once the image is in hand (it is kept), else with too_large.
    const budget = new StreamBudget(settings.maxResponseBytes, () => found !== undefined);
    let lastType = '(none)';
    const textRedactor = streamingRedactor(context.secrets);
    // Every image's base64 is taken out of the stream as it arrives: the final one decoded on the way, the
    // previews kept as text for a listener (decoded if it looks at them) or dropped unread when there is none.
    // Events are then a few KiB, so the size cap bounds one event or one image, not the whole stream, which
    // carries the previews and repeats the image in response.completed (BENCHMARKS.md F1, F2, F5).
    const splicer = new Base64Splicer({
      keys: { result: 'decode', partial_image_b64: progress.hasListener ? 'keep' : 'drop' },
      maxValueBytes: settings.maxResponseBytes,
      endMarkers: COMPLETED_LINES,
    });
    const events = readSseEvents(splicer.splice(budget.count(abortableChunks(response.body, signal))), {
      signal,
      maxEventBytes: eventByteLimit(settings.maxResponseBytes),
      eventTooLarge: eventTooLargeError,
    });

    for await (const event of events) {
      // Redacted before it is parsed, quoted or cut (responseReader's contract); the base64 of an image never holds a key.
      const raw = redactSecrets(event.data, secrets).trim();
      if (!raw || raw === '[DONE]') continue;
      let data: unknown;
      try {
        data = JSON.parse(raw);
      } catch {
        log.debug(`Ignored an SSE event whose data is not JSON (${event.event ?? 'message'}, ${raw.length} chars).`);
        continue;
      }
      const object = asRecord(data);
      if (!object) continue;
      const type = typeof object.type === 'string' ? object.type : (event.event ?? '');
      lastType = type || lastType;
      const responseObject = asRecord(object.response);
      if (typeof responseObject?.id === 'string') responseId = responseObject.id;
      if (Array.isArray(responseObject?.tools)) echoedTools = responseObject.tools;

      switch (type) {
        case 'response.queued':
          progress.phase('queued');
          break;
        case 'response.in_progress':
        case 'response.image_generation_call.in_progress':
        case 'response.image_generation_call.generating':
          progress.phase('generating');
          break;
        case 'response.image_generation_call.partial_image': {
          progress.phase('generating');
          if (!progress.hasListener) break;
          // Only what was asked for counts (issue 9): no "partial image 1506/3", no fourth preview of three. The
          // gateway's index is taken when it is one of the asked-for places, else the preview's own rank.
          const expected = settings.tool.partialImages;
          const limit = expected ?? MAX_PARTIAL_IMAGES;
          if (partialCount >= limit) break;
          const preview = readPreview(splicer, object.partial_image_b64);
          if (!preview) break;
          const given = object.partial_image_index;
          const index = typeof given === 'number' && Number.isInteger(given) && given >= 0 && given < limit ? given : partialCount;
          partialCount += 1;
          const mime = detectImageType(preview.start)?.mime ?? mimeForFormat(object.output_format ?? settings.tool.outputFormat);
          progress.emit({
            type: 'partialImage',
            index,
            get bytes(): Uint8Array {
              return preview.bytes();
            },
            mime,
            ...(expected !== undefined ? { expected } : {}),
          });
          break;
        }
        case 'response.image_generation_call.completed':
          progress.phase('receiving');
          break;
        case 'response.output_item.done': {
          if (object.item !== undefined) doneItems.add(object.item);
          const item = readImageFromResponse({ item: object.item });
          if (item && !found) {
            found = item;
            foundSpliced = splicer.take(item.base64);
            // The image is in hand: later copies are skipped unread, and the stream ends where response.completed,
            // which repeats it, begins; the events before that are still read for the model's trailing text
            // (BENCHMARKS.md F3). A stream that ends after the image still gives the image.
            splicer.stopKeeping();
            if (foundSpliced) splicer.endAfter(foundSpliced);
            progress.phase('receiving');
          }
          break;
        }
        case 'response.output_text.delta':
          if (typeof object.delta === 'string' && object.delta && streamedText.open) {
            const shown = textRedactor.push(streamedText.add(object.delta));
            if (shown) progress.emit({ type: 'text', text: shown });
          }
          break;
        case 'response.completed':
        case 'response.incomplete':
          terminal = type;
          finalResponse = object.response;
          // The item seen earlier counts even when the final `output` is empty (gateway.md §6.2 variant a).
          if (!found) {
            found = readImageFromResponse(object.response);
            if (found) foundSpliced = splicer.take(found.base64);
          }
          break;
        case 'response.failed':
        case 'error': {
          terminal = type;
          const error = readEventError(object, this.#clock.now());
          if (found) {
            log.warn(`The stream reported an error after the image had arrived; keeping the image. ${error?.message ?? ''}`);
            break;
          }
          throw error ?? new GatewayError('server', 'The gateway reported a failure without details.');
        }
        default:
          // Unknown event types are ignored, unless they carry a top-level error object.
          if (asRecord(object.error) && type === '') {
            const error = readEventError({ ...object, type: 'error' }, this.#clock.now());
            if (error && !found) throw error;
          }
          break;
      }
      // A terminal event ends the exchange even if the gateway keeps the connection open.
      if (terminal) break;
      // Values of this event that nobody took (a partial image in an unexpected place, a second image) go.
      splicer.releaseThrough(raw);
    }
    if (budget.exceeded) log.warn(`The stream went on past ${budget.budget} bytes after the image had arrived; it was not read further.`);
    const heldText = textRedactor.flush();
    if (heldText) progress.emit({ type: 'text', text: heldText });

    if (found) return { found, ...(foundSpliced ? { spliced: foundSpliced } : {}), ...(responseId !== undefined ? { responseId } : {}) };
    if (!terminal) {
      throw new GatewayError(
        'protocol',
        `The stream ended before the image arrived (no response.completed; last event: ${lastType}). ` +
          `The gateway or a proxy cut the connection; try again.`,
        { retryable: true },
      );
    }
    const final = asRecord(finalResponse) ?? {};
    const output = Array.isArray(final.output) && final.output.length > 0 ? final.output : doneItems.output(secrets);
    const tools = Array.isArray(final.tools) ? final.tools : echoedTools;
    // Redacted as a whole: a key split over two deltas is only whole here.
    // A response.incomplete whose response omits its status is still incomplete.
    const status = terminal === 'response.incomplete' && final.status === undefined ? { status: 'incomplete' } : {};
    throw noImageError({ ...final, ...status, output, ...(tools ? { tools } : {}) }, streamedText.text(secrets));
  }

  /** `GET <base>/v1/models`: does the gateway answer, and does it accept the key? */
  async checkConnection(settings: GatewaySettings, options: { signal?: AbortSignal } = {}): Promise<{ status: number; models: string[] }> {
    const { signal } = options;
    const secrets = [settings.apiKey];
    const log = redactingLogger(this.#logger, () => secrets);
    const context: AttemptContext = { settings, signal, progress: progressReporter(undefined, log), log, secrets };
    const started = this.#clock.now();
    try {
      throwIfAborted(signal);
      const httpRequest = buildModelsRequest(settings);
      const transport = this.#transportFor(settings);
      const shownUrl = redactUrlCredentials(httpRequest.url);
      log.info(`${httpRequest.method} ${shownUrl} (connection check)`);
      const response = await transport.send(httpRequest, { signal, timeoutMs: Math.min(settings.timeoutMs, CHECK_TIMEOUT_MS) });
      log.info(`${httpRequest.method} ${shownUrl} → ${response.status} after ${this.#clock.now() - started} ms`);
      if (response.status < 200 || response.status >= 300) throw await this.#errorFromResponse(response, context);
      const bytes = await readBodyBytes(response.body, { signal, maxBytes: settings.maxResponseBytes });
      const text = bytes.toString('utf8');
      const parsed = parseJsonBody(text);
      if (!parsed.ok) throw readHttpError(response.status, response.headers, redactSecrets(bodyExcerpt(text, 2000), secrets), this.#clock.now());
      if (isErrorBody(parsed.value)) throw readHttpError(response.status, response.headers, redactSecrets(text, secrets), this.#clock.now());
      return { status: response.status, models: modelIds(parsed.value) };
    } catch (err) {
      const error = redactError(toGatewayError(err, signal), secrets);
      log.warn(`Connection check failed (${error.kind}): ${error.message}`);
      throw error;
    }
  }
}

/** Model ids from `{"data":[{"id"}]}` (OpenAI) or `{"models":[…]}` (other gateways). */
function modelIds(json: unknown): string[] {
  const object = asRecord(json);
  const list = Array.isArray(object?.data) ? object.data : Array.isArray(object?.models) ? object.models : Array.isArray(json) ? json : [];
  const ids: string[] = [];
  for (const entry of list) {
    if (typeof entry === 'string') ids.push(entry);
    else {
      const record = asRecord(entry);
      const id = record?.id ?? record?.name;
      if (typeof id === 'string') ids.push(id);
    }
  }
  return ids;
}
