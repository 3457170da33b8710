/**
 * The undici transport against real servers on 127.0.0.1: timeouts, aborts, resets, redirects,
 * proxies and TLS, as SPEC §5 asks. Every server is closed and every transport released at the end.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { createUndiciTransport, formatDuration, networkError, type HttpResponse } from '../../src/core/gateway/transport';
import { GatewayError } from '../../src/core/errors';
import type { HttpRequest } from '../../src/core/gateway/request';
import { removeTempFolderSync } from '../support/removeInside';

interface TestServer {
  server: http.Server;
  url: string;
  port: number;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

const openServers: TestServer[] = [];

async function startServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
  make: (listener: http.RequestListener) => http.Server = (l) => http.createServer(l),
): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const sockets = new Set<Socket>();
  const server = make((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = server instanceof https.Server ? 'https' : 'http';
  const result: TestServer = {
    server,
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  openServers.push(result);
  return result;
}

after(async () => {
  await Promise.all(openServers.map((s) => s.close()));
});

function get(url: string, headers: Record<string, string> = {}): HttpRequest {
  return { url, method: 'GET', headers };
}

async function readAll(response: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function isKind(kind: string, extra?: (err: GatewayError) => boolean) {
  return (err: unknown) => {
    assert.ok(err instanceof GatewayError, `not a GatewayError: ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    if (extra) assert.ok(extra(err), err.message);
    return true;
  };
}

/** Resolves when the server side of the connection that carries `req` is closed. */
function socketClosed(req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.socket.destroyed) resolve();
    else req.socket.once('close', () => resolve());
  });
}

describe('createUndiciTransport against a real server', { timeout: 10_000 }, () => {
  const transport = createUndiciTransport();
  after(() => transport.close());

  it('sends method, headers and body, and returns status, lower-case headers and the body', async () => {
    const server = await startServer((_req, res, body) => {
      res.writeHead(201, { 'Content-Type': 'application/json', 'X-Custom-Thing': 'yes' });
      res.end(JSON.stringify({ echoed: body }));
    });
    const response = await transport.send(
      { url: `${server.url}/v1/responses?x=1`, method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json', session_id: 's1' }, body: '{"a":"松鼠"}' },
      { timeoutMs: 5000 },
    );
    assert.equal(response.status, 201);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.equal(response.headers['x-custom-thing'], 'yes');
    assert.ok(Object.keys(response.headers).every((k) => k === k.toLowerCase()));
    assert.deepEqual(JSON.parse(await readAll(response)), { echoed: '{"a":"松鼠"}' });
    const seen = server.requests[0];
    assert.equal(seen?.method, 'POST');
    assert.equal(seen?.url, '/v1/responses?x=1');
    assert.equal(seen?.headers.authorization, 'Bearer k');
    assert.equal(seen?.headers.session_id, 's1');
  });

  it('does not follow a redirect: the 3xx comes back and the other host never sees the key', async () => {
    const elsewhere = await startServer((_req, res) => res.end('{}'));
    const server = await startServer((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/v1/responses` });
      res.end();
    });
    const response = await transport.send({ url: `${server.url}/v1/responses`, method: 'POST', headers: { authorization: 'Bearer secret' }, body: '{}' }, { timeoutMs: 5000 });
    assert.equal(response.status, 307);
    assert.equal(response.headers.location, `${elsewhere.url}/v1/responses`);
    await readAll(response);
    assert.equal(elsewhere.requests.length, 0);
  });

  it('times out when no headers come, saying how long it waited', async () => {
    let held: http.ServerResponse | undefined;
    const server = await startServer((_req, res) => {
      held = res; // never answered
    });
    const started = Date.now();
    await assert.rejects(
      transport.send(get(server.url), { timeoutMs: 150 }),
      isKind('timeout', (e) => e.details.timeoutMs === 150 && /did not answer within 150 ms/.test(e.message)),
    );
    assert.ok(Date.now() - started < 2000);
    held?.destroy();
  });

  it('the overall timer also covers a body that stalls after the headers', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    });
    const response = await transport.send(get(server.url), { timeoutMs: 200 });
    assert.equal(response.status, 200);
    await assert.rejects(readAll(response), isKind('timeout', (e) => e.details.timeoutMs === 200));
  });

  it('a slow answer within the timeout is fine', async () => {
    const server = await startServer((_req, res) => {
      setTimeout(() => res.end('late but fine'), 150);
    });
    const response = await transport.send(get(server.url), { timeoutMs: 3000 });
    assert.equal(await readAll(response), 'late but fine');
  });

  it('an already-aborted signal fails at once without sending', async () => {
    const server = await startServer((_req, res) => res.end('x'));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(transport.send(get(server.url), { signal: controller.signal, timeoutMs: 5000 }), isKind('cancelled'));
    assert.equal(server.requests.length, 0);
  });

  it('aborting while waiting for headers cancels promptly and closes the connection', async () => {
    let arrived!: (req: http.IncomingMessage) => void;
    const requestArrived = new Promise<http.IncomingMessage>((resolve) => (arrived = resolve));
    const server = await startServer((req) => arrived(req));
    const controller = new AbortController();
    const sending = transport.send(get(server.url), { signal: controller.signal, timeoutMs: 60_000 });
    const req = await requestArrived;
    const started = Date.now();
    controller.abort();
    await assert.rejects(sending, isKind('cancelled'));
    assert.ok(Date.now() - started < 1000);
    await socketClosed(req);
  });

  it('aborting in the middle of the body cancels and destroys the socket', async () => {
    let serverReq: http.IncomingMessage | undefined;
    const server = await startServer((req, res) => {
      serverReq = req;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
    });
    const controller = new AbortController();
    const response = await transport.send(get(server.url), { signal: controller.signal, timeoutMs: 60_000 });
    const iterator = response.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(Buffer.from(first.value as Uint8Array).toString(), 'data: first\n\n');
    const pending = iterator.next();
    controller.abort();
    await assert.rejects(pending, isKind('cancelled'));
    assert.ok(serverReq);
    await socketClosed(serverReq);
  });

  it('a consumer that stops reading early releases the connection', async () => {
    let serverReq: http.IncomingMessage | undefined;
    const server = await startServer((req, res) => {
      serverReq = req;
      res.writeHead(200);
      res.write('one');
    });
    const response = await transport.send(get(server.url), { timeoutMs: 60_000 });
    for await (const chunk of response.body) {
      assert.equal(Buffer.from(chunk).toString(), 'one');
      break;
    }
    assert.ok(serverReq);
    await socketClosed(serverReq);
  });

  it('a connection reset before the answer is a retryable network error naming the host', async () => {
    const server = await startServer((req) => req.socket.destroy());
    await assert.rejects(
      transport.send(get(`${server.url}/v1/responses`), { timeoutMs: 5000 }),
      isKind('network', (e) => e.details.retryable === true && e.message.includes(`127.0.0.1:${server.port}`)),
    );
  });

  it('a connection reset in the middle of the body is a retryable network error', async () => {
    const server = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"resp_1",', () => setImmediate(() => req.socket.destroy()));
    });
    const response = await transport.send(get(server.url), { timeoutMs: 5000 });
    await assert.rejects(readAll(response), isKind('network', (e) => e.details.retryable === true));
  });

  it('connection refused is a retryable network error that says so', async () => {
    const server = await startServer(() => undefined);
    const url = server.url;
    await server.close();
    await assert.rejects(
      transport.send(get(url), { timeoutMs: 5000 }),
      isKind('network', (e) => e.details.retryable === true && /refused/.test(e.message) && e.message.includes(url.slice('http://'.length))),
    );
  });

  it('never puts the Authorization header into an error', async () => {
    const server = await startServer((req) => req.socket.destroy());
    await assert.rejects(transport.send({ url: server.url, method: 'POST', headers: { authorization: 'Bearer sk-super-secret-777' }, body: '{}' }, { timeoutMs: 5000 }), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.doesNotMatch(err.message + JSON.stringify(err.details), /sk-super-secret-777/);
      return true;
    });
  });
});

/** A forward proxy without CONNECT: it records what it forwarded and relays to the target. */
async function startForwardProxy() {
  const forwarded: string[] = [];
  const proxy = await startServer((req, res, body) => {
    forwarded.push(req.url ?? '');
    const target = new URL(req.url ?? '');
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: { ...req.headers, 'x-via-test-proxy': '1' } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  });
  // Refuse tunnelling, so a transport that tried CONNECT for a plain-HTTP target fails instead of hanging.
  proxy.server.on('connect', (_req: http.IncomingMessage, socket: Socket) => socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n'));
  return { ...proxy, forwarded };
}

describe('proxies', { timeout: 10_000 }, () => {
  let target: TestServer;
  let proxy: Awaited<ReturnType<typeof startForwardProxy>>;
  const saved: Record<string, string | undefined> = {};
  const envNames = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];

  before(async () => {
    for (const name of envNames) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
    target = await startServer((req, res) => res.end(JSON.stringify({ via: req.headers['x-via-test-proxy'] ?? null })));
    proxy = await startForwardProxy();
  });
  after(() => {
    for (const name of envNames) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  async function via(transport: ReturnType<typeof createUndiciTransport>): Promise<unknown> {
    try {
      const response = await transport.send(get(`${target.url}/v1/models`), { timeoutMs: 5000 });
      return (JSON.parse(await readAll(response)) as { via: unknown }).via;
    } finally {
      await transport.close();
    }
  }

  it('uses ProxySettings.proxyUrl (forwarding plain HTTP, no CONNECT)', async () => {
    const before = proxy.forwarded.length;
    assert.equal(await via(createUndiciTransport({ proxyUrl: proxy.url })), '1');
    assert.deepEqual(proxy.forwarded.slice(before), [`${target.url}/v1/models`]);
  });

  it('skips the proxy for a host in noProxy', async () => {
    const before = proxy.forwarded.length;
    assert.equal(await via(createUndiciTransport({ proxyUrl: proxy.url, noProxy: 'example.com, 127.0.0.1' })), null);
    assert.equal(proxy.forwarded.length, before);
  });

  it('uses HTTP_PROXY from the environment when no proxy is configured', async () => {
    process.env.HTTP_PROXY = proxy.url;
    try {
      const before = proxy.forwarded.length;
      assert.equal(await via(createUndiciTransport()), '1');
      assert.equal(proxy.forwarded.length, before + 1);
    } finally {
      delete process.env.HTTP_PROXY;
    }
  });

  it('honours NO_PROXY from the environment', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = `localhost,127.0.0.1:${target.port}`;
    try {
      const before = proxy.forwarded.length;
      assert.equal(await via(createUndiciTransport()), null);
      assert.equal(proxy.forwarded.length, before);
    } finally {
      delete process.env.HTTP_PROXY;
      delete process.env.NO_PROXY;
    }
  });

  it('goes direct when nothing names a proxy', async () => {
    const before = proxy.forwarded.length;
    assert.equal(await via(createUndiciTransport({})), null);
    assert.equal(proxy.forwarded.length, before);
  });

  it('a proxy that is down is a network error', async () => {
    const dead = await startServer(() => undefined);
    const url = dead.url;
    await dead.close();
    const transport = createUndiciTransport({ proxyUrl: url });
    try {
      await assert.rejects(transport.send(get(target.url), { timeoutMs: 5000 }), isKind('network'));
    } finally {
      await transport.close();
    }
  });
});

describe('TLS', { timeout: 10_000 }, () => {
  let dir: string | undefined;
  let server: TestServer | undefined;
  let skip: string | false = false;

  before(async () => {
    try {
      dir = mkdtempSync(join(tmpdir(), 'cpa-tls-'));
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
        { stdio: 'ignore' },
      );
    } catch {
      skip = 'openssl is not available to make a self-signed certificate';
      return;
    }
    const key = readFileSync(join(dir, 'key.pem'));
    const cert = readFileSync(join(dir, 'cert.pem'));
    server = await startServer((_req, res) => res.end('secure hello'), (listener) => https.createServer({ key, cert }, listener));
  });
  after(() => {
    if (dir) removeTempFolderSync(dir);
  });

  it('refuses a self-signed certificate by default, naming the host and the TLS problem', async (t) => {
    if (skip || !server) return t.skip(String(skip));
    const transport = createUndiciTransport();
    try {
      await assert.rejects(
        transport.send(get(server.url), { timeoutMs: 5000 }),
        isKind('network', (e) => /TLS/.test(e.message) && e.message.includes(`127.0.0.1:${server?.port}`) && /SELF_SIGNED|DEPTH_ZERO/.test(e.message) && !e.details.retryable),
      );
    } finally {
      await transport.close();
    }
  });

  it('accepts it with strictSsl: false (http.proxyStrictSSL off)', async (t) => {
    if (skip || !server) return t.skip(String(skip));
    const transport = createUndiciTransport({ strictSsl: false });
    try {
      const response = await transport.send(get(server.url), { timeoutMs: 5000 });
      assert.equal(await readAll(response), 'secure hello');
    } finally {
      await transport.close();
    }
  });
});

describe('networkError', () => {
  const url = 'http://gateway.example:8317/v1/responses';
  const withCode = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code });
  const cases: { name: string; err: unknown; kind: string; retryable: boolean | undefined; pattern: RegExp }[] = [
    { name: 'ECONNREFUSED', err: withCode('ECONNREFUSED'), kind: 'network', retryable: true, pattern: /gateway\.example:8317: the connection was refused/ },
    { name: 'ECONNRESET', err: withCode('ECONNRESET'), kind: 'network', retryable: true, pattern: /closed before the answer was complete \(ECONNRESET\)/ },
    { name: 'UND_ERR_SOCKET', err: withCode('UND_ERR_SOCKET', 'other side closed'), kind: 'network', retryable: true, pattern: /closed before the answer/ },
    { name: 'ENOTFOUND', err: withCode('ENOTFOUND'), kind: 'network', retryable: false, pattern: /host gateway\.example:8317 could not be found \(DNS ENOTFOUND\)/ },
    { name: 'EAI_AGAIN (temporary DNS failure)', err: withCode('EAI_AGAIN'), kind: 'network', retryable: true, pattern: /could not be found/ },
    { name: 'connect timeout', err: withCode('UND_ERR_CONNECT_TIMEOUT'), kind: 'network', retryable: true, pattern: /timed out/ },
    { name: 'code in the cause', err: new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }), kind: 'network', retryable: true, pattern: /refused/ },
    { name: 'code in an AggregateError', err: Object.assign(new AggregateError([withCode('ECONNREFUSED')], 'x'), {}), kind: 'network', retryable: true, pattern: /refused/ },
    { name: 'expired certificate', err: withCode('CERT_HAS_EXPIRED', 'certificate has expired'), kind: 'network', retryable: undefined, pattern: /TLS connection to gateway\.example:8317 failed \(CERT_HAS_EXPIRED/ },
    { name: 'wrong host name in the certificate', err: withCode('ERR_TLS_CERT_ALTNAME_INVALID'), kind: 'network', retryable: undefined, pattern: /TLS/ },
    { name: 'https to a plain HTTP server', err: withCode('EPROTO', 'wrong version number'), kind: 'network', retryable: undefined, pattern: /http:\/\/ base URL/ },
    { name: 'undici headers timeout', err: withCode('UND_ERR_HEADERS_TIMEOUT'), kind: 'timeout', retryable: undefined, pattern: /stopped answering/ },
    { name: 'proxy auth required', err: new Error('Proxy Authentication Required (407)'), kind: 'network', retryable: undefined, pattern: /proxy refused or failed/ },
    { name: 'anything else', err: new Error('weird'), kind: 'network', retryable: undefined, pattern: /request to the gateway at gateway\.example:8317 failed: weird/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const error = networkError(c.err, url);
      assert.equal(error.kind, c.kind);
      assert.equal(error.details.retryable, c.retryable);
      assert.match(error.message, c.pattern);
    });
  }
  it('passes a GatewayError through', () => {
    const original = new GatewayError('cancelled', 'x');
    assert.equal(networkError(original, url), original);
  });
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [600_000, '10 minutes'],
    [60_000, '1 minute'],
    [90_000, '1.5 minutes'],
    [30_000, '30 seconds'],
    [1000, '1 second'],
    [1500, '1.5 seconds'],
    [150, '150 ms'],
  ];
  for (const [ms, text] of cases) it(`${ms} → ${text}`, () => assert.equal(formatDuration(ms), text));
});
