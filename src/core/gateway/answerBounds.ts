/**
 * What the client keeps of a streamed answer while it reads it, and the limits that bound the rest
 * (RELIABILITY.md, "Hardening (issue 9): bounded streams"). A stream is untrusted and may be endless: everything
 * held per event or per stream must have a fixed ceiling, or a hostile (or broken) gateway runs the process out of
 * memory. The image itself is bounded elsewhere (the splicer's per-value cap, `maxResponseMiB`).
 *
 * - Model text (the deltas, and the text of finished message items): only the first 64 KiB are kept. It is only
 *   ever quoted (500 characters in a message, 4000 in the details), so more is never shown.
 * - Finished output items: the image item is taken by the client as it arrives; of every other item only its text
 *   is kept, in the same 64 KiB, so a "no image" message can still quote what the model said.
 * - One event: 4 MiB at most (or `maxResponseMiB` when that is smaller). The image's base64 is taken out of the
 *   stream before events are framed, so a real event is a few KiB; 4 MiB leaves room for a long text event while a
 *   hostile one cannot cost more than a few times that while it is parsed.
 * - The whole stream: 4 × `maxResponseMiB` + 16 MiB of bytes read. A real stream carries up to three previews and
 *   the final image, each under `maxResponseMiB` (the copy of the image in `response.completed` is not read), plus
 *   small events; past that budget no answer is coming, and the client ends with `too_large`.
 */
import { GatewayError, redactSecrets } from '../errors';
import { asRecord } from '../json';

const MIB = 1024 * 1024;

/** Characters of model text kept for messages (the first ones). */
export const MAX_MODEL_TEXT_CHARS = 64 * 1024;
/** Largest SSE event (after the image's base64 was taken out), unless `maxResponseMiB` is smaller. */
export const MAX_EVENT_BYTES = 4 * MIB;
/** Images a stream may carry in all (three previews and the final image), each up to `maxResponseMiB`. */
export const STREAM_IMAGE_COPIES = 4;
/** Room in the stream budget for everything that is not an image: events, text, keep-alives. */
export const STREAM_SLACK_BYTES = 16 * MIB;

/** The cap of one event for a given `maxResponseBytes`. */
export function eventByteLimit(maxResponseBytes: number): number {
  return Math.min(MAX_EVENT_BYTES, maxResponseBytes);
}

/** The budget of a whole stream for a given `maxResponseBytes`. */
export function streamByteBudget(maxResponseBytes: number): number {
  return STREAM_IMAGE_COPIES * maxResponseBytes + STREAM_SLACK_BYTES;
}

function mib(bytes: number): string {
  const value = bytes / MIB;
  return value >= 0.01 ? `${Number(value.toFixed(2))} MiB` : `${bytes} bytes`;
}

/** The error for one event over its cap: raising maxResponseMiB only helps while it is the smaller of the two. */
export function eventTooLargeError(limit: number): GatewayError {
  return new GatewayError(
    'too_large',
    `An event of the gateway's stream is larger than the ${mib(limit)} limit for one event, so it was not read to the end. ` +
      `Images do not count against it; no real event is that large, so the gateway or a proxy is sending garbage.`,
  );
}

/** The error for a stream over its whole budget. */
export function streamTooLargeError(budget: number, maxResponseBytes: number): GatewayError {
  return new GatewayError(
    'too_large',
    `The gateway's stream went past ${mib(budget)} in all (4 × the ${mib(maxResponseBytes)} response size limit + 16 MiB) ` +
      `without an image, so it was not read to the end. Raise the response size limit (cpaImage.maxResponseSize, in MiB) if such large images are expected.`,
  );
}

/**
 * Counts the bytes of a body and, past `budget`, ends it: with `too_large`, or quietly when `endQuietly()` says the
 * result is already in hand (an image followed by an endless tail), `exceeded` then telling the reader why it ended.
 * Either way the iteration stops, which closes the source (and its socket).
 */
export class StreamBudget {
  readonly budget: number;
  #read = 0;
  #exceeded = false;

  constructor(
    readonly maxResponseBytes: number,
    private readonly endQuietly: () => boolean = () => false,
  ) {
    this.budget = streamByteBudget(maxResponseBytes);
  }

  get read(): number {
    return this.#read;
  }

  get exceeded(): boolean {
    return this.#exceeded;
  }

  async *count(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      this.#read += chunk.byteLength;
      if (this.#read > this.budget) {
        this.#exceeded = true;
        if (this.endQuietly()) return;
        throw streamTooLargeError(this.budget, this.maxResponseBytes);
      }
      yield chunk;
    }
  }
}

/**
 * The first `limit` characters of text that arrives in pieces; the rest is counted, not kept. `text(secrets)` gives
 * it redacted: a secret cut at the limit would leave its start behind, unredacted, so a cut-off text loses a tail
 * that could be the beginning of a secret.
 */
export class TextPrefix {
  #parts: string[] = [];
  #kept = 0;
  #dropped = 0;

  constructor(readonly limit: number = MAX_MODEL_TEXT_CHARS) {}

  /** False once the limit is reached: later pieces are not kept (and need not be shown live either). */
  get open(): boolean {
    return this.#kept < this.limit;
  }

  get truncated(): boolean {
    return this.#dropped > 0;
  }

  /** Keeps what fits of `text`; returns the part that was kept. */
  add(text: string): string {
    const room = this.limit - this.#kept;
    if (room <= 0) {
      this.#dropped += text.length;
      return '';
    }
    // slice() of a big string may share its memory: a copy keeps only the piece, not the whole event's text.
    const piece = text.length > room ? copyOf(text.slice(0, room)) : text;
    if (text.length > room) this.#dropped += text.length - room;
    this.#parts.push(piece);
    this.#kept += piece.length;
    if (this.#parts.length > 64) this.#parts = [this.#parts.join('')];
    return piece;
  }

  text(secrets: readonly string[] = []): string {
    const redacted = redactSecrets(this.#parts.join(''), secrets);
    return this.truncated ? withoutSecretStart(redacted, secrets) : redacted;
  }
}

/** A flat copy of `text`, so that a kept slice does not hold on to the string it was cut from. */
function copyOf(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

/** `text` without a tail that is the beginning of one of the secrets (the rest of it was cut off). */
function withoutSecretStart(text: string, secrets: readonly string[]): string {
  let cut = 0;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (let k = Math.min(secret.length - 1, text.length); k > cut; k--) {
      if (text.endsWith(secret.slice(0, k))) {
        cut = k;
        break;
      }
    }
  }
  return cut > 0 ? text.slice(0, text.length - cut) : text;
}

/** The words of a finished item that is not an image: a message's text and refusals. Others say nothing to quote. */
export function itemText(item: unknown): string {
  const object = asRecord(item);
  if (object?.type !== 'message' || !Array.isArray(object.content)) return '';
  const parts: string[] = [];
  for (const part of object.content) {
    const content = asRecord(part);
    const text = content?.type === 'output_text' ? content.text : content?.type === 'refusal' ? content.refusal : undefined;
    if (typeof text === 'string' && text.trim()) parts.push(text.trim());
  }
  return parts.join('\n');
}

/**
 * What a stream's finished items leave for a "no image" message: their text, bounded, given back as one message
 * item so that the readers of a Response's `output` (modelText) read it as they read the real one.
 */
export class FinishedItems {
  readonly #text = new TextPrefix();
  #any = false;

  add(item: unknown): void {
    const text = itemText(item);
    if (!text || !this.#text.open) return;
    this.#text.add(this.#any ? `\n${text}` : text);
    this.#any = true;
  }

  output(secrets: readonly string[] = []): unknown[] {
    if (!this.#any) return [];
    return [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: this.#text.text(secrets) }] }];
  }
}
