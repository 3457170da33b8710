/**
 * The loopback test gateway: a real `node:http` server on 127.0.0.1 (port chosen by the OS) that
 * answers `POST <prefix>/v1/responses` and `GET <prefix>/v1/models` like CPA does, one scenario per
 * quirk (see scenarios.ts). A scenario URL is `http://127.0.0.1:PORT/s/<name>/<id>[/<k=v&…>]`: the id
 * makes "fail once, then succeed" counters private to one test; the bare base URL means `ok`.
 * Every request is recorded (method, path, lower-cased headers, body, parsed JSON).
 * It also serves as a plain-HTTP forward proxy for its own scenarios: a request in absolute form
 * (`POST http://any.host/s/ok/1/v1/responses`) is answered as if sent directly, which lets tests
 * check that a client honours HTTP_PROXY / NO_PROXY.
 */
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  ClientGone,
  handleModels,
  handleResponses,
  isScenarioName,
  sendPlain,
  servedImageFor,
  type ScenarioContext,
  type ScenarioName,
} from './scenarios';
import { handleImages } from './imagesScenarios';
import { parseMultipart, type FormPart } from './multipart';

export { scenarioNames, type ScenarioName } from './scenarios';

export interface RecordedRequest {
  method: string;
  /** As received: `/s/…`, or `http://host/s/…` when the client came through this server as a proxy. */
  path: string;
  headers: Record<string, string>;
  body: string;
  json?: unknown;
  /** The parts of a multipart form (the Images route's edit form), files with their exact bytes. */
  form?: FormPart[];
  /** The scenario that answered, when the path named one (`ok` for the bare base URL). */
  scenario?: ScenarioName;
  /** 1-based count of this request among the requests of the same scenario URL and route. */
  attempt?: number;
}

/** How a request's answer ended: `finished` is false when the connection closed before the end. */
export interface RequestOutcome {
  request: RecordedRequest;
  finished: boolean;
}

export interface TestGatewayOptions {
  /** When set, requests without `Authorization: Bearer <expectedKey>` get 401. */
  expectedKey?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (the OS chooses). */
  port?: number;
}

export interface TestGateway {
  /** `http://127.0.0.1:PORT`: scenario `ok`. */
  baseUrl: string;
  /** A base URL for one scenario, unique per call so attempt counters never collide. */
  scenarioUrl(name: ScenarioName, params?: Record<string, string | number>): string;
  requests: RecordedRequest[];
  /** Requests made under this scenario URL (or, for the bare base URL, outside any scenario). */
  requestsFor(scenarioUrl: string): RecordedRequest[];
  /** Requests that reached the other origin a `redirect` scenario points to (a client must not follow). */
  redirectedRequests: RecordedRequest[];
  /** The final image bytes this scenario URL serves. */
  imageFor(scenarioUrl: string): Buffer;
  /** Resolves once the `count`-th request under this URL has been fully received. */
  waitForRequest(scenarioUrl: string, count?: number): Promise<RecordedRequest>;
  /** Resolves once the answer to the `count`-th request under this URL has ended or been cut. */
  waitForOutcome(scenarioUrl: string, count?: number): Promise<RequestOutcome>;
  /**
   * The most requests under this URL that were open at the same moment (received and not yet answered or cut):
   * how a test proves a client's concurrency limit without looking at a clock.
   */
  mostInFlight(scenarioUrl: string): number;
  close(): Promise<void>;
}

interface ParsedPath {
  name: ScenarioName;
  /** `/s/<name>/<id>`, or '' for the bare base URL. */
  prefix: string;
  params: Record<string, string>;
  route: string;
}

const SCENARIO_PATH = /^\/s\/([^/]+)\/([^/]+)(?:\/([^/]*=[^/]*))?(\/.*)?$/;

function parsePath(rawUrl: string): ParsedPath | { unknown: string } {
  const url = new URL(rawUrl, 'http://gateway.invalid');
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) params[k] = v;
  const match = SCENARIO_PATH.exec(url.pathname);
  if (!match) return { name: 'ok', prefix: '', params, route: url.pathname };
  const [, name = '', id = '', encoded, route = '/'] = match;
  if (!isScenarioName(name)) return { unknown: name };
  for (const [k, v] of new URLSearchParams(encoded ?? '')) params[k] = v;
  return { name, prefix: `/s/${name}/${id}`, params, route };
}

function prefixOf(scenarioUrl: string): string {
  const url = new URL(scenarioUrl);
  const match = SCENARIO_PATH.exec(url.pathname);
  return match ? `/s/${match[1]}/${match[2]}` : '';
}

function belongsTo(request: RecordedRequest, prefix: string): boolean {
  // A client that goes through a proxy sends the absolute form (`POST http://host/s/…`): compare paths.
  const url = new URL(request.path, 'http://gateway.invalid');
  const path = `${url.pathname}${url.search}`;
  if (prefix === '') return !path.startsWith('/s/');
  return path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`);
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
    req.on('close', () => {
      if (!req.complete) resolve(undefined);
    });
  });
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const host = options.host ?? '127.0.0.1';
  const requests: RecordedRequest[] = [];
  const redirectedRequests: RecordedRequest[] = [];
  const outcomes: RequestOutcome[] = [];
  const attempts = new Map<string, number>();
  /** Per scenario prefix: requests open now, and the most open at once. */
  const inFlight = new Map<string, { now: number; most: number }>();
  const sockets = new Set<Socket>();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const closing = new AbortController();
  let uniqueId = 0;
  let redirectOrigin = '';

  function handler(recordInto: RecordedRequest[]) {
    return (req: IncomingMessage, res: ServerResponse) => {
      void serve(req, res, recordInto);
    };
  }

  async function serve(req: IncomingMessage, res: ServerResponse, recordInto: RecordedRequest[]): Promise<void> {
    const rawBody = await readBody(req);
    if (rawBody === undefined) return; // the client gave up while sending
    const body = rawBody.toString('utf8');
    const rawUrl = req.url ?? '/';
    const parsed = parsePath(rawUrl);
    let json: unknown;
    try {
      json = body.length ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    const record: RecordedRequest = { method: req.method ?? 'GET', path: rawUrl, headers: flattenHeaders(req), body };
    if (json !== undefined) record.json = json;
    const contentType = flattenHeaders(req)['content-type'] ?? '';
    if (/^multipart\/form-data/i.test(contentType)) {
      const form = parseMultipart(contentType, rawBody);
      if (form) record.form = form;
    }

    const requestSignal = new AbortController();
    const abort = () => requestSignal.abort();
    closing.signal.addEventListener('abort', abort, { once: true });
    const flightKey = 'unknown' in parsed ? '' : parsed.prefix;
    const flight = inFlight.get(flightKey) ?? { now: 0, most: 0 };
    inFlight.set(flightKey, flight);
    flight.now += 1;
    flight.most = Math.max(flight.most, flight.now);
    res.on('close', () => {
      flight.now -= 1;
      closing.signal.removeEventListener('abort', abort);
      const outcome = { request: record, finished: res.writableFinished };
      if (recordInto === requests) {
        outcomes.push(outcome);
        events.emit('outcome', outcome);
      }
      abort();
    });

    if ('unknown' in parsed) {
      recordInto.push(record);
      events.emit('request', record);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `unknown test scenario ${parsed.unknown}` }));
      return;
    }

    const route =
      req.method === 'POST' && parsed.route === '/v1/responses'
        ? 'responses'
        : req.method === 'GET' && parsed.route === '/v1/models'
          ? 'models'
          : req.method === 'POST' && parsed.route === '/v1/images/generations'
            ? 'images-generations'
            : req.method === 'POST' && parsed.route === '/v1/images/edits'
              ? 'images-edits'
              : undefined;
    record.scenario = parsed.name;
    if (route && parsed.prefix) {
      const key = `${route} ${parsed.prefix}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      record.attempt = attempt;
    } else if (route) {
      record.attempt = 1;
    }
    recordInto.push(record);
    events.emit('request', record);

    const ctx: ScenarioContext = {
      name: parsed.name,
      req,
      res,
      json,
      stream: (json as { stream?: unknown } | undefined)?.stream === true,
      params: parsed.params,
      attempt: record.attempt ?? 1,
      signal: requestSignal.signal,
      redirectOrigin,
      prefix: parsed.prefix,
    };

    try {
      if (options.expectedKey !== undefined && route) {
        const auth = record.headers.authorization;
        if (auth !== `Bearer ${options.expectedKey}`) {
          // CPA's access middleware (gateway.md §2.1): a string `error`.
          const text = JSON.stringify({ error: auth ? 'Invalid API key' : 'Missing API key' });
          res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
          res.end(text);
          return;
        }
      }
      if (route === 'responses') await handleResponses(ctx);
      else if (route === 'models') await handleModels(ctx);
      else if (route === 'images-generations') await handleImages(ctx, 'generations', record.form);
      else if (route === 'images-edits') await handleImages(ctx, 'edits', record.form);
      else await sendPlain(ctx, 404, '404 page not found');
    } catch (err) {
      if (err instanceof ClientGone) return;
      // A bug in the gateway itself: make it loud in the test output and end the exchange.
      console.error('test gateway: scenario failed', parsed.name, err);
      res.destroy();
    }
  }

  function track(server: Server): void {
    server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  }

  const server = createServer(handler(requests));
  track(server);
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://${host}:${port}`;

  // The other origin a redirect points to: 127.0.0.2 is loopback too on Linux. It answers like the
  // gateway, so a client that wrongly follows the redirect gets an image and is caught by the test.
  const redirectServer = createServer(handler(redirectedRequests));
  track(redirectServer);
  try {
    redirectServer.listen(0, '127.0.0.2');
    await once(redirectServer, 'listening');
    redirectOrigin = `http://127.0.0.2:${(redirectServer.address() as AddressInfo).port}`;
  } catch {
    // No 127.0.0.2 on this system: still another origin, nothing listens there.
    redirectOrigin = `http://127.0.0.2:${port}`;
  }

  function waitFor<T>(list: T[], eventName: string, matches: (item: T) => boolean, count: number): Promise<T> {
    return new Promise((resolve) => {
      let seen = 0;
      for (const item of list) {
        if (matches(item) && ++seen === count) return resolve(item);
      }
      const listener = (item: T) => {
        if (matches(item) && ++seen === count) {
          events.off(eventName, listener);
          resolve(item);
        }
      };
      events.on(eventName, listener);
    });
  }

  let closed: Promise<void> | undefined;

  return {
    baseUrl,
    requests,
    redirectedRequests,
    scenarioUrl(name, params) {
      uniqueId += 1;
      let url = `${baseUrl}/s/${name}/t${uniqueId}`;
      if (params && Object.keys(params).length > 0) {
        url += `/${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString()}`;
      }
      return url;
    },
    requestsFor(scenarioUrl) {
      const prefix = prefixOf(scenarioUrl);
      return requests.filter((r) => belongsTo(r, prefix));
    },
    imageFor(scenarioUrl) {
      const parsed = parsePath(new URL(scenarioUrl).pathname);
      if ('unknown' in parsed) throw new Error(`not a scenario URL: ${scenarioUrl}`);
      return servedImageFor(parsed.name, parsed.params).bytes;
    },
    waitForRequest(scenarioUrl, count = 1) {
      const prefix = prefixOf(scenarioUrl);
      return waitFor(requests, 'request', (r) => belongsTo(r, prefix), count);
    },
    waitForOutcome(scenarioUrl, count = 1) {
      const prefix = prefixOf(scenarioUrl);
      return waitFor(outcomes, 'outcome', (o) => belongsTo(o.request, prefix), count);
    },
    mostInFlight(scenarioUrl) {
      return inFlight.get(prefixOf(scenarioUrl))?.most ?? 0;
    },
    close() {
      closed ??= (async () => {
        closing.abort();
        const done = Promise.all([
          new Promise<void>((resolve) => server.close(() => resolve())),
          redirectServer.listening ? new Promise<void>((resolve) => redirectServer.close(() => resolve())) : undefined,
        ]);
        for (const socket of sockets) socket.destroy();
        await done;
      })();
      return closed;
    },
  };
}
