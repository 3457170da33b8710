/**
 * The gateway client (SPEC §5): sends one image request, reads the answer as SSE or JSON, retries
 * what the policy allows, and returns the decoded image with its real type. Everything it throws is
 * a `GatewayError` with the key redacted; everything it logs goes through a redacting logger.
 */
import type { Clock, GatewaySettings, GeneratedImage, ImageMime, ImageRequest, ImageRoute, Logger, Phase, ProgressEvent } from '../types';
import { GatewayError, cancelledError, isCancellation, redactSecrets, throwIfAborted } from '../errors';
import { nullLogger, redactingLogger } from '../logger';
import { redactForDisplay, redactUrlCredentials, secretPrefixLength } from '../text/redaction';
import { systemClock } from '../clock';
import { buildModelsRequest, buildResponsesRequest, buildTextRequest, type HttpRequest, type TextRequest } from './request';
import { createUndiciTransport, type HttpResponse, type HttpTransport } from './transport';
import {
  bodyExcerpt,
  echoedToolsLackImageGeneration,
  incompleteError,
  incompleteReason,
  isErrorBody,
  modelText,
  parseJsonBody,
  readHttpError,
  type FoundImage,
} from './responseReader';
import { decideRetry, decideTransparencyRetry, finalError, initialRetryState, nextRetryState, overallBudget, overallTimeoutError, withinOverallBudget } from './retry';
import { describeBytes, detectImageType } from './imageType';
import type { SplicedValue } from './base64Splice';
import { BASE64, StreamEventReader, readBodyBytes, readJsonAnswer, type ImageInHand, type Preview } from './responseEvents';
import { buildImagesMultipartEdit, buildImagesProbeRequest, buildImagesRequest } from './imagesRequest';
import { readImagesJson, readImagesStream } from './imagesAnswer';
import { imageToolUnavailable, jsonEditRefused, listsImageModel, probeShowsImagesRoute } from './routeChoice';
import { checkEditInputs } from './editInputs';
import { FinishedItems, TextPrefix } from './answerBounds';
import { asRecord } from '../json';
import { oneLineExcerpt } from '../text/describe';
import { readTokenUsage, type TokenUsage } from './usage';
import { readCodexQuota, type QuotaStatus } from './quota';

export interface ImageClientOptions {
  transport?: HttpTransport;
  clock?: Clock;
  logger?: Logger;
}

/** The words of a text answer (`describe`), and what it took. */
export interface TextAnswer {
  text: string;
  attempts: number;
  elapsedMs: number;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}


/** An error body is only quoted, so there is no point reading megabytes of it. */
const ERROR_BODY_LIMIT = 1024 * 1024;
/** "Check Connection" is a cheap request; it should not hang for the full image timeout. */
const CHECK_TIMEOUT_MS = 30_000;
/** The most previews the image tool makes (`partial_images` is 0–3); the cap when the request asked for none. */
const MAX_PARTIAL_IMAGES = 3;
/** The most characters of a text answer (Write Alt Text) kept: one sentence is asked for. */
export const MAX_TEXT_ANSWER_CHARS = 4096;
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



function mimeForFormat(format: unknown): ImageMime {
  if (format === 'jpeg' || format === 'jpg') return 'image/jpeg';
  if (format === 'webp') return 'image/webp';
  return 'image/png';
}


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
  const said = text ? ` The model said: "${oneLineExcerpt(text, MAX_MODEL_TEXT)}"` : '';
  const details: GatewayError['details'] = { retryable: toolMissing };
  if (text) details.modelText = oneLineExcerpt(text, 4000);

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

/**
 * Reports previews as progress events. Only what was asked for counts (issue 9): no "partial image 1506/3", no fourth
 * preview of three. The gateway's index is taken when it is one of the asked-for places, else the preview's own rank.
 */
function partialReporter(settings: GatewaySettings, progress: Progress) {
  let partialCount = 0;
  return {
    report(preview: Preview, given: unknown, outputFormat: unknown): void {
      const expected = settings.tool.partialImages;
      const limit = expected ?? MAX_PARTIAL_IMAGES;
      if (partialCount >= limit) return;
      const index = typeof given === 'number' && Number.isInteger(given) && given >= 0 && given < limit ? given : partialCount;
      partialCount += 1;
      const mime = detectImageType(preview.start)?.mime ?? mimeForFormat(outputFormat ?? settings.tool.outputFormat);
      progress.emit({
        type: 'partialImage',
        index,
        get bytes(): Uint8Array {
          return preview.bytes();
        },
        mime,
        ...(expected !== undefined ? { expected } : {}),
      });
    },
  };
}

interface AttemptResult {
  found: FoundImage;
  /** The image's bytes when they were taken out of the body as they arrived (`found.base64` is then a placeholder). */
  spliced?: SplicedValue;
  responseId?: string;
  /** From the answer's `usage` (JSON body, or the stream's `response.completed`). */
  usage?: TokenUsage;
  /** From the answer's `x-codex-*` headers. */
  quota?: QuotaStatus;
}

interface AttemptContext {
  /** Which route the answer comes from, so it is read as that route's answer. */
  route: ImageRoute;
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

  /**
   * One image on the configured route (`settings.api`): `responses` (the default), `images`, or `auto`, which uses the
   * Responses route and, when the gateway shows that its image tool is unavailable and it offers the Images route,
   * asks once more there; the result's `routeSwitch` then says so.
   */
  async generate(settings: GatewaySettings, request: ImageRequest, options: GenerateOptions = {}): Promise<GeneratedImage> {
    const api = settings.api ?? 'responses';
    if (api !== 'auto') return this.#generateOn(api, settings, request, options);
    try {
      return await this.#generateOn('responses', settings, request, options);
    } catch (err) {
      const reason = err instanceof GatewayError ? imageToolUnavailable(err) : undefined;
      if (!reason || options.signal?.aborted) throw err;
      const secrets = [settings.apiKey];
      const log = redactingLogger(this.#logger, () => secrets);
      const offered = await this.imagesRouteOffered(settings, { ...(options.signal ? { signal: options.signal } : {}) }).catch(() => false);
      if (!offered) {
        log.info(`The Responses route has no image tool (${reason}), and the gateway does not offer the Images route; not switching.`);
        throw err;
      }
      const imageModel = settings.imageModel ?? '';
      log.warn(`The Responses route has no image tool (${reason}); asking once more on the Images route (${imageModel}).`);
      try {
        const image = await this.#generateOn('images', settings, request, options);
        return { ...image, routeSwitch: { reason, imageModel } };
      } catch (imagesErr) {
        const error = toGatewayError(imagesErr, options.signal);
        if (error.kind === 'cancelled') throw error;
        const first = err as GatewayError;
        throw new GatewayError(
          error.kind,
          `The gateway's Responses route has no image tool, and the Images route failed too: ${error.message} (Responses route: ${first.message})`,
          { ...error.details },
        );
      }
    }
  }

  /**
   * Whether the gateway offers the Images route: `GET /v1/models` lists an image model, or the free probe
   * (`POST /v1/images/generations` with `{}`, refused for its missing prompt without reaching the upstream) answers.
   */
  async imagesRouteOffered(settings: GatewaySettings, options: { signal?: AbortSignal; models?: readonly string[] } = {}): Promise<boolean> {
    const { signal } = options;
    try {
      const models = options.models ?? (await this.checkConnection(settings, { ...(signal ? { signal } : {}) })).models;
      if (listsImageModel(models, settings.imageModel)) return true;
    } catch (err) {
      if (signal?.aborted) throw toGatewayError(err, signal);
    }
    return this.#probeImagesRoute(settings, { ...(signal ? { signal } : {}) });
  }

  async #probeImagesRoute(settings: GatewaySettings, options: { signal?: AbortSignal }): Promise<boolean> {
    const { signal } = options;
    const secrets = [settings.apiKey];
    const log = redactingLogger(this.#logger, () => secrets);
    try {
      const httpRequest = buildImagesProbeRequest(settings);
      const shownUrl = redactUrlCredentials(httpRequest.url);
      const response = await this.#transportFor(settings).send(httpRequest, { ...(signal ? { signal } : {}), timeoutMs: Math.min(settings.timeoutMs, CHECK_TIMEOUT_MS) });
      const bytes = await readBodyBytes(response.body, { ...(signal ? { signal } : {}), maxBytes: 64 * 1024, truncate: true });
      const offered = probeShowsImagesRoute(response.status, bytes.toString('utf8'));
      log.info(`${httpRequest.method} ${shownUrl} (Images route probe) → ${response.status}: ${offered ? 'offered' : 'not offered'}`);
      return offered;
    } catch (err) {
      const error = toGatewayError(err, signal);
      if (error.kind === 'cancelled') throw error;
      log.info(`The Images route probe failed (${error.kind}).`);
      return false;
    }
  }

  async #generateOn(route: ImageRoute, settings: GatewaySettings, request: ImageRequest, options: GenerateOptions): Promise<GeneratedImage> {
    const { signal } = options;
    const secrets = [settings.apiKey];
    const log = redactingLogger(this.#logger, () => secrets);
    const progress = progressReporter(options.onProgress, log);
    const started = this.#clock.now();
    try {
      throwIfAborted(signal);
      checkEditInputs(request);
      const edit = (request.inputImages?.length ?? 0) > 0;
      // The Images route's edit goes as JSON; a gateway that refuses that form gets the multipart form, once.
      let asForm = false;
      const build = (s: GatewaySettings): HttpRequest =>
        route === 'responses' ? buildResponsesRequest(s, request) : asForm ? buildImagesMultipartEdit(s, request) : buildImagesRequest(s, request);
      let httpRequest = build(settings);
      const transport = this.#transportFor(settings);
      let state = initialRetryState;
      const askedTransparency = settings.tool.background?.trim().toLowerCase() === 'transparent';
      // One budget for the whole generation, whatever kind of retry spends it (issue 9): attempts and time.
      const budget = overallBudget(settings.retry);
      for (let attempt = 1; ; attempt += 1) {
        // No attempt may outlast the generation's deadline: its own timeout is cut to what is left.
        const remainingMs = budget.totalTimeoutMs - (this.#clock.now() - started);
        const cutByDeadline = remainingMs < settings.timeoutMs;
        const attemptSettings = cutByDeadline ? { ...settings, timeoutMs: Math.max(1, Math.ceil(remainingMs)) } : settings;
        try {
          progress.resetPhase();
          const result = await this.#attempt(transport, httpRequest, { route, settings: attemptSettings, signal, progress, log, secrets }, attempt);
          const image = decodeImage(result.found, secrets, result.spliced);
          const elapsedMs = this.#clock.now() - started;
          log.info(`Image received: ${image.mime}, ${image.bytes.length} bytes, attempt ${attempt}, ${elapsedMs} ms in all.`);
          return {
            ...image,
            // The gateway's texts reach the history, the preview and the log: an echoed key must not.
            ...(result.found.revisedPrompt !== undefined ? { revisedPrompt: redactSecrets(result.found.revisedPrompt, secrets) } : {}),
            ...(result.found.size !== undefined ? { size: redactSecrets(result.found.size, secrets) } : {}),
            ...(result.responseId !== undefined ? { responseId: redactSecrets(result.responseId, secrets) } : {}),
            ...(state.transparencyRetries > 0 ? { transparencyRefused: true } : {}),
            attempts: attempt,
            elapsedMs,
            ...(result.usage ? { usage: result.usage } : {}),
            ...(result.quota ? { quota: result.quota } : {}),
            ...(route === 'images' ? { route } : {}),
          };
        } catch (err) {
          let error = redactError(toGatewayError(err, signal), secrets);
          if (error.kind === 'cancelled') {
            log.info(`Attempt ${attempt} cancelled.`);
            throw error;
          }
          if (error.kind === 'timeout' && cutByDeadline) error = overallTimeoutError(budget, error);
          if (route === 'images' && edit && !asForm && jsonEditRefused(error)) {
            asForm = true;
            httpRequest = build(settings);
            log.warn(`Attempt ${attempt}: the gateway refused the JSON edit (${error.details.status ?? '?'}); sending it as a multipart form. ${error.message}`);
            continue;
          }
          const decision = withinOverallBudget(
            decideTransparencyRetry(error, state, askedTransparency) ?? decideRetry(error, state, settings.retry, () => this.#clock.random()),
            attempt,
            this.#clock.now() - started,
            budget,
          );
          if (!decision.retry) {
            log.error(`Attempt ${attempt} failed (${error.kind}); not retrying: ${decision.why}. ${error.message}`);
            throw finalError(error, attempt, decision.stoppedBy);
          }
          state = nextRetryState(state, decision);
          if (decision.reason === 'transparent_refused') {
            // The same request without `background`; the settings the caller holds still say transparent, so the
            // post-process stage removes the background from what comes back.
            const { background: _refused, ...tool } = settings.tool;
            httpRequest = build({ ...settings, tool });
          }
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
      // Once the request is written the wait is the gateway's; without a stream that wait lasts until the image is
      // there, and the status says so rather than "connecting".
      response = await transport.send(httpRequest, { signal, timeoutMs: settings.timeoutMs, onSent: () => progress.phase('waiting') });
    } catch (err) {
      const error = toGatewayError(err, signal);
      log.warn(`${httpRequest.method} ${shownUrl} failed after ${this.#clock.now() - sentAt} ms: ${error.kind}`);
      throw error;
    }
    log.info(`${httpRequest.method} ${shownUrl} → ${response.status} after ${this.#clock.now() - sentAt} ms`);

    if (response.status < 200 || response.status >= 300) {
      throw await this.#errorFromResponse(response, context);
    }
    // The answer has begun: a stream's events follow (not "connecting · 0:50" after a 200); a whole answer is read
    // next ("receiving").
    if (settings.stream) progress.phase('generating');
    const contentType = response.headers['content-type'] ?? '';
    const isSse = /text\/event-stream/i.test(contentType) || (settings.stream && contentType === '');
    const result =
      context.route === 'images'
        ? await this.#readImagesAnswer(response, context, isSse)
        : isSse
          ? await this.#readStream(response, context)
          : await this.#readJson(response, context);
    log.info(`Answer read in ${this.#clock.now() - sentAt} ms.`);
    const quota = readCodexQuota(response.headers, this.#clock.now());
    return quota ? { ...result, quota } : result;
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
    const answer = await readJsonAnswer(response, { settings, signal, secrets });
    if (!answer.parsed.ok) throw readHttpError(response.status, response.headers, bodyExcerpt(answer.text, 2000), this.#clock.now());
    const json = answer.parsed.value;
    if (answer.image) {
      const id = asRecord(json)?.id;
      const usage = readTokenUsage(json);
      return { ...answer.image, ...(typeof id === 'string' ? { responseId: id } : {}), ...(usage ? { usage } : {}) };
    }
    if (isErrorBody(json)) {
      // The CPA keep-alive quirk: status 200 was committed early, then the error was written as the body.
      throw readHttpError(response.status, response.headers, answer.text, this.#clock.now());
    }
    throw noImageError(json, '');
  }

  /** The Images route's answer (imagesAnswer.ts), its previews reported as the Responses route's are. */
  async #readImagesAnswer(response: HttpResponse, context: AttemptContext, isSse: boolean): Promise<AttemptResult> {
    const { signal, settings, progress, log, secrets } = context;
    const now = (): number => this.#clock.now();
    if (!isSse) {
      progress.phase('receiving');
      return readImagesJson(response, { settings, signal, secrets, now });
    }
    const partials = partialReporter(settings, progress);
    return readImagesStream(response, {
      settings,
      signal,
      log,
      secrets,
      now,
      keepPreviews: progress.hasListener,
      onPhase: (phase) => progress.phase(phase),
      onPartial: (preview, given, outputFormat) => partials.report(preview, given, outputFormat),
    });
  }

  async #readStream(response: HttpResponse, context: AttemptContext): Promise<AttemptResult> {
    const { signal, settings, progress, log, secrets } = context;
    const reader = new StreamEventReader(response, { settings, signal, log, secrets, keepPreviews: progress.hasListener, now: () => this.#clock.now() });
    let image: ImageInHand | undefined;
    let end: { terminal: string; response: unknown } | undefined;
    // Only the first 64 KiB of the model's text are kept, and of the finished items only their text (answerBounds.ts).
    const streamedText = new TextPrefix();
    const textRedactor = streamingRedactor(secrets);
    // For a text-only answer: the finished items, since some backends send a bare final response (`output: []`).
    const doneItems = new FinishedItems();
    const partials = partialReporter(settings, progress);

    for await (const event of reader.events()) {
      switch (event.type) {
        case 'phase':
          progress.phase(event.phase);
          break;
        case 'partialImage':
          partials.report(event.preview, event.given, event.outputFormat);
          break;
        case 'image':
          image = event.image;
          break;
        case 'itemDone':
          doneItems.add(event.item);
          break;
        case 'textDelta':
          if (streamedText.open) {
            const shown = textRedactor.push(streamedText.add(event.delta));
            if (shown) progress.emit({ type: 'text', text: shown });
          }
          break;
        case 'end':
          end = event;
          image ??= event.image;
          break;
        case 'failed':
          end = { terminal: 'response.failed', response: undefined };
          if (event.imageInHand) {
            log.warn(`The stream reported an error after the image had arrived; keeping the image. ${event.error?.message ?? ''}`);
            break;
          }
          throw event.error ?? new GatewayError('server', 'The gateway reported a failure without details.');
        case 'strayError':
          if (event.error) throw event.error;
          break;
      }
    }
    if (reader.budgetExceeded) log.warn(`The stream went on past ${reader.budgetBytes} bytes after the image had arrived; it was not read further.`);
    const heldText = textRedactor.flush();
    if (heldText) progress.emit({ type: 'text', text: heldText });

    if (image) {
      // The usage is in response.completed, which the reader reads to its end with the image in it dropped unread.
      const usage = end ? readTokenUsage(end.response) : undefined;
      return { ...image, ...(reader.responseId !== undefined ? { responseId: reader.responseId } : {}), ...(usage ? { usage } : {}) };
    }
    if (!end) {
      throw new GatewayError(
        'protocol',
        `The stream ended before the image arrived (no response.completed; last event: ${reader.lastType}). ` +
          `The gateway or a proxy cut the connection; try again.`,
        { retryable: true },
      );
    }
    const final = asRecord(end.response) ?? {};
    const output = Array.isArray(final.output) && final.output.length > 0 ? final.output : doneItems.output(secrets);
    const tools = Array.isArray(final.tools) ? final.tools : reader.echoedTools;
    // Redacted as a whole: a key split over two deltas is only whole here.
    // A response.incomplete whose response omits its status is still incomplete.
    const status = end.terminal === 'response.incomplete' && final.status === undefined ? { status: 'incomplete' } : {};
    throw noImageError({ ...final, ...status, output, ...(tools ? { tools } : {}) }, streamedText.text(secrets));
  }

  /**
   * A text answer about images (Write Alt Text, issue 14 item 5): `buildTextRequest`'s request, with no image tool,
   * read as SSE or JSON with the same bounds, retry policy and overall budget as an image. The model's words, at most
   * `MAX_TEXT_ANSWER_CHARS` of them, redacted; a `protocol` error when it said nothing.
   */
  async describe(settings: GatewaySettings, request: TextRequest, options: { signal?: AbortSignal } = {}): Promise<TextAnswer> {
    const { signal } = options;
    const secrets = [settings.apiKey];
    const log = redactingLogger(this.#logger, () => secrets);
    const progress = progressReporter(undefined, log);
    const started = this.#clock.now();
    try {
      throwIfAborted(signal);
      const httpRequest = buildTextRequest(settings, request);
      const transport = this.#transportFor(settings);
      let state = initialRetryState;
      const budget = overallBudget(settings.retry);
      for (let attempt = 1; ; attempt += 1) {
        const remainingMs = budget.totalTimeoutMs - (this.#clock.now() - started);
        const cutByDeadline = remainingMs < settings.timeoutMs;
        const attemptSettings = cutByDeadline ? { ...settings, timeoutMs: Math.max(1, Math.ceil(remainingMs)) } : settings;
        try {
          const text = await this.#textAttempt(transport, httpRequest, { route: 'responses', settings: attemptSettings, signal, progress, log, secrets }, attempt);
          const elapsedMs = this.#clock.now() - started;
          log.info(`Text answer received: ${text.length} characters, attempt ${attempt}, ${elapsedMs} ms in all.`);
          return { text, attempts: attempt, elapsedMs };
        } catch (err) {
          let error = redactError(toGatewayError(err, signal), secrets);
          if (error.kind === 'cancelled') throw error;
          if (error.kind === 'timeout' && cutByDeadline) error = overallTimeoutError(budget, error);
          const decision = withinOverallBudget(decideRetry(error, state, settings.retry, () => this.#clock.random()), attempt, this.#clock.now() - started, budget);
          if (!decision.retry) {
            log.error(`Attempt ${attempt} failed (${error.kind}); not retrying: ${decision.why}. ${error.message}`);
            throw finalError(error, attempt, decision.stoppedBy);
          }
          state = nextRetryState(state, decision);
          log.warn(`Attempt ${attempt} failed (${error.kind}); retrying in ${decision.delayMs} ms (${decision.reason}). ${error.message}`);
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

  /** One exchange of `describe`: the model's text, cut to MAX_TEXT_ANSWER_CHARS, or an error. */
  async #textAttempt(transport: HttpTransport, httpRequest: HttpRequest, context: AttemptContext, attempt: number): Promise<string> {
    const { settings, signal, log, secrets } = context;
    const sentAt = this.#clock.now();
    const shownUrl = redactUrlCredentials(httpRequest.url);
    log.info(`${httpRequest.method} ${shownUrl} (text answer, attempt ${attempt}, ${settings.stream ? 'streaming' : 'non-streaming'})`);
    let response: HttpResponse;
    try {
      response = await transport.send(httpRequest, { signal, timeoutMs: settings.timeoutMs });
    } catch (err) {
      throw toGatewayError(err, signal);
    }
    log.info(`${httpRequest.method} ${shownUrl} → ${response.status} after ${this.#clock.now() - sentAt} ms`);
    if (response.status < 200 || response.status >= 300) throw await this.#errorFromResponse(response, context);
    const contentType = response.headers['content-type'] ?? '';
    const isSse = /text\/event-stream/i.test(contentType) || (settings.stream && contentType === '');
    let text: string;
    let final: unknown;
    if (isSse) {
      const reader = new StreamEventReader(response, { settings, signal, log, secrets, keepPreviews: false, now: () => this.#clock.now() });
      const streamed = new TextPrefix(MAX_TEXT_ANSWER_CHARS);
      const doneItems = new FinishedItems();
      let end: { terminal: string; response: unknown } | undefined;
      for await (const event of reader.events()) {
        if (event.type === 'textDelta') streamed.add(event.delta);
        else if (event.type === 'itemDone') doneItems.add(event.item);
        else if (event.type === 'end') end = event;
        else if (event.type === 'failed') throw event.error ?? new GatewayError('server', 'The gateway reported a failure without details.');
        else if (event.type === 'strayError' && event.error) throw event.error;
      }
      if (!end) {
        throw new GatewayError('protocol', `The stream ended before the answer was complete (no response.completed; last event: ${reader.lastType}). Try again.`, { retryable: true });
      }
      const finalResponse = asRecord(end.response) ?? {};
      final = { ...finalResponse, ...(end.terminal === 'response.incomplete' && finalResponse.status === undefined ? { status: 'incomplete' } : {}) };
      text = modelText(final) || modelText({ output: doneItems.output(secrets) }) || streamed.text(secrets);
    } else {
      const answer = await readJsonAnswer(response, { settings, signal, secrets });
      if (!answer.parsed.ok) throw readHttpError(response.status, response.headers, bodyExcerpt(answer.text, 2000), this.#clock.now());
      if (isErrorBody(answer.parsed.value)) throw readHttpError(response.status, response.headers, answer.text, this.#clock.now());
      final = answer.parsed.value;
      text = modelText(final);
    }
    text = redactSecrets(text.slice(0, MAX_TEXT_ANSWER_CHARS), secrets).trim();
    if (text) return text;
    const stoppedFor = incompleteReason(final);
    if (stoppedFor !== undefined) {
      throw new GatewayError('protocol', `The response stopped early${stoppedFor ? ` (${stoppedFor})` : ''} before the model said anything. Try again.`, { retryable: false });
    }
    throw new GatewayError('protocol', 'The model answered without any text. Try again, or check that the model is a text model that reads images.', { retryable: false });
  }

  /** `GET <base>/v1/models`: does the gateway answer, and does it accept the key? */
  async checkConnection(settings: GatewaySettings, options: { signal?: AbortSignal } = {}): Promise<{ status: number; models: string[] }> {
    const { signal } = options;
    const secrets = [settings.apiKey];
    const log = redactingLogger(this.#logger, () => secrets);
    const context: AttemptContext = { route: 'responses', settings, signal, progress: progressReporter(undefined, log), log, secrets };
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
