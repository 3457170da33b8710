/**
 * The bench-only loopback gateway. Unlike the test gateway (one scenario per quirk, bodies built per
 * request), it serves bodies precomputed once as Buffers, so the server costs the same tiny amount for
 * every contender and is never the bottleneck. Routes, all under a per-run prefix so each run's
 * request can be timed on arrival:
 *   POST /r/<runId>/<case>/v1/responses   `stream:false` → §6.1 JSON, `stream:true` → §6.2 SSE
 *   GET  /r/<runId>/<case>/v1/models      a one-model list
 * 127.0.0.1 only, port chosen by the OS.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { ImageCase } from './fixtures';

export interface ArrivalRecord {
  /** `performance.now()` of this process when the request's headers arrived. */
  arrivedAt: number;
  /** When the last byte was handed to the socket, or the client went away. */
  finishedAt?: number;
  status?: number;
  stream?: boolean;
  /** The client closed the connection before the whole body was written (stream read up to the image). */
  clientClosedEarly?: boolean;
}

export interface BenchGateway {
  /** Base URL a contender is configured with; `<it>/v1/responses` is the endpoint. */
  baseUrlFor(runId: string, caseName: string): string;
  arrivals: Map<string, ArrivalRecord>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length) });
  res.end(body);
}

async function writeEvents(res: ServerResponse, events: readonly Buffer[]): Promise<boolean> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const event of events) {
    if (res.destroyed) return false;
    if (!res.write(event)) {
      const closed = once(res, 'close').then(() => false);
      const drained = once(res, 'drain').then(() => true);
      if (!(await Promise.race([drained, closed]))) return false;
    }
  }
  res.end();
  await once(res, 'finish');
  return true;
}

export async function startBenchGateway(cases: readonly ImageCase[], apiKey: string): Promise<BenchGateway> {
  const byName = new Map(cases.map((c) => [c.name, c]));
  const arrivals = new Map<string, ArrivalRecord>();

  const server = createServer((req, res) => {
    const arrivedAt = performance.now();
    const match = /^\/r\/([\w-]+)\/(\w+)\/v1\/(responses|models)$/.exec(req.url ?? '');
    const imageCase = match ? byName.get(match[2] ?? '') : undefined;
    if (!match || !imageCase) {
      sendJson(res, 404, Buffer.from('{"error":{"message":"no such route","code":"model_not_found"}}'));
      return;
    }
    const runId = match[1] ?? '';
    const record: ArrivalRecord = { arrivedAt };
    arrivals.set(runId, record);
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      record.status = 401;
      sendJson(res, 401, Buffer.from('{"error":"Invalid API key"}'));
      return;
    }
    if (match[3] === 'models') {
      record.status = 200;
      sendJson(res, 200, Buffer.from('{"object":"list","data":[{"id":"gpt-5.4","object":"model","owned_by":"cpa"}]}'));
      return;
    }
    void (async () => {
      let stream = false;
      try {
        stream = (JSON.parse(await readBody(req)) as { stream?: unknown }).stream === true;
      } catch {
        record.status = 400;
        sendJson(res, 400, Buffer.from('{"error":{"message":"bad JSON body","type":"invalid_request_error"}}'));
        return;
      }
      record.stream = stream;
      record.status = 200;
      if (stream) {
        record.clientClosedEarly = !(await writeEvents(res, imageCase.sseEvents));
      } else {
        sendJson(res, 200, imageCase.jsonBody);
        await Promise.race([once(res, 'finish'), once(res, 'close')]);
      }
      record.finishedAt = performance.now();
    })().catch(() => {
      record.clientClosedEarly = true;
    });
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseUrlFor: (runId, caseName) => `http://127.0.0.1:${port}/r/${runId}/${caseName}`,
    arrivals,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
