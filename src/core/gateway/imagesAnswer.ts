/**
 * Reads the Images route's answer (issue 14, images-api.md §3–§5): the JSON body `{"data":[{"b64_json",
 * "revised_prompt"?}], "usage"?}`, or the stream of `image_generation.partial_image` / `image_generation.completed`
 * (`image_edit.*` for edits), an `event: error` mid-stream, and a stream that ends without a completed event, which
 * is a failure (CPA's direct path adds no terminal event of its own). The bounds are the Responses route's: the base64
 * splicer takes every `b64_json` out of the bytes as they arrive, one event and the whole stream are capped
 * (answerBounds.ts), and the text is redacted before it is parsed or quoted.
 */
import type { GatewaySettings, Logger } from '../types';
import { readTokenUsage, type TokenUsage } from './usage';
import { GatewayError, redactSecrets } from '../errors';
import { asRecord, type JsonObject } from '../json';
import { abortableChunks } from './sse';
import { readJsonEvents } from './jsonEvents';
import { Base64Splicer } from './base64Splice';
import { StreamBudget } from './answerBounds';
import { bodyExcerpt, isErrorBody, parseJsonBody, readEventError, readHttpError, type FoundImage } from './responseReader';
import { readBodyBytes, readPreview, type ImageInHand, type Preview } from './responseEvents';
import type { HttpResponse } from './transport';

/** The image of an Images answer, with the route's usage when it gave one. */
export interface ImagesImage extends ImageInHand {
  usage?: TokenUsage;
}

export interface ImagesReadOptions {
  settings: GatewaySettings;
  signal?: AbortSignal;
  log: Logger;
  secrets: readonly string[];
  now: () => number;
  /** Whether previews are worth keeping (someone listens); otherwise they are dropped unread. */
  keepPreviews: boolean;
  onPhase(phase: 'generating' | 'receiving'): void;
  /** A preview arrived: `given` is the gateway's `partial_image_index`. */
  onPartial(preview: Preview, given: unknown, outputFormat: unknown): void;
}

/** The keys whose long values are image data on this route: `b64_json`, and `url` when a gateway sends a data URL. */
const IMAGE_KEYS = ['b64_json', 'url'] as const;

/** The image data of one entry (`data[i]` or a completed event): `b64_json`, else a `data:` URL in `url`. */
function imageOf(entry: JsonObject, topLevel?: JsonObject): FoundImage | undefined {
  const b64 = typeof entry.b64_json === 'string' ? entry.b64_json.trim() : '';
  const url = typeof entry.url === 'string' ? entry.url.trim() : '';
  let base64 = b64;
  // A data: URL long enough was taken out of the body by the splicer, which skips its prefix: the placeholder stands for it.
  if (!base64 && Base64Splicer.isPlaceholder(url)) base64 = url;
  if (!base64 && url) {
    const prefix = /^data:[^;,]{0,200};base64,/i.exec(url);
    if (!prefix) {
      throw new GatewayError(
        'not_image',
        `The Images route answered with a link instead of the image's data ("${bodyExcerpt(url, 80)}"); the extension does not download it. Nothing was saved.`,
        { retryable: false },
      );
    }
    base64 = url.slice(prefix[0].length);
  }
  if (!base64) return undefined;
  const found: FoundImage = { base64: base64.replace(/^data:[^;,]{0,200};base64,/i, '') };
  const revised = entry.revised_prompt;
  if (typeof revised === 'string' && revised) found.revisedPrompt = revised;
  const size = topLevel?.size ?? entry.size;
  if (typeof size === 'string' && size) found.size = size;
  return found;
}

/** The first image of a non-streamed answer, `{"data":[{…}]}`. */
export function readImagesData(json: unknown): FoundImage | undefined {
  const object = asRecord(json);
  const data = Array.isArray(object?.data) ? object.data : [];
  for (const item of data) {
    const entry = asRecord(item);
    const found = entry ? imageOf(entry, object) : undefined;
    if (found) return found;
  }
  return undefined;
}

/**
 * A whole JSON answer. Its image's base64 is decoded as it arrives; an error under status 200 (CPA's keep-alive
 * quirk) is read as the error it is; an answer without an image is `no_image`.
 */
export async function readImagesJson(response: HttpResponse, options: Pick<ImagesReadOptions, 'settings' | 'signal' | 'secrets' | 'now'>): Promise<ImagesImage> {
  const { settings, signal, secrets, now } = options;
  const contentLength = Number(response.headers['content-length']);
  const knownLength = Number.isSafeInteger(contentLength) && contentLength > 0 && contentLength <= settings.maxResponseBytes;
  const splicer = new Base64Splicer({
    keys: Object.fromEntries(IMAGE_KEYS.map((key) => [key, 'decode'])),
    maxTotalBytes: settings.maxResponseBytes,
    ...(knownLength ? { sizeHint: Math.floor((contentLength * 3) / 4) + 3 } : {}),
  });
  const bytes = await readBodyBytes(splicer.splice(abortableChunks(response.body, signal)), { signal, maxBytes: settings.maxResponseBytes });
  const text = redactSecrets(bytes.toString('utf8'), secrets);
  const parsed = parseJsonBody(text);
  if (!parsed.ok) throw readHttpError(response.status, response.headers, bodyExcerpt(text, 2000), now());
  const found = readImagesData(parsed.value);
  if (!found) {
    if (isErrorBody(parsed.value)) throw readHttpError(response.status, response.headers, text, now());
    throw new GatewayError('no_image', 'The Images route answered without an image (its "data" list holds no b64_json). Try again, or check the image model.', {
      retryable: false,
      excerpt: bodyExcerpt(text),
    });
  }
  const spliced = splicer.take(found.base64);
  const usage = readTokenUsage({ usage: asRecord(parsed.value)?.usage });
  return { found, ...(spliced ? { spliced } : {}), ...(usage ? { usage } : {}) };
}

/** `image_generation.partial_image`, `image_edit.partial_image` (and the spec's `*.partial_image` of any prefix). */
function isPartial(type: string): boolean {
  return type === 'image_generation.partial_image' || type === 'image_edit.partial_image';
}

function isCompleted(type: string): boolean {
  return type === 'image_generation.completed' || type === 'image_edit.completed';
}

/**
 * A streamed answer: previews are handed to `onPartial`, the first completed event's image is the result (the stream
 * is not read further), an error event fails with the error it carries, and a stream that ends without a completed
 * event fails as a cut connection (retryable).
 */
export async function readImagesStream(response: HttpResponse, options: ImagesReadOptions): Promise<ImagesImage> {
  const { settings, signal, log, secrets, now, keepPreviews } = options;
  let image: ImagesImage | undefined;
  const budget = new StreamBudget(settings.maxResponseBytes, () => image !== undefined);
  // Every value is kept as base64 text (a preview nobody looks at is never decoded) and let go once its event is read.
  const splicer = new Base64Splicer({
    keys: Object.fromEntries(IMAGE_KEYS.map((key) => [key, 'keep'])),
    maxValueBytes: settings.maxResponseBytes,
  });
  const events = readJsonEvents(splicer.splice(budget.count(abortableChunks(response.body, signal))), { signal, settings, log, secrets });
  let lastType = '(none)';
  for await (const { type, object, raw } of events) {
    lastType = type || lastType;
    if (isPartial(type)) {
      options.onPhase('generating');
      const preview = keepPreviews ? readPreview(splicer, object.b64_json) : undefined;
      if (preview) options.onPartial(preview, object.partial_image_index, object.output_format);
    } else if (isCompleted(type)) {
      options.onPhase('receiving');
      const found = imageOf(object);
      if (!found) {
        throw new GatewayError('protocol', `The Images route's ${type} event carries no image data. Try again.`, { retryable: true });
      }
      const spliced = splicer.take(found.base64);
      const usage = readTokenUsage({ usage: object.usage });
      image = { found, ...(spliced ? { spliced } : {}), ...(usage ? { usage } : {}) };
      // One image is asked for: the first completed event is the answer, whatever follows it.
      splicer.stopKeeping();
      return image;
    } else if (type === 'error' || asRecord(object.error)) {
      // CPA writes `event: error` with `{"error":{…}}` once the stream has begun (images-api.md §4); any other
      // event that carries an error object fails the same way.
      throw readEventError({ ...object, type: 'error' }, now()) ?? new GatewayError('server', 'The gateway reported an error during generation without details.');
    }
    splicer.releaseThrough(raw);
  }
  throw new GatewayError(
    'protocol',
    `The Images route's stream ended before the image arrived (no image_generation.completed; last event: ${lastType}). ` +
      `The gateway or a proxy cut the connection; try again.`,
    { retryable: true },
  );
}
