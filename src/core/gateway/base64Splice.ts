/**
 * Takes the long base64 strings of a gateway answer (`"result"`, `"partial_image_b64"`) out of the body at the
 * byte level, before any text decoding, SSE framing or JSON.parse sees them, and decodes them as they arrive
 * (BENCHMARKS.md F1). The bytes that flow on, "the skeleton", are the body with each such value replaced by a
 * short placeholder, `<base64 #n>`; the JSON and SSE readers, the redaction and every quirk of responseReader
 * then work on a few KiB, and `take(placeholder)` hands back the value.
 *
 * Why: read as text, a 16 MiB base64 image exists as the socket's chunks, their concatenation, a string, the
 * string JSON.parse copies out of it and finally the decoded bytes, all at once; here it exists once, decoded.
 *
 * Only values that look like base64 and are at least `minLength` bytes long are taken out; anything else (a short
 * image, a URL, a message, a value broken by a raw line end) passes through untouched, so the text readers keep
 * their behaviour and their error messages. A value is read the way JSON.parse would read it: `\/` and the other
 * escapes are resolved, whitespace is ignored (as the text path's decode ignores it), and a `data:…;base64,`
 * prefix is skipped. Whether the result is clean base64 is known at the end, by comparing the decoded length
 * with what clean base64 of that many characters gives (Node's decoder skips what is not base64).
 *
 * The caller decides what each key's values are worth (`decode`, `keep` as text, `drop`), forgets the values of an
 * event it has dealt with (`releaseThrough`), and once it has the image stops keeping anything (`stopKeeping`): the
 * event that repeats the image then passes as a skeleton, its copy dropped unread.
 *
 * Chunks are kept by reference while a value is being read or kept (never modified): the transport must not
 * reuse a chunk after yielding it, which holds for undici and Node streams.
 */
import { tooLargeError } from './sse';

/** What happens to a value that is taken out: decoded as it arrives, kept as base64 text (decoded on demand), or dropped. */
export type ValueAction = 'decode' | 'keep' | 'drop';

export interface SpliceOptions {
  /** The keys whose long string values are taken out, and what happens to each. */
  keys: Readonly<Record<string, ValueAction>>;
  /** A value whose raw bytes end before this length stays in place. Default 4096. */
  minLength?: number;
  /** Largest raw value accepted (escapes included); more fails with `GatewayError('too_large')`. */
  maxValueBytes?: number;
  /** Largest body accepted, every byte counted; more fails with `GatewayError('too_large')`. */
  maxTotalBytes?: number;
  /** An upper bound of the first decoded value's size (e.g. from Content-Length), to decode it into one buffer. */
  sizeHint?: number;
}

/** A value taken out of the body. */
export interface SplicedValue {
  readonly key: string;
  /** Base64 characters, escapes resolved, whitespace and a data: URL prefix left out. */
  readonly length: number;
  /** The first characters (up to 256 bytes), for messages and for sniffing the type without decoding. */
  readonly head: Buffer;
  /** The decoded bytes, decoding now if the value was kept as text; undefined when it is not clean base64. */
  bytes(): Uint8Array | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const SPACE = 0x20;
const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
/** Stands for a character that cannot be base64 (an escaped quote, `\b`, ...): it makes the value unclean. */
const INVALID = 0x21;

const DEFAULT_MIN_LENGTH = 4096;
const HEAD_BYTES = 256;
/** First block for a decoded value of unknown size; later blocks double. */
const DEFAULT_FIRST_BLOCK = 4 * 1024 * 1024;
const PLACEHOLDER = /^<base64 #(\d+)>$/;
const PLACEHOLDERS = /<base64 #(\d+)>/g;
const DATA_URL_PREFIX = /^data:[^,]{0,200}?;base64,/i;
const BASE64_START = /^[A-Za-z0-9+/_-]+$/;
/** How many characters after any data: prefix must be base64 before a value is taken out. */
const CHECKED_CHARS = 64;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Chunks smaller than this are copied into shared blocks instead of being kept one by one. */
const SMALL_PART = 4096;
const PART_BLOCK = 64 * 1024;

/**
 * A list of byte ranges. Small parts are copied into shared 64 KiB blocks: a body that arrives a byte at a time
 * would otherwise keep one object of about 100 bytes per byte.
 */
class ByteList {
  readonly parts: Buffer[] = [];
  length = 0;
  #block = Buffer.alloc(0);
  #used = 0;

  push(part: Buffer): void {
    if (part.length === 0) return;
    this.length += part.length;
    if (part.length >= SMALL_PART) {
      this.#flush();
      this.parts.push(part);
      return;
    }
    if (this.#block.length - this.#used < part.length) {
      this.#flush();
      this.#block = Buffer.allocUnsafe(PART_BLOCK);
    }
    part.copy(this.#block, this.#used);
    this.#used += part.length;
  }

  /** Every byte, in order. */
  all(): Buffer[] {
    this.#flush();
    return this.parts;
  }

  concat(): Buffer {
    const parts = this.all();
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.length);
  }

  #flush(): void {
    if (this.#used === 0) return;
    this.parts.push(this.#block.subarray(0, this.#used));
    this.#block = this.#block.subarray(this.#used);
    this.#used = 0;
  }
}

/**
 * Decodes base64 text that arrives in pieces of any length, in whole 4-character quanta, into blocks that are
 * joined only if the first one was too small. Counts the characters so that `finish` can tell clean base64.
 */
export class Base64Decoder {
  readonly #firstBlock: number;
  #blocks: Buffer[] = [];
  #block: Buffer | undefined;
  #used = 0;
  #decoded = 0;
  #carry = Buffer.alloc(4);
  #carryLength = 0;
  #chars = 0;
  #trailingPadding = 0;

  constructor(firstBlock: number = DEFAULT_FIRST_BLOCK) {
    this.#firstBlock = Math.max(16, Math.ceil(firstBlock));
  }

  get chars(): number {
    return this.#chars;
  }

  /** Base64 characters only (whitespace and escapes already removed); anything else makes the result unclean. */
  push(text: Buffer): void {
    const n = text.length;
    if (n === 0) return;
    this.#chars += n;
    let pad = 0;
    while (pad < n && text[n - 1 - pad] === 0x3d) pad++;
    this.#trailingPadding = pad === n ? this.#trailingPadding + pad : pad;

    let i = 0;
    if (this.#carryLength > 0) {
      const take = Math.min(4 - this.#carryLength, n);
      text.copy(this.#carry, this.#carryLength, 0, take);
      this.#carryLength += take;
      i = take;
      if (this.#carryLength < 4) return;
      this.#write(this.#carry.toString('latin1', 0, 4));
      this.#carryLength = 0;
    }
    const whole = (n - i) & ~3;
    if (whole > 0) this.#write(text.toString('latin1', i, i + whole));
    const rest = n - i - whole;
    if (rest > 0) {
      text.copy(this.#carry, 0, i + whole, n);
      this.#carryLength = rest;
    }
  }

  /** The bytes, and whether they are exactly what clean base64 of this many characters decodes to. */
  finish(): { bytes: Buffer; clean: boolean } {
    let tailClean = true;
    if (this.#carryLength > 0) {
      const tail = this.#carry.toString('latin1', 0, this.#carryLength);
      // A lone last character decodes to nothing whatever it is, so it is checked by hand.
      tailClean = /^[A-Za-z0-9+/_=-]*$/.test(tail);
      this.#write(tail);
      this.#carryLength = 0;
    }
    const last = this.#block ? this.#block.subarray(0, this.#used) : Buffer.alloc(0);
    const bytes = this.#blocks.length === 0 ? last : Buffer.concat([...this.#blocks, last], this.#decoded);
    this.#blocks = [];
    this.#block = undefined;
    const padding = this.#trailingPadding;
    // Node's decoder skips characters that are not base64 and stops at padding, so any such character, or
    // padding in the middle, gives fewer bytes than clean base64 of the same length.
    const clean = tailClean && padding <= 2 && bytes.length === Math.floor(((this.#chars - padding) * 3) / 4);
    return { bytes, clean };
  }

  #write(text: string): void {
    const most = (text.length >> 2) * 3 + 3;
    if (!this.#block || this.#block.length - this.#used < most) this.#grow(most);
    const block = this.#block as Buffer;
    const written = block.write(text, this.#used, 'base64');
    this.#used += written;
    this.#decoded += written;
  }

  #grow(most: number): void {
    if (this.#block && this.#used > 0) this.#blocks.push(this.#block.subarray(0, this.#used));
    // Uninitialised: pages never written (a generous first block) cost address space, not memory. Slow: its own
    // ArrayBuffer, never a slice of Node's shared pool, which the image would otherwise keep alive.
    const size = this.#block ? Math.max(most, this.#decoded) : Math.max(most, this.#firstBlock);
    this.#block = Buffer.allocUnsafeSlow(size);
    this.#used = 0;
  }
}

class Payload implements SplicedValue {
  readonly key: string;
  head: Buffer = Buffer.alloc(0);
  length = 0;
  closed = false;
  broken = false;
  #action: ValueAction;
  #decoder: Base64Decoder | undefined;
  #text: ByteList | undefined;
  #result: { bytes: Buffer; clean: boolean } | undefined;

  constructor(key: string, action: ValueAction, firstBlock: number) {
    this.key = key;
    this.#action = action;
    if (action === 'decode') this.#decoder = new Base64Decoder(firstBlock);
    else if (action === 'keep') this.#text = new ByteList();
  }

  get dropped(): boolean {
    return this.#action === 'drop';
  }

  append(text: Buffer): void {
    // Counted even when dropped: a dropped preview still tells how large the final image will be.
    this.length += text.length;
    if (this.#action === 'drop' || text.length === 0) return;
    if (this.head.length < HEAD_BYTES) this.head = Buffer.concat([this.head, text.subarray(0, HEAD_BYTES - this.head.length)]);
    if (this.#decoder) this.#decoder.push(text);
    else this.#text?.push(text);
  }

  drop(): void {
    this.#action = 'drop';
    this.#decoder = undefined;
    this.#text = undefined;
    this.#result = undefined;
  }

  bytes(): Uint8Array | undefined {
    if (!this.closed || this.broken || this.#action === 'drop') return undefined;
    if (!this.#result) {
      let decoder = this.#decoder;
      if (!decoder && this.#text) {
        // Kept as text until now: decode once, into a buffer of the exact size.
        decoder = new Base64Decoder(Math.floor((this.length * 3) / 4) + 3);
        for (const part of this.#text.all()) decoder.push(part);
        this.#text = undefined;
      }
      if (!decoder) return undefined;
      this.#result = decoder.finish();
      this.#decoder = undefined;
    }
    return this.#result.clean ? this.#result.bytes : undefined;
  }
}

/** The value being read: its raw bytes until it is known to be long and base64-like, then its payload. */
interface ValueState {
  key: string;
  raw: ByteList;
  clean: ByteList;
  rawLength: number;
  /** An escape sequence cut by the end of a chunk (`\`, `\u00`, ...). */
  escape: string;
  payload?: Payload;
}

interface ScannedPiece {
  /** The value's characters in this piece, escapes resolved and whitespace removed. */
  clean: Buffer;
  /** Index of the closing quote, or -1. */
  end: number;
  /** Index of a raw line end, which a JSON string cannot hold, or -1. */
  bail: number;
  /** Where the value's bytes in this chunk stop. */
  next: number;
}

function isWhitespaceCode(code: number): boolean {
  return /\s/.test(String.fromCharCode(code));
}

export class Base64Splicer {
  readonly #keys: readonly { name: string; bytes: Buffer; action: ValueAction }[];
  readonly #longestKey: number;
  readonly #minLength: number;
  readonly #maxValueBytes: number | undefined;
  readonly #maxTotalBytes: number | undefined;
  #sizeHint: number | undefined;
  readonly #payloads = new Map<number, Payload>();
  #nextId = 0;
  #keeping = true;
  /** Largest decoded size seen so far: the first block of the next decoded value (partials announce the final). */
  #largestDecoded = 0;
  /** Every byte of the body so far. */
  rawBytes = 0;

  constructor(options: SpliceOptions) {
    this.#keys = Object.entries(options.keys).map(([name, action]) => ({ name, bytes: Buffer.from(`"${name}"`, 'latin1'), action }));
    this.#longestKey = Math.max(0, ...this.#keys.map((k) => k.bytes.length));
    this.#minLength = options.minLength ?? DEFAULT_MIN_LENGTH;
    this.#maxValueBytes = options.maxValueBytes;
    this.#maxTotalBytes = options.maxTotalBytes;
    this.#sizeHint = options.sizeHint;
  }

  /** Whether `text` is a placeholder (of any splicer). */
  static isPlaceholder(text: string): boolean {
    return PLACEHOLDER.test(text);
  }

  /** The value behind a placeholder, handed over once; undefined for other text and for dropped values. */
  take(text: string): SplicedValue | undefined {
    const match = PLACEHOLDER.exec(text);
    if (!match) return undefined;
    const id = Number(match[1]);
    const payload = this.#payloads.get(id);
    this.#payloads.delete(id);
    return payload;
  }

  /**
   * Forgets the values of an event that has been dealt with: every value up to the last placeholder in `text`
   * (values arrive in order, so these are the event's own and any that nobody took before it).
   */
  releaseThrough(text: string): void {
    let last = -1;
    for (const match of text.matchAll(PLACEHOLDERS)) last = Math.max(last, Number(match[1]));
    for (const [id, payload] of this.#payloads) {
      if (id > last) break;
      payload.drop();
      this.#payloads.delete(id);
    }
  }

  /** Once the caller has what it needs: every value not taken yet, and every later one, is dropped unread. */
  stopKeeping(): void {
    this.#keeping = false;
    for (const payload of this.#payloads.values()) payload.drop();
    this.#payloads.clear();
  }

  /** The skeleton of `body`. Throws `GatewayError('too_large')` past a cap. */
  async *splice(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    type State = 'scan' | 'colon' | 'quote' | 'value';
    let state: State = 'scan';
    let key = '';
    let tail: Buffer | undefined;
    let value: ValueState | undefined;

    for await (const piece of body) {
      const chunk = asBuffer(piece);
      this.rawBytes += chunk.length;
      if (this.#maxTotalBytes !== undefined && this.rawBytes > this.#maxTotalBytes) throw tooLargeError(this.#maxTotalBytes);
      const out: Buffer[] = [];
      let emitted = 0; // skeleton bytes of this chunk before this index are in `out`
      let at = 0;
      let scanFrom = 0;
      const previousTail = tail;
      tail = undefined;

      while (at < chunk.length) {
        if (state === 'scan') {
          const found = this.#findKey(chunk, at, at === 0 ? previousTail : undefined);
          if (!found) {
            at = chunk.length;
            break;
          }
          key = found.name;
          at = found.end;
          state = 'colon';
          continue;
        }
        if (state === 'colon' || state === 'quote') {
          const c = chunk[at] as number;
          if (c === SPACE || c === TAB || c === LF || c === CR) {
            at++;
          } else if (state === 'colon' && c === COLON) {
            state = 'quote';
            at++;
          } else if (state === 'quote' && c === QUOTE) {
            at++;
            out.push(chunk.subarray(emitted, at));
            emitted = at;
            value = { key, raw: new ByteList(), clean: new ByteList(), rawLength: 0, escape: '' };
            state = 'value';
          } else {
            // Not a string value (a number, null, an object): nothing to take out.
            state = 'scan';
            scanFrom = at;
          }
          continue;
        }

        // state === 'value': the bytes from `at` belong to the value until its closing quote.
        const current = value as ValueState;
        const scanned = this.#scanValue(current, chunk, at);
        current.rawLength += scanned.next - at;
        if (this.#maxValueBytes !== undefined && current.rawLength > this.#maxValueBytes) {
          throw tooLargeError(this.#maxValueBytes, "An image in the gateway's answer");
        }
        let resumeAt = -1; // where the skeleton resumes in this chunk, when the value ends here
        if (current.payload) {
          current.payload.append(scanned.clean);
          if (scanned.bail !== -1) {
            // A raw line end: this was no JSON string after all. The skeleton goes on from it, so the JSON
            // stays as broken as it was (the value is left unclosed).
            current.payload.broken = true;
            current.payload.drop();
            resumeAt = scanned.bail;
          } else if (scanned.end !== -1) {
            this.#close(current.payload);
            resumeAt = scanned.end;
          }
        } else {
          current.raw.push(chunk.subarray(at, scanned.next));
          current.clean.push(scanned.clean);
          if (scanned.bail !== -1 || (scanned.end !== -1 && current.rawLength < this.#minLength)) {
            // Short, or not a JSON string: the value passes through as it came.
            out.push(...current.raw.all());
            resumeAt = scanned.bail !== -1 ? scanned.bail : scanned.end;
          } else if (current.rawLength >= this.#minLength) {
            const payload = this.#commit(current);
            if (!payload) {
              // Long but not base64: it passes through; its end is found by scanning for the next key.
              out.push(...current.raw.all());
              resumeAt = scanned.next;
            } else {
              out.push(Buffer.from(`<base64 #${payload.id}>`, 'latin1'));
              current.payload = payload.value;
              current.raw = new ByteList();
              current.clean = new ByteList();
              if (scanned.end !== -1) {
                this.#close(payload.value);
                resumeAt = scanned.end;
              }
            }
          }
        }
        if (resumeAt === -1) {
          at = chunk.length;
          emitted = chunk.length;
          break;
        }
        state = 'scan';
        value = undefined;
        at = resumeAt;
        emitted = resumeAt;
        scanFrom = resumeAt;
      }

      if (state !== 'value' && emitted < chunk.length) out.push(chunk.subarray(emitted));
      if (state === 'scan') {
        // The last bytes scanned, to find a key cut by the chunk boundary; a short chunk adds to the previous tail.
        const keep = this.#longestKey - 1;
        const scanned = chunk.subarray(Math.max(scanFrom, chunk.length - keep));
        const carried = scanFrom === 0 && previousTail && scanned.length < keep ? Buffer.concat([previousTail, scanned]) : scanned;
        tail = carried.subarray(Math.max(0, carried.length - keep));
      }
      if (out.length > 0) {
        const skeleton = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
        if (skeleton.length > 0) yield skeleton;
      }
    }
    // A body cut inside a value that was still only read: its text is passed on as it came.
    if (state === 'value' && value && !value.payload && value.raw.length > 0) yield value.raw.concat();
  }

  /** The first key at or after `from`, including one that began in the previous chunk's `tail`. */
  #findKey(chunk: Buffer, from: number, tail: Buffer | undefined): { name: string; end: number } | undefined {
    let best: { name: string; start: number; end: number } | undefined;
    if (tail && tail.length > 0) {
      const joined = Buffer.concat([tail, chunk.subarray(0, this.#longestKey - 1)]);
      for (const k of this.#keys) {
        for (let j = joined.indexOf(k.bytes); j !== -1 && j < tail.length; j = joined.indexOf(k.bytes, j + 1)) {
          const end = j + k.bytes.length - tail.length;
          if (end <= 0) continue; // wholly in the previous chunk: already seen there
          const start = j - tail.length;
          if (!best || start < best.start) best = { name: k.name, start, end };
          break;
        }
      }
    }
    for (const k of this.#keys) {
      const i = chunk.indexOf(k.bytes, from);
      if (i !== -1 && (!best || i < best.start)) best = { name: k.name, start: i, end: i + k.bytes.length };
    }
    return best;
  }

  /** Reads the value's bytes from `at`: to its closing quote, a raw line end, or the end of the chunk. */
  #scanValue(value: ValueState, chunk: Buffer, at: number): ScannedPiece {
    const quote = chunk.indexOf(QUOTE, at);
    const stop = quote === -1 ? chunk.length : quote;
    const piece = chunk.subarray(at, stop);
    // The common case, base64 without escapes or spaces: four memchr scans and no copy.
    if (value.escape === '' && piece.indexOf(BACKSLASH) === -1 && piece.indexOf(SPACE) === -1 && piece.indexOf(LF) === -1 && piece.indexOf(CR) === -1) {
      return { clean: piece, end: quote, bail: -1, next: stop };
    }
    const out = Buffer.allocUnsafe(chunk.length - at);
    let n = 0;
    let escape = value.escape;
    for (let i = at; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (escape !== '') {
        escape += String.fromCharCode(c);
        if (escape.length === 2) {
          const kind = escape[1];
          if (kind === 'u') continue;
          escape = '';
          if (kind === '/') out[n++] = 0x2f;
          else if (kind === 'n' || kind === 'r' || kind === 't' || kind === 'f') continue; // whitespace: ignored
          else out[n++] = INVALID; // \" \\ \b ...: not base64
          continue;
        }
        if (escape.length < 6) continue;
        const hex = escape.slice(2);
        escape = '';
        const code = /^[0-9a-fA-F]{4}$/.test(hex) ? Number.parseInt(hex, 16) : -1;
        if (code >= 0 && isWhitespaceCode(code)) continue;
        out[n++] = code >= 0 && code < 0x80 ? code : INVALID;
        continue;
      }
      if (c === BACKSLASH) {
        escape = '\\';
        continue;
      }
      if (c === QUOTE) {
        value.escape = '';
        return { clean: out.subarray(0, n), end: i, bail: -1, next: i };
      }
      if (c === LF || c === CR) {
        value.escape = '';
        return { clean: out.subarray(0, n), end: -1, bail: i, next: i };
      }
      if (c === SPACE) continue;
      out[n++] = c;
    }
    value.escape = escape;
    return { clean: out.subarray(0, n), end: -1, bail: -1, next: chunk.length };
  }

  /** Turns a long value into a payload when it looks like base64; undefined when it does not. */
  #commit(value: ValueState): { id: number; value: Payload } | undefined {
    const clean = value.clean.concat();
    const start = clean.toString('latin1', 0, Math.min(clean.length, 300));
    const prefix = DATA_URL_PREFIX.exec(start)?.[0].length ?? 0;
    const checked = start.slice(prefix, prefix + CHECKED_CHARS);
    if (checked.length < Math.min(CHECKED_CHARS, clean.length - prefix) || !BASE64_START.test(checked)) return undefined;
    const action = this.#keeping ? (this.#keys.find((k) => k.name === value.key)?.action ?? 'drop') : 'drop';
    const id = this.#nextId++;
    const payload = new Payload(value.key, action, this.#firstBlockFor(action));
    if (!payload.dropped) this.#payloads.set(id, payload);
    payload.append(clean.subarray(prefix));
    return { id, value: payload };
  }

  #firstBlockFor(action: ValueAction): number {
    if (action !== 'decode') return 0;
    const hint = this.#sizeHint;
    this.#sizeHint = undefined;
    if (hint !== undefined) return hint;
    // A stream's partial images announce the size of the final one; leave room for it to be a little larger.
    if (this.#largestDecoded > 0) return Math.ceil(this.#largestDecoded * 1.25) + 64 * 1024;
    const cap = this.#maxValueBytes !== undefined ? Math.floor((this.#maxValueBytes * 3) / 4) + 3 : DEFAULT_FIRST_BLOCK;
    return Math.min(DEFAULT_FIRST_BLOCK, cap);
  }

  #close(payload: Payload): void {
    payload.closed = true;
    this.#largestDecoded = Math.max(this.#largestDecoded, Math.floor((payload.length * 3) / 4));
  }
}
