/**
 * Reads a byte stream as Server-Sent Events (gateway.md §1.3, §6.2): UTF-8 decoded across chunk
 * boundaries, comments (`: keep-alive`) dropped, LF/CRLF/CR line ends, events split anywhere.
 * Also home of the two guards every body read needs: the abort signal and the size cap.
 */
import { createParser } from 'eventsource-parser';
import { GatewayError, cancelledError, throwIfAborted } from '../errors';

export interface SseEvent {
  event?: string;
  data: string;
}

export interface ReadBodyOptions {
  signal?: AbortSignal;
  /** Largest number of bytes accepted in all; more fails with `GatewayError('too_large')`. */
  maxBytes?: number;
  /**
   * Largest event: bytes read since the last complete event (comments included); more fails with
   * `GatewayError('too_large')`. This bounds what the reader holds at once while the stream as a whole may be
   * longer: a streamed image comes with its previews and is repeated in `response.completed`. A chunk that
   * completes an event restarts the count, so the bound may be passed by up to one chunk.
   */
  maxEventBytes?: number;
  /** The error for an event over `maxEventBytes`, when the caller words it (answerBounds.ts); else a generic one. */
  eventTooLarge?: (limit: number) => GatewayError;
}

const MIB = 1024 * 1024;

/** The error for a body over the cap, naming the cap the way the user sets it (MiB). */
export function tooLargeError(maxBytes: number, subject = "The gateway's response"): GatewayError {
  const mib = maxBytes / MIB;
  // Tiny caps (tests, odd settings) would round to "0 MiB"; name them in bytes instead.
  const shown = mib >= 0.01 ? `${Number(mib.toFixed(2))} MiB` : `${maxBytes} bytes`;
  return new GatewayError(
    'too_large',
    `${subject} is larger than the ${shown} limit, so it was not read to the end. ` +
      `Raise the response size limit (cpaImage.maxResponseSize, in MiB) if such large images are expected.`,
  );
}

/**
 * The next chunk, or a cancelled error as soon as `signal` aborts. The abort listener lives for this one
 * read only: racing every read against one long-lived "aborted" promise (`Promise.race`) would leave a
 * reaction behind on that promise per chunk, so a body sent in tiny pieces would grow memory without
 * bound (about 500 bytes per chunk: 4 million 1-byte chunks took 2 GB).
 */
function nextOrAbort<T>(iterator: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  return new Promise<IteratorResult<T>>((resolve, reject) => {
    if (signal.aborted) {
      reject(cancelledError());
      return;
    }
    const onAbort = (): void => reject(cancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    iterator.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Yields the chunks of `body`, but settles at once when `signal` aborts even if the source is
 * stalled: the pending read is abandoned, the source is closed, and a cancelled error is thrown.
 */
export async function* abortableChunks(
  body: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  throwIfAborted(signal);
  const iterator = body[Symbol.asyncIterator]();
  let finished = false;
  try {
    while (true) {
      const next = signal ? await nextOrAbort(iterator, signal) : await iterator.next();
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
      throwIfAborted(signal);
    }
  } finally {
    if (!finished) {
      // Closing the source destroys the socket behind it; its own errors no longer matter.
      void Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
  }
}

/** Decodes `body` into SSE events. Throws `GatewayError('cancelled' | 'too_large')`. */
export async function* readSseEvents(
  body: AsyncIterable<Uint8Array>,
  options: ReadBodyOptions = {},
): AsyncGenerator<SseEvent> {
  const { signal, maxBytes, maxEventBytes } = options;
  const queue: SseEvent[] = [];
  let dispatched = 0;
  const parser = createParser({
    onEvent(message) {
      dispatched += 1;
      queue.push(message.event === undefined ? { data: message.data } : { event: message.event, data: message.data });
    },
  });
  // `stream: true` keeps a multi-byte character that is split across chunks until its last byte arrives.
  const decoder = new TextDecoder('utf-8');
  let total = 0;
  let sinceEvent = 0;
  let lastChar = '';

  const feed = (text: string): void => {
    if (text.length === 0) return;
    parser.feed(text);
    lastChar = text[text.length - 1] ?? lastChar;
  };

  for await (const chunk of abortableChunks(body, signal)) {
    total += chunk.byteLength;
    if (maxBytes !== undefined && total > maxBytes) throw tooLargeError(maxBytes);
    const before = dispatched;
    feed(decoder.decode(chunk, { stream: true }));
    sinceEvent = dispatched === before ? sinceEvent + chunk.byteLength : 0;
    if (maxEventBytes !== undefined && sinceEvent > maxEventBytes) {
      throw options.eventTooLarge?.(maxEventBytes) ?? tooLargeError(maxEventBytes, "An event of the gateway's stream");
    }
    while (queue.length > 0) {
      yield queue.shift() as SseEvent;
      throwIfAborted(signal);
    }
  }
  feed(decoder.decode());
  // A stream whose last event lacks the closing blank line still delivers that event when its last
  // line is complete; a line cut off mid-way (no line end) is dropped, as the SSE rules say.
  if (lastChar === '\n') feed('\n');
  else if (lastChar === '\r') feed('\r');
  while (queue.length > 0) yield queue.shift() as SseEvent;
}
