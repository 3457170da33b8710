/**
 * The one error type the core throws. `kind` says what went wrong in a way the glue can
 * localise; `message` is a complete English sentence that names the problem and the next step.
 * No field ever holds the API key: messages are built from gateway text that passes through
 * `redactSecrets` before it reaches a GatewayError (see client.ts).
 */

export type GatewayErrorKind =
  /** Missing base URL or key, a `gpt-image-*` model, an invalid setting. */
  | 'config'
  /** 401: the gateway rejected the key. */
  | 'auth'
  /** 403: the key is valid but not allowed (plan, group, region). */
  | 'forbidden'
  /** 404: no such route or model. */
  | 'not_found'
  /** Any other 4xx the gateway explains. */
  | 'bad_request'
  /** A short rate limit that outlasted the retries, or whose delay is over the ceiling. */
  | 'rate_limited'
  /** Quota or usage limit (`usage_limit_reached`, `insufficient_quota`): resets later. */
  | 'usage_limit'
  /** The image was refused by the content policy. */
  | 'content_policy'
  /** 5xx or a failed response after the retries. */
  | 'server'
  /** Connection refused or reset, DNS failure, TLS error. */
  | 'network'
  /** No answer within the timeout. */
  | 'timeout'
  /** A body that could not be read: truncated JSON, HTML from a proxy, a stream cut short. */
  | 'protocol'
  /** A completed response without an image (the model answered with text only). */
  | 'no_image'
  /** The bytes that came back are not a PNG, JPEG or WebP image. */
  | 'not_image'
  /** The response is larger than the size cap. */
  | 'too_large'
  /** The user (or the caller's signal) cancelled. */
  | 'cancelled';

export interface GatewayErrorDetails {
  status?: number;
  /** The gateway's machine-readable code, e.g. `rate_limit_exceeded`. */
  code?: string;
  /** The gateway's own words, redacted and shortened. */
  gatewayMessage?: string;
  /** A stated delay, when the gateway gave one. */
  retryAfterMs?: number;
  /** When a usage limit resets, epoch milliseconds. */
  resetsAt?: number;
  /** The text the model answered with instead of an image. */
  modelText?: string;
  /** The start of an unreadable body, for the log and the message. */
  excerpt?: string;
  /** How long the client waited before timing out. */
  timeoutMs?: number;
  /** Whether the retry policy may try again (set by the readers, consulted by retry.ts). */
  retryable?: boolean;
  /**
   * Requests made for this generation when it stopped; set by the client when there was more than one, or when the
   * overall budget stopped it. The message then begins "Stopped after N attempts: ".
   */
  attempts?: number;
  /** Which overall budget ended the generation: the attempt cap (`maxAttempts`) or the deadline (`totalTimeoutSeconds`). */
  stoppedBy?: 'maxAttempts' | 'totalTimeout';
  cause?: unknown;
}

/**
 * Marks a GatewayError, on its prototype. The extension loads the gateway client on first use from its own file
 * (dist/gateway.js, beside dist/extension.js, so activation does not parse it), and that file carries its own copy of
 * this class: `instanceof GatewayError` checks the mark, so an error from either copy is a GatewayError to both.
 */
const gatewayErrorMark: unique symbol = Symbol.for('cpa-gpt-image.GatewayError');

export class GatewayError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [gatewayErrorMark]?: unknown })[gatewayErrorMark] === true;
  }

  declare readonly [gatewayErrorMark]: true;
  override readonly name = 'GatewayError';
  readonly kind: GatewayErrorKind;
  readonly details: GatewayErrorDetails;

  constructor(kind: GatewayErrorKind, message: string, details: GatewayErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.details = details;
  }

  get status(): number | undefined {
    return this.details.status;
  }
}

Object.defineProperty(GatewayError.prototype, gatewayErrorMark, { value: true });

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

export function cancelledError(): GatewayError {
  return new GatewayError('cancelled', 'The request was cancelled.');
}

/** True for our own cancellation and for DOM/undici AbortErrors. */
export function isCancellation(err: unknown): boolean {
  if (err instanceof GatewayError) return err.kind === 'cancelled';
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}

/** Throws a cancelled GatewayError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}

/** Removes the key in every form it may come back in; see redaction.ts. Re-exported here, where callers look for it. */
export { redactSecrets } from './text/redaction';

/** `…1234`: how the key is shown to the user (SPEC §2). */
export function keyHint(key: string | undefined): string {
  if (!key) return '';
  return key.length <= 8 ? '…' : `…${key.slice(-4)}`;
}
