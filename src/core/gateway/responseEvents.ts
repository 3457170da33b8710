/**
 * The gateway's answer as events (SPEC §5, gateway.md §1–§2): a body (JSON or SSE) in, typed events out, with the
 * images already taken out of the bytes and decoded on the way. The base64 splicer, the stream budget and their
 * lifecycle (take a value, stop keeping once the image is in hand, end where the repeat of the image begins,
 * release what nobody took) live here, so the client only orchestrates: it reports progress, keeps what a message
 * needs and applies the retry policy.
 */
import type { GatewaySettings, Logger, Phase } from '../types';
import type { GatewayError } from '../errors';
import { redactSecrets } from '../errors';
import { asRecord } from '../json';
import { abortableChunks, tooLargeError } from './sse';
import { readJsonEvents } from './jsonEvents';
import { parseJsonBody, readEventError, readImageFromResponse, type FoundImage } from './responseReader';
import { Base64Splicer, type SplicedValue } from './base64Splice';
import { StreamBudget } from './answerBounds';
import type { HttpResponse } from './transport';

/** Chunks smaller than this are copied into shared blocks of `BODY_BLOCK_BYTES` (see readBodyBytes). */
const SMALL_CHUNK_BYTES = 4096;
const BODY_BLOCK_BYTES = 64 * 1024;

/**
 * Reads a whole body with the size cap; `truncate` keeps the first `maxBytes` instead of failing.
 * Small chunks are copied into shared blocks rather than kept one by one: each chunk object costs about
 * 100 bytes on its own, so a body that arrives a byte at a time would otherwise take some 100 times its
 * size in memory, far past the cap (an 8 MB body in 1-byte chunks did not fit in a 400 MB heap).
 */
export async function readBodyBytes(
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

/** Clean base64 (standard or URL-safe alphabet, optional padding). */
export const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** A preview image: its first bytes (enough for the type) now, all of them on first request. */
export interface Preview {
  start: Uint8Array;
  bytes(): Uint8Array;
}

/**
 * The preview in `value`: one the splicer took out of the stream stays base64 until someone asks for its bytes
 * (the command line only counts previews; the preview panel shows them), a short one still in the text is
 * decoded at once. Undefined when there is none, it was dropped, or it is not base64.
 */
export function readPreview(splicer: Base64Splicer, value: unknown): Preview | undefined {
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

/** The image of the answer: found by the response reader, its bytes taken out of the body as they arrived (`spliced`). */
export interface ImageInHand {
  found: FoundImage;
  spliced?: SplicedValue;
}

/** What happened in a stream, in order. The reader stops after `end` and after `failed`. */
export type StreamEvent =
  | { type: 'phase'; phase: Phase }
  /** A preview (only taken when previews are kept): `given` is the gateway's index, `outputFormat` its stated format. */
  | { type: 'partialImage'; preview: Preview; given: unknown; outputFormat: unknown }
  /** The first finished image item; later copies are skipped unread. */
  | { type: 'image'; image: ImageInHand }
  | { type: 'textDelta'; delta: string }
  /** A finished output item (for the model's words when no image comes). */
  | { type: 'itemDone'; item: unknown }
  /** `response.completed` or `response.incomplete`; `image` when the final response holds one not seen before. */
  | { type: 'end'; terminal: 'response.completed' | 'response.incomplete'; response: unknown; image?: ImageInHand }
  /** `response.failed` or an `error` event; `imageInHand` tells whether the image had already arrived. */
  | { type: 'failed'; error: GatewayError | undefined; imageInHand: boolean }
  /** An event of no known type that carries a top-level error object, before any image. */
  | { type: 'strayError'; error: GatewayError | undefined };

export interface StreamReadOptions {
  settings: GatewaySettings;
  signal?: AbortSignal;
  log: Logger;
  secrets: readonly string[];
  /** Whether previews are worth keeping (someone listens); otherwise they are dropped unread. */
  keepPreviews: boolean;
  now: () => number;
}

/**
 * Reads an SSE answer. The stream is bounded (answerBounds.ts): one event, and the whole stream past its budget,
 * which ends it quietly once the image is in hand. Afterwards the reader tells the last event type, the response
 * id and the echoed tools (for the error when no image came) and whether the budget cut the stream.
 */
export class StreamEventReader {
  lastType = '(none)';
  responseId: string | undefined;
  echoedTools: unknown[] | undefined;
  readonly #options: StreamReadOptions;
  readonly #splicer: Base64Splicer;
  readonly #budget: StreamBudget;
  #image: ImageInHand | undefined;

  constructor(
    private readonly response: HttpResponse,
    options: StreamReadOptions,
  ) {
    this.#options = options;
    const { settings, keepPreviews } = options;
    // Past the budget the stream ends: quietly once the image is in hand (it is kept), else with too_large.
    this.#budget = new StreamBudget(settings.maxResponseBytes, () => this.#image !== undefined);
    // Every image's base64 is taken out of the stream as it arrives: the final one decoded on the way, the
    // previews kept as text for a listener (decoded if it looks at them) or dropped unread when there is none.
    // Events are then a few KiB, so the size cap bounds one event or one image, not the whole stream, which
    // carries the previews and repeats the image in response.completed (BENCHMARKS.md F1, F2, F5).
    this.#splicer = new Base64Splicer({
      keys: { result: 'decode', partial_image_b64: keepPreviews ? 'keep' : 'drop' },
      maxValueBytes: settings.maxResponseBytes,
    });
  }

  /** Whether the stream went on past its budget after the image had arrived (and was not read further). */
  get budgetExceeded(): boolean {
    return this.#budget.exceeded;
  }

  get budgetBytes(): number {
    return this.#budget.budget;
  }

  async *events(): AsyncGenerator<StreamEvent> {
    const { signal, settings, log, secrets, now } = this.#options;
    const splicer = this.#splicer;
    const events = readJsonEvents(splicer.splice(this.#budget.count(abortableChunks(this.response.body, signal))), { signal, settings, log, secrets });
    for await (const { type, object, raw } of events) {
      this.lastType = type || this.lastType;
      const responseObject = asRecord(object.response);
      if (typeof responseObject?.id === 'string') this.responseId = responseObject.id;
      if (Array.isArray(responseObject?.tools)) this.echoedTools = responseObject.tools;

      switch (type) {
        case 'response.queued':
          yield { type: 'phase', phase: 'queued' };
          break;
        case 'response.in_progress':
        case 'response.image_generation_call.in_progress':
        case 'response.image_generation_call.generating':
          yield { type: 'phase', phase: 'generating' };
          break;
        case 'response.image_generation_call.partial_image': {
          yield { type: 'phase', phase: 'generating' };
          if (!this.#options.keepPreviews) break;
          const preview = readPreview(splicer, object.partial_image_b64);
          if (preview) yield { type: 'partialImage', preview, given: object.partial_image_index, outputFormat: object.output_format };
          break;
        }
        case 'response.image_generation_call.completed':
          yield { type: 'phase', phase: 'receiving' };
          break;
        case 'response.output_item.done': {
          if (object.item !== undefined) yield { type: 'itemDone', item: object.item };
          const item = readImageFromResponse({ item: object.item });
          if (item && !this.#image) {
            const spliced = splicer.take(item.base64);
            this.#image = { found: item, ...(spliced ? { spliced } : {}) };
            // The image is in hand: later copies are dropped unread (never decoded nor held), so response.completed,
            // which repeats it, reaches the JSON reader as a skeleton of a few KiB and its `usage` is read
            // (BENCHMARKS.md F3). A stream that ends after the image still gives the image.
            splicer.stopKeeping();
            yield { type: 'image', image: this.#image };
            yield { type: 'phase', phase: 'receiving' };
          }
          break;
        }
        case 'response.output_text.delta':
          if (typeof object.delta === 'string' && object.delta) yield { type: 'textDelta', delta: object.delta };
          break;
        case 'response.completed':
        case 'response.incomplete': {
          // The item seen earlier counts even when the final `output` is empty (gateway.md §6.2 variant a).
          let image: ImageInHand | undefined;
          if (!this.#image) {
            const found = readImageFromResponse(object.response);
            if (found) {
              const spliced = splicer.take(found.base64);
              image = this.#image = { found, ...(spliced ? { spliced } : {}) };
            }
          }
          yield { type: 'end', terminal: type, response: object.response, ...(image ? { image } : {}) };
          // A terminal event ends the exchange even if the gateway keeps the connection open.
          return;
        }
        case 'response.failed':
        case 'error':
          yield { type: 'failed', error: readEventError(object, now()), imageInHand: this.#image !== undefined };
          return;
        default:
          // Unknown event types are ignored, unless they carry a top-level error object.
          if (asRecord(object.error) && type === '' && !this.#image) {
            yield { type: 'strayError', error: readEventError({ ...object, type: 'error' }, now()) };
          }
          break;
      }
      // Values of this event that nobody took (a partial image in an unexpected place, a second image) go.
      splicer.releaseThrough(raw);
    }
  }
}

/** A JSON answer: its text (redacted), the parsed value when it parses, and the image when it holds one. */
export interface JsonAnswer {
  text: string;
  parsed: { ok: true; value: unknown } | { ok: false };
  image?: ImageInHand;
}

/**
 * Reads a JSON answer. The image's base64 is decoded as it arrives and never becomes a string; everything else is
 * read as text. Content-Length bounds the image, so it is decoded into one buffer of that size (pages never written
 * cost nothing).
 */
export async function readJsonAnswer(
  response: HttpResponse,
  options: { settings: GatewaySettings; signal?: AbortSignal; secrets: readonly string[] },
): Promise<JsonAnswer> {
  const { settings, signal, secrets } = options;
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
  if (!parsed.ok) return { text, parsed };
  const found = readImageFromResponse(parsed.value);
  if (!found) return { text, parsed };
  const spliced = splicer.take(found.base64);
  return { text, parsed, image: { found, ...(spliced ? { spliced } : {}) } };
}
