/**
 * The JSON events of a gateway's SSE answer, for both routes' readers (responseEvents.ts, imagesAnswer.ts): the body
 * is cut into events under the per-event cap (answerBounds.ts), each event's data is redacted before it is parsed,
 * quoted or cut (responseReader's contract; the base64 of an image never holds a key), `[DONE]` and empty data are
 * skipped, and data that is not a JSON object is logged and skipped. The type is the JSON's `type`, else the SSE
 * event name.
 */
import { redactSecrets } from '../errors';
import { asRecord, type JsonObject } from '../json';
import type { GatewaySettings, Logger } from '../types';
import { eventByteLimit, eventTooLargeError } from './answerBounds';
import { readSseEvents } from './sse';

export interface JsonEvent {
  type: string;
  object: JsonObject;
  /** The event's data as parsed (redacted): the splicer lets go of the values it names once the event is read. */
  raw: string;
}

export async function* readJsonEvents(
  chunks: AsyncIterable<Uint8Array>,
  options: { signal: AbortSignal | undefined; settings: GatewaySettings; log: Logger; secrets: readonly string[] },
): AsyncGenerator<JsonEvent> {
  const { signal, settings, log, secrets } = options;
  const events = readSseEvents(chunks, {
    signal,
    maxEventBytes: eventByteLimit(settings.maxResponseBytes),
    eventTooLarge: eventTooLargeError,
  });
  for await (const event of events) {
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
    yield { type: typeof object.type === 'string' ? object.type : (event.event ?? ''), object, raw };
  }
}
