/**
 * PROTOTYPE for bench finding F1 (BENCHMARKS.md), not used by the product: takes the long base64 payloads out of a response body at the byte level,
 * before any text decoding, SSE parsing or JSON.parse sees them, and decodes them incrementally.
 *
 * The bytes that flow on ("the skeleton") are the body with each long value of `"result"` or
 * `"partial_image_b64"` replaced by a short placeholder `@b64:<n>`; `take(placeholder)` hands back the
 * decoded bytes. Values shorter than SPLICE_MIN stay in place untouched, so ordinary fields named
 * `result` and tiny images pass through as before. Memory: one decoded copy per payload (plus chunk-size
 * scratch), instead of raw chunks + concatenation + UTF-16/Latin-1 string + JSON string + decoded bytes.
 */

const KEYS = ['"result":"', '"result": "', '"partial_image_b64":"', '"partial_image_b64": "'].map((k) => Buffer.from(k, 'latin1'));
const LONGEST_KEY = Math.max(...KEYS.map((k) => k.length));
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** A value that closes within this many bytes is left in place. */
const SPLICE_MIN = 4096;
export const PLACEHOLDER = /^@b64:(\d+)$/;

interface Payload {
  decoded: Buffer[];
  decodedLength: number;
  /** base64 characters seen (whitespace and escapes excluded), to check the decoded length. */
  chars: number;
  /** < 4 characters waiting for the rest of their quantum. */
  carry: string;
  padding: number;
  dropped?: boolean;
  /** Decoded in place into one buffer when the size was known up front. */
  target?: Buffer;
}

export class Base64Splicer {
  #payloads = new Map<number, Payload>();
  #next = 0;
  /** Raw bytes seen, for the size cap. */
  rawBytes = 0;
  /** Once the caller has what it needs, later payloads are skipped without being stored or decoded. */
  dropNewPayloads = false;
  /** An upper bound of the first payload's decoded size (from Content-Length), to decode in place. */
  sizeHint: number | undefined;

  /** Whether `text` is a placeholder of this splicer. */
  static isPlaceholder(text: string): boolean {
    return PLACEHOLDER.test(text);
  }

  /** The decoded bytes behind a placeholder, and whether they are exactly what clean base64 gives. */
  take(placeholder: string): { bytes: Buffer; clean: boolean } | undefined {
    const m = PLACEHOLDER.exec(placeholder);
    const id = m ? Number(m[1]) : -1;
    const payload = this.#payloads.get(id);
    if (!payload) return undefined;
    this.#payloads.delete(id);
    this.#flushCarry(payload, true);
    const bytes = payload.target
      ? payload.target.subarray(0, payload.decodedLength)
      : payload.decoded.length === 1
        ? (payload.decoded[0] as Buffer)
        : Buffer.concat(payload.decoded, payload.decodedLength);
    const expected = Math.floor((payload.chars * 3) / 4) - payload.padding;
    return { bytes, clean: bytes.length === expected };
  }

  /** Drops a payload nobody wants (a partial image without a listener). */
  discard(placeholder: string): void {
    const m = PLACEHOLDER.exec(placeholder);
    if (m) this.#payloads.delete(Number(m[1]));
  }

  #flushCarry(p: Payload, final: boolean): void {
    if (!final || !p.carry) return;
    if (p.target && p.decodedLength + 3 <= p.target.length) {
      p.decodedLength += p.target.write(p.carry, p.decodedLength, 'base64');
      p.carry = '';
      return;
    }
    if (p.target) {
      p.decoded.push(p.target.subarray(0, p.decodedLength));
      p.target = undefined;
    }
    const tail = Buffer.from(p.carry, 'base64');
    p.decoded.push(tail);
    p.decodedLength += tail.length;
    p.carry = '';
  }

  #append(p: Payload, text: string): void {
    if (p.dropped) return;
    // `text` holds only base64 characters here.
    p.chars += text.length;
    if (text.endsWith('==')) p.padding = 2;
    else if (text.endsWith('=')) p.padding = 1;
    const all = p.carry + text;
    const whole = all.length - (all.length % 4);
    p.carry = all.slice(whole);
    if (whole > 0 && p.target && p.decodedLength + (whole / 4) * 3 <= p.target.length) {
      p.decodedLength += p.target.write(whole === all.length ? all : all.slice(0, whole), p.decodedLength, 'base64');
      return;
    }
    if (p.target) {
      // The hint was wrong: fall back to parts.
      p.decoded.push(p.target.subarray(0, p.decodedLength));
      p.target = undefined;
    }
    if (whole > 0) {
      const part = Buffer.from(whole === all.length ? all : all.slice(0, whole), 'base64');
      p.decoded.push(part);
      p.decodedLength += part.length;
    }
  }

  /** Base64 text of a value segment, with JSON escapes (`\/`, `\n`, ...) resolved or dropped. */
  static #clean(segment: Buffer): string {
    if (segment.indexOf(BACKSLASH) === -1) return segment.toString('latin1');
    let out = '';
    for (let i = 0; i < segment.length; i++) {
      const c = segment[i] as number;
      if (c === BACKSLASH) {
        const next = segment[i + 1];
        if (next === 0x2f) out += '/';
        i += 1; // \n, \r, \t, \/ ...: whitespace is ignored by base64, `/` kept
        continue;
      }
      if (c > 0x20) out += String.fromCharCode(c);
    }
    return out;
  }

  /** Transforms the body: yields the skeleton; payloads go to the table. */
  async *splice(body: AsyncIterable<Uint8Array>, maxBytes?: number, onTooLarge?: () => Error): AsyncGenerator<Uint8Array> {
    let tail = Buffer.alloc(0); // last LONGEST_KEY-1 skeleton bytes, to find keys across chunks
    let inValue = false;
    let pending: Buffer[] = []; // the start of a value, until it is long enough to splice
    let pendingLength = 0;
    let payload: Payload | undefined;
    let pendingEscape = false;

    for await (const raw of body) {
      let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      this.rawBytes += chunk.length;
      if (maxBytes !== undefined && this.rawBytes > maxBytes && onTooLarge) throw onTooLarge();
      const out: Buffer[] = [];
      while (chunk.length > 0) {
        if (!inValue) {
          // Find the earliest key, also one that straddles the previous chunk.
          let at = -1;
          let keyLength = 0;
          const joined = tail.length ? Buffer.concat([tail, chunk.subarray(0, LONGEST_KEY - 1)]) : undefined;
          for (const key of KEYS) {
            if (joined) {
              const j = joined.indexOf(key);
              if (j !== -1 && j < tail.length) {
                const end = j + key.length - tail.length; // key ends inside chunk
                if (at === -1 || end - key.length < at) {
                  at = end - key.length;
                  keyLength = key.length;
                }
                continue;
              }
            }
            const i = chunk.indexOf(key);
            if (i !== -1 && (at === -1 || i < at)) {
              at = i;
              keyLength = key.length;
            }
          }
          if (at === -1) {
            out.push(chunk);
            tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (LONGEST_KEY - 1))));
            chunk = chunk.subarray(chunk.length);
            break;
          }
          const valueStart = at + keyLength; // may be negative-origin safe: at >= -(tail) handled above
          out.push(chunk.subarray(0, Math.max(0, valueStart)));
          chunk = chunk.subarray(Math.max(0, valueStart));
          tail = Buffer.alloc(0);
          inValue = true;
          pending = [];
          pendingLength = 0;
          payload = undefined;
          pendingEscape = false;
          continue;
        }
        // Inside a value: find its closing quote (base64 has none; an escaped one is `\"`).
        let end = -1;
        let from = 0;
        if (pendingEscape) {
          from = 1;
          pendingEscape = false;
        }
        for (;;) {
          const q = chunk.indexOf(QUOTE, from);
          if (q === -1) break;
          // Count the backslashes before it.
          let b = q - 1;
          while (b >= 0 && chunk[b] === BACKSLASH) b--;
          if ((q - 1 - b) % 2 === 0) {
            end = q;
            break;
          }
          from = q + 1;
        }
        const segment = end === -1 ? chunk : chunk.subarray(0, end);
        if (end === -1 && segment.length > 0 && segment[segment.length - 1] === BACKSLASH) pendingEscape = true;
        if (!payload) {
          pending.push(Buffer.from(segment));
          pendingLength += segment.length;
          if (end !== -1 && pendingLength < SPLICE_MIN) {
            // Short value: leave it where it was.
            out.push(...pending);
          } else if (pendingLength >= SPLICE_MIN || end !== -1) {
            const id = this.#next++;
            payload = { decoded: [], decodedLength: 0, chars: 0, carry: '', padding: 0, dropped: this.dropNewPayloads };
            if (!payload.dropped && this.sizeHint !== undefined) {
              payload.target = Buffer.allocUnsafe(this.sizeHint);
              this.sizeHint = undefined;
            }
            if (!payload.dropped) this.#payloads.set(id, payload);
            out.push(Buffer.from(`@b64:${id}`, 'latin1'));
            this.#append(payload, Base64Splicer.#clean(Buffer.concat(pending, pendingLength)));
            pending = [];
            pendingLength = 0;
          }
        } else {
          this.#append(payload, Base64Splicer.#clean(segment));
        }
        if (end === -1) {
          chunk = chunk.subarray(chunk.length);
          break;
        }
        inValue = false;
        payload = undefined;
        chunk = chunk.subarray(end); // the closing quote goes on with the skeleton
      }
      const skeleton = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
      if (skeleton.length > 0) yield skeleton;
    }
    if (inValue && pending.length) yield Buffer.concat(pending);
  }
}
