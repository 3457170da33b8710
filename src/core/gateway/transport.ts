/**
 * HTTP for the gateway client, and the only file that uses `undici` (through ./undiciSubset: the agent and the request
 * API, not undici's index). undici is loaded on the first request, not when this module is imported, so activating the
 * extension stays cheap.
 *
 * Guarantees of `send`: redirects are never followed (a 3xx comes back as a response), one overall
 * timer covers connect + headers + the whole body, the abort signal is honoured at every step
 * (the socket is destroyed), and failures are `GatewayError`s that name the host, never the key.
 */
import type { Dispatcher } from 'undici';
import type { ProxySettings } from '../types';
import type { HttpRequest } from './request';
import { GatewayError, cancelledError, throwIfAborted } from '../errors';
import { errorText, hostOf } from '../text/describe';

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Must be read to the end or abandoned (`return()`), which frees the connection. */
  body: AsyncIterable<Uint8Array>;
}

export interface HttpTransport {
  /**
   * `onSent` runs once the whole request has been written to the connection: from then on the gateway has it, and
   * the wait is the gateway's (the status says "waiting for the gateway" instead of "connecting").
   */
  send(request: HttpRequest, options: { signal?: AbortSignal; timeoutMs: number; onSent?: () => void }): Promise<HttpResponse>;
  /** Closes idle connections; optional so that test fakes need not implement it. */
  close?(): Promise<void>;
}

/** "10 minutes", "30 seconds", "250 ms": how long we waited, the way a person says it. */
export function formatDuration(ms: number): string {
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (ms >= 60_000 && ms % 60_000 === 0) return plural(ms / 60_000, 'minute');
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} minutes`;
  if (ms >= 1000 && ms % 1000 === 0) return plural(ms / 1000, 'second');
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} seconds`;
  return `${ms} ms`;
}

export function timeoutError(timeoutMs: number): GatewayError {
  return new GatewayError(
    'timeout',
    `The gateway did not answer within ${formatDuration(timeoutMs)}. Image generation can take several minutes: ` +
      `raise the timeout (timeoutSeconds) if the gateway is slow, or check that it is running.`,
    { timeoutMs },
  );
}

/** The error code of a failure, looking through `cause` and AggregateError (Happy Eyeballs). */
function errorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const record = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof record.code === 'string' && record.code !== 'UND_ERR' && record.code !== 'ERR_ASSERTION') return record.code;
    if (Array.isArray(record.errors) && record.errors.length > 0) current = record.errors[0];
    else current = record.cause;
  }
  return undefined;
}

/**
 * The failure's own words on one line. OpenSSL's multi-line `<hex>:error:<code>:<library>:<function>:<reason>:<file>:<line>:`
 * (e.g. https:// to a plain-HTTP port) is cut to its reason, "wrong version number".
 */
function networkErrorText(err: unknown): string {
  const text = errorText(err).replace(/\s+/g, ' ').trim();
  return /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(text)?.[1] ?? text;
}

const TLS_CERT_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
]);

/**
 * A transport failure as the user should read it. Resets and refusals are `retryable` (the gateway
 * may be restarting); DNS and TLS problems are not, since another try gives the same answer.
 */
export function networkError(err: unknown, url: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const host = hostOf(url, 'the gateway');
  const code = errorCode(err);
  const detail = { cause: err, ...(code ? { code } : {}) };
  switch (code) {
    case 'ECONNREFUSED':
      return new GatewayError(
        'network',
        `Could not connect to the gateway at ${host}: the connection was refused. Check that the gateway is running and that the base URL is right.`,
        { ...detail, retryable: true },
      );
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return new GatewayError(
        'network',
        `The connection to the gateway at ${host} was closed before the answer was complete (${code}). Try again; if it persists, check the gateway and any proxy in between.`,
        { ...detail, retryable: true },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return new GatewayError(
        'network',
        `The gateway host ${host} could not be found (DNS ${code}). Check the base URL and your network or proxy settings.`,
        { ...detail, retryable: code === 'EAI_AGAIN' },
      );
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return new GatewayError(
        'network',
        `Connecting to the gateway at ${host} timed out. Check that the host is reachable and the proxy settings.`,
        { ...detail, retryable: true },
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new GatewayError(
        'network',
        `The gateway at ${host} cannot be reached from this machine (${code}). Check the network and proxy settings.`,
        detail,
      );
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new GatewayError('timeout', `The gateway at ${host} stopped answering (${code}).`, detail);
    default:
      break;
  }
  if (code && (TLS_CERT_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code === 'EPROTO')) {
    return new GatewayError(
      'network',
      `The TLS connection to ${host} failed (${code}: ${networkErrorText(err)}). If the gateway uses a self-signed certificate ` +
        `set http.proxyStrictSSL to false; if it speaks plain HTTP, use an http:// base URL.`,
      detail,
    );
  }
  if (/proxy/i.test(networkErrorText(err))) {
    return new GatewayError(
      'network',
      `The proxy refused or failed the request to ${host}: ${networkErrorText(err)}. Check the proxy settings (http.proxy, HTTPS_PROXY).`,
      detail,
    );
  }
  return new GatewayError(
    'network',
    `The request to the gateway at ${host} failed${code ? ` (${code})` : ''}: ${networkErrorText(err)}.`,
    detail,
  );
}

function lowerCaseHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

type Undici = typeof import('./undiciSubset');

/**
 * undici's own timers are set per request a little above ours, so that our overall timer, with its
 * clear message, fires first. Node's fetch defaults (5 minutes) are too short for non-streaming
 * image calls (gateway.md §5); the dispatcher-wide ones are switched off for the same reason.
 */
const UNDICI_TIMEOUT_MARGIN_MS = 5_000;

function createDispatcher(undici: Undici, proxy: ProxySettings | undefined): Dispatcher {
  const strictSsl = proxy?.strictSsl !== false;
  const tls = { rejectUnauthorized: strictSsl };
  const proxyUrl = proxy?.proxyUrl?.trim() || undefined;
  // EnvHttpProxyAgent gives HTTPS_PROXY/HTTP_PROXY/NO_PROXY semantics, and the same with an explicit
  // proxy URL plus its own no-proxy list. Plain-HTTP targets are forwarded (absolute-form request),
  // as curl does, instead of tunnelled: many proxies refuse CONNECT to ports other than 443.
  return new undici.EnvHttpProxyAgent({
    ...(proxyUrl ? { httpProxy: proxyUrl, httpsProxy: proxyUrl } : {}),
    ...(proxy?.noProxy !== undefined ? { noProxy: proxy.noProxy } : {}),
    proxyTunnel: false,
    connect: tls,
    requestTls: tls,
    proxyTls: tls,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

/** An `HttpTransport` over undici. `close()` releases its connections. */
export function createUndiciTransport(proxy?: ProxySettings): HttpTransport & { close(): Promise<void> } {
  // Loaded on the first request only; the dispatcher (and its connection pool) is kept for later ones.
  let loaded: Promise<{ dispatcher: Dispatcher }> | undefined;
  let closed = false;
  const load = (): Promise<{ dispatcher: Dispatcher }> => {
    loaded ??= import('./undiciSubset').then((undici) => ({ dispatcher: createDispatcher(undici, proxy) }));
    return loaded;
  };

  return {
    async close(): Promise<void> {
      closed = true;
      if (loaded) await (await loaded).dispatcher.close();
    },

    async send(request, { signal, timeoutMs, onSent }): Promise<HttpResponse> {
      throwIfAborted(signal);
      if (closed) throw new GatewayError('config', 'The HTTP transport was closed.');
      const controller = new AbortController();
      let timedOut = false;
      let cleanedUp = false;
      // Stops the timer and forgets the caller's signal; runs when the body is done or abandoned.
      const cleanup = (): void => {
        if (cleanedUp) return;
        cleanedUp = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort(timeoutError(timeoutMs));
        cleanup();
      }, timeoutMs);
      // The timer must not keep a command-line run alive by itself; the socket does that while it is open.
      timer.unref?.();
      const onAbort = (): void => controller.abort(cancelledError());
      signal?.addEventListener('abort', onAbort, { once: true });
      const mapError = (err: unknown): GatewayError => {
        if (signal?.aborted) return cancelledError();
        if (timedOut) return timeoutError(timeoutMs);
        return networkError(err, request.url);
      };

      let response: Dispatcher.ResponseData;
      try {
        const { dispatcher } = await load();
        throwIfAborted(signal);
        const timeout = timeoutMs + UNDICI_TIMEOUT_MARGIN_MS;
        // The body as an iterable that undici pulls from: when it asks for more after the last piece, every byte has
        // been handed to the connection, which is when the gateway has the request. The length is stated, so the
        // request is sent as it would be from a string (no chunked encoding).
        const form = request.formBody;
        const bytes = form !== undefined ? Buffer.from(form.buffer, form.byteOffset, form.byteLength) : request.body !== undefined ? Buffer.from(request.body, 'utf8') : undefined;
        const sentSignal = onSent;
        async function* requestBody(whole: Buffer): AsyncGenerator<Buffer> {
          yield whole;
          sentSignal?.();
        }
        const url = new URL(request.url);
        response = await dispatcher.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: request.method,
          headers: bytes !== undefined ? { ...request.headers, 'content-length': String(bytes.length) } : request.headers,
          // undici takes any (async) iterable as a body; its type declaration lists only streams and buffers.
          ...(bytes !== undefined ? { body: requestBody(bytes) as unknown as Uint8Array } : {}),
          signal: controller.signal,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        });
      } catch (err) {
        cleanup();
        throw mapError(err);
      }

      const source = response.body;
      async function* body(): AsyncGenerator<Uint8Array> {
        let complete = false;
        try {
          throwIfAborted(signal);
          for await (const chunk of source) {
            yield chunk as Uint8Array;
            if (controller.signal.aborted) break;
          }
          if (controller.signal.aborted) throw mapError(controller.signal.reason);
          complete = true;
        } catch (err) {
          throw mapError(err);
        } finally {
          cleanup();
          // Abandoned before the end (cancelled, too large, or the caller has what it needs): destroying
          // the body destroys the socket, so the gateway sees the client go away.
          if (!complete && !source.destroyed) source.destroy();
        }
      }

      return { status: response.statusCode, headers: lowerCaseHeaders(response.headers), body: body() };
    },
  };
}
