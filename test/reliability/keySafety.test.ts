/**
 * Key safety: the canary key `sk-CANARY-7f3a9c1e5b` goes through every scenario of the test gateway, the network
 * faults, and a hostile gateway that echoes the key into every text it sends (ids, revised prompts, streamed words
 * split across events, error messages placed so that an excerpt would cut the key in two, HTML titles, redirect
 * targets). Through the client, nothing observable may hold any 8-character piece of it: log lines, error
 * messages, error details (causes included), progress events, the returned image's texts. Through the built CLI
 * with --verbose: stdout, stderr and every file under the working folder. A redirect is never followed.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ImageClient } from '../../src/core/gateway/client';
import { GatewayError } from '../../src/core/errors';
import type { UserSettings } from '../../src/core/config/config';
import type { GeneratedImage, ProgressEvent } from '../../src/core/types';
import { tinyPng } from '../gateway/images';
import { startTestGateway, type TestGateway } from '../gateway/server';
import { modes, scenarioTable } from './scenarioTable';
import {
  CANARY,
  InstantClock,
  RecordingLogger,
  assertNoCanary,
  buildCli,
  contentsBelow,
  errorTexts,
  pool,
  runCliProcess,
  settingsFor,
  startTlsRelay,
  within,
  type CliRun,
  type TlsRelay,
} from './support';
import { removeTempFolder } from '../support/removeInside';

// ---------------------------------------------------------------------------------------------
// A hostile gateway that echoes the key it receives into everything it sends.

type EchoMode =
  | 'stream-everywhere'
  | 'json-everywhere'
  | 'text-only-stream'
  | 'text-only-json'
  | 'error-event-long'
  | 'http-error-long'
  | 'html-title'
  | 'not-image-text'
  | 'not-base64'
  | 'truncated-json'
  | 'redirect'
  | 'event-name'
  | 'images-stream-everywhere'
  | 'images-json-everywhere'
  | 'images-error-event-long'
  | 'images-empty-data';

const echoModes: { mode: EchoMode; expect: 'image' | GatewayError['kind'] }[] = [
  { mode: 'stream-everywhere', expect: 'image' },
  { mode: 'json-everywhere', expect: 'image' },
  { mode: 'text-only-stream', expect: 'no_image' },
  { mode: 'text-only-json', expect: 'no_image' },
  { mode: 'error-event-long', expect: 'server' },
  { mode: 'http-error-long', expect: 'bad_request' },
  { mode: 'html-title', expect: 'server' },
  { mode: 'not-image-text', expect: 'not_image' },
  { mode: 'not-base64', expect: 'not_image' },
  { mode: 'truncated-json', expect: 'protocol' },
  { mode: 'redirect', expect: 'config' },
  { mode: 'event-name', expect: 'image' },
  // The Images route (issue 14): its previews, completed event, JSON body, error event and empty answer.
  { mode: 'images-stream-everywhere', expect: 'image' },
  { mode: 'images-json-everywhere', expect: 'image' },
  { mode: 'images-error-event-long', expect: 'server' },
  { mode: 'images-empty-data', expect: 'no_image' },
];

/**
 * `text` with the key placed across character `cut` (where an excerpt or a quote stops), 12 of its characters
 * before the cut: a redaction applied after the cut would no longer recognise the key, and leak those 12.
 */
function straddling(key: string, cut: number, filler = 'x'): string {
  return `${filler.repeat(cut - 12)}${key} and more words after it`;
}

/** Pieces of 3 characters: the key is split over several events. */
function pieces(text: string): string[] {
  return text.match(/[\s\S]{1,3}/g) ?? [];
}

function sse(res: ServerResponse, events: { event?: string; data: string }[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const e of events) res.write(`${e.event !== undefined ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`);
  res.end();
}

function echo(mode: EchoMode, key: string, res: ServerResponse): void {
  const image = (extra: Record<string, unknown> = {}) => ({
    type: 'image_generation_call',
    status: 'completed',
    result: tinyPng.toString('base64'),
    revised_prompt: `A squirrel, as ${key} asked`,
    size: `1x1 ${key}`,
    ...extra,
  });
  const said = `The key you sent is ${key}, thanks.`;
  switch (mode) {
    case 'stream-everywhere':
    case 'event-name': {
      const events: { event?: string; data: string }[] = [
        { event: 'response.created', data: JSON.stringify({ type: 'response.created', response: { id: `resp_${key}`, status: 'in_progress' } }) },
      ];
      if (mode === 'event-name') events.push({ event: key, data: `not json ${key}` });
      for (const delta of pieces(said)) events.push({ data: JSON.stringify({ type: 'response.output_text.delta', delta }) });
      events.push({ data: JSON.stringify({ type: 'response.image_generation_call.partial_image', partial_image_b64: `${key}!!`, partial_image_index: 0 }) });
      events.push({ data: JSON.stringify({ type: 'response.output_item.done', item: image() }) });
      events.push({ data: JSON.stringify({ type: 'response.completed', response: { id: `resp_${key}`, status: 'completed', output: [] } }) });
      return sse(res, events);
    }
    case 'json-everywhere': {
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': key });
      res.end(JSON.stringify({ id: `resp_${key}`, status: 'completed', output: [image(), { type: 'message', content: [{ type: 'output_text', text: said }] }] }));
      return;
    }
    case 'text-only-stream': {
      const text = straddling(key, 500);
      const events = pieces(text).map((delta) => ({ data: JSON.stringify({ type: 'response.output_text.delta', delta }) }));
      events.push({ data: JSON.stringify({ type: 'response.completed', response: { status: 'completed', tools: [], output: [] } }) });
      return sse(res, events);
    }
    case 'text-only-json': {
      res.writeHead(200, { 'content-type': 'application/json' });
      const text = straddling(key, 500);
      res.end(JSON.stringify({ status: 'completed', tools: [], output: [{ type: 'message', content: [{ type: 'output_text', text }] }] }));
      return;
    }
    case 'error-event-long':
      return sse(res, [{ event: 'error', data: JSON.stringify({ type: 'error', code: `weird_${key}`, message: straddling(key, 300, 'y') }) }]);
    case 'http-error-long': {
      res.writeHead(400, { 'content-type': 'application/json', 'retry-after': key, 'x-echo': key });
      res.end(JSON.stringify({ error: { message: straddling(key, 300, 'z'), type: 'invalid_request_error', param: key, code: key } }));
      return;
    }
    case 'html-title': {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(`<html><head><title>Denied for ${key}</title></head><body><h1>${key}</h1>${straddling(key, 200)}</body></html>`);
      return;
    }
    case 'not-image-text': {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ output: [image({ result: Buffer.from(straddling(key, 80, 'q')).toString('base64') })] }));
      return;
    }
    case 'not-base64': {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ output: [image({ result: straddling(key, 80, '~') })] }));
      return;
    }
    case 'truncated-json': {
      res.writeHead(200, { 'content-type': 'application/json' });
      const start = '{"output":[{"type":"message","text":"';
      res.end(`${start}${straddling(key, 200 - start.length)}`);
      return;
    }
    case 'images-stream-everywhere': {
      const events: { event?: string; data: string }[] = [{ event: key, data: `not json ${key}` }];
      events.push({ event: 'image_generation.partial_image', data: JSON.stringify({ type: 'image_generation.partial_image', b64_json: `${key}!!`, partial_image_index: key }) });
      events.push({
        event: 'image_generation.completed',
        data: JSON.stringify({ type: 'image_generation.completed', b64_json: tinyPng.toString('base64'), revised_prompt: `A squirrel, as ${key} asked`, usage: { total_tokens: key } }),
      });
      return sse(res, events);
    }
    case 'images-json-everywhere': {
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': key });
      res.end(JSON.stringify({ created: key, size: `1x1 ${key}`, data: [{ b64_json: tinyPng.toString('base64'), revised_prompt: `A squirrel, as ${key} asked` }], usage: { note: key } }));
      return;
    }
    case 'images-error-event-long':
      return sse(res, [{ event: 'error', data: JSON.stringify({ error: { type: `weird_${key}`, code: `weird_${key}`, message: straddling(key, 300, 'y'), param: key } }) }]);
    case 'images-empty-data': {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ created: 1, data: [], note: straddling(key, 200, 'w') }));
      return;
    }
    case 'redirect': {
      res.writeHead(307, { location: `http://127.0.0.2:9/steal?key=${key}`, 'content-type': 'text/plain' });
      res.end(`Moved to http://127.0.0.2:9/steal?key=${key}`);
      return;
    }
  }
}

interface EchoServer {
  url(mode: EchoMode): string;
  /** The keys it received, to prove the echo had something to echo. */
  received: string[];
  close(): Promise<void>;
}

async function startEchoServer(): Promise<EchoServer> {
  const received: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const key = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      received.push(key);
      const mode = /^\/echo\/([\w-]+)\//.exec(req.url ?? '')?.[1] as EchoMode | undefined;
      if (!mode || !echoModes.some((m) => m.mode === mode)) {
        res.writeHead(404).end();
        return;
      }
      echo(mode, key, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (mode) => `${base}/echo/${mode}`,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Through the client.

/** Everything a caller of the client can see or store from one generation. */
function observable(result: { image?: GeneratedImage; error?: GatewayError; events: ProgressEvent[]; logger: RecordingLogger }): string[] {
  const texts = [...result.logger.lines];
  for (const event of result.events) texts.push(JSON.stringify(event.type === 'partialImage' ? { ...event, bytes: Buffer.from(event.bytes).toString('latin1') } : event));
  // The model's streamed words, as a preview would show them: a key split over events would show here.
  texts.push(result.events.map((e) => (e.type === 'text' ? e.text : '')).join(''));
  if (result.error) texts.push(...errorTexts(result.error));
  if (result.image) {
    const { bytes, ...rest } = result.image;
    texts.push(JSON.stringify(rest), inspect(rest), Buffer.from(bytes).toString('latin1'));
  }
  return texts;
}

async function clientRun(baseUrl: string, user: UserSettings) {
  const logger = new RecordingLogger();
  const client = new ImageClient({ clock: new InstantClock(), logger });
  const events: ProgressEvent[] = [];
  const result: { image?: GeneratedImage; error?: GatewayError; events: ProgressEvent[]; logger: RecordingLogger } = { events, logger };
  try {
    result.image = await within(15_000, `generate(${baseUrl})`, client.generate(settingsFor(baseUrl, user, CANARY), { prompt: 'a cute squirrel' }, { onProgress: (e) => events.push(e) }));
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    result.error = err;
  } finally {
    await client.close();
  }
  return result;
}

describe('key safety through the client', () => {
  let gw: TestGateway;
  let echoServer: EchoServer;
  let tls: TlsRelay;
  before(async () => {
    gw = await startTestGateway({ expectedKey: CANARY });
    echoServer = await startEchoServer();
    tls = await startTlsRelay(gw.baseUrl);
  });
  after(async () => {
    await tls.close();
    await echoServer.close();
    await gw.close();
  });

  for (const mode of modes) {
    it(`every gateway scenario (${mode.label}): no piece of the key in logs, errors, details, progress or the image's texts`, async () => {
      for (const row of scenarioTable) {
        const url = gw.scenarioUrl(row.scenario, row.params);
        const result = await clientRun(url, { ...row.settings, stream: mode.stream });
        const expected = mode.pick(row);
        assert.equal(result.error?.kind, 'error' in expected ? expected.error : undefined, `${row.scenario}: ${result.error?.message}`);
        assertNoCanary(`${row.scenario} (${mode.label})`, observable(result));
        const sent = gw.requestsFor(url);
        // A configuration refused before the request (transparent-jpeg) sends nothing, by design; every other must reach.
        const refusedBefore = 'error' in expected && expected.requests === 0;
        assert.ok(sent.length > 0 || refusedBefore, `${row.scenario}: the request reached the gateway`);
        for (const r of sent) assert.equal(r.headers.authorization, `Bearer ${CANARY}`, 'the key was really sent (to the gateway only)');
      }
      assert.equal(gw.redirectedRequests.length, 0, 'no request followed the redirect to the other origin');
    });
  }

  it('every gateway scenario through checkConnection: no piece of the key in logs or errors', async () => {
    for (const row of scenarioTable) {
      const logger = new RecordingLogger();
      const client = new ImageClient({ logger });
      try {
        await within(10_000, 'checkConnection', client.checkConnection(settingsFor(gw.scenarioUrl(row.scenario), { timeoutSeconds: 0.3 })));
      } catch (err) {
        assert.ok(err instanceof GatewayError, String(err));
        assertNoCanary(`checkConnection ${row.scenario}`, errorTexts(err));
      } finally {
        await client.close();
      }
      assertNoCanary(`checkConnection ${row.scenario} log`, logger.lines);
    }
    assert.equal(gw.redirectedRequests.length, 0);
  });

  it('network faults (refused, DNS, self-signed TLS, https to an http port): no piece of the key anywhere', async () => {
    const refused = createServer();
    refused.listen(0, '127.0.0.1');
    await once(refused, 'listening');
    const port = (refused.address() as AddressInfo).port;
    await new Promise<void>((resolve) => refused.close(() => resolve()));
    for (const url of [`http://127.0.0.1:${port}`, 'http://cpa-gateway.invalid:8317', tls.url, gw.baseUrl.replace('http:', 'https:')]) {
      const result = await clientRun(url, {});
      assert.equal(result.error?.kind, 'network', `${url}: ${result.error?.message}`);
      assertNoCanary(url, observable(result));
    }
  });

  for (const { mode, expect } of echoModes) {
    it(`a gateway that echoes the key (${mode}): ${expect === 'image' ? 'the image' : expect}, and the key only as [REDACTED]`, async () => {
      const before = echoServer.received.length;
      const result = await clientRun(echoServer.url(mode), { stream: mode.includes('stream'), ...(mode.startsWith('images-') ? { api: 'images' } : {}) });
      assert.equal(echoServer.received[before], CANARY, 'the echo server got the key to echo');
      if (expect === 'image') {
        assert.equal(result.error, undefined, result.error?.message);
        assert.deepEqual(Buffer.from(result.image!.bytes), tinyPng);
        if (mode !== 'event-name') {
          assert.match(result.image!.revisedPrompt ?? '', /\[REDACTED\]/, 'the echo reached the revised prompt, redacted');
        }
      } else {
        assert.equal(result.error?.kind, expect, result.error?.message);
      }
      assertNoCanary(`echo ${mode}`, observable(result));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Through the built CLI.

describe('key safety through the CLI (node dist/cli.js --verbose)', () => {
  let gw: TestGateway;
  let echoServer: EchoServer;
  let tls: TlsRelay;
  let scratch: string;
  let home: string;

  before(async () => {
    buildCli();
    gw = await startTestGateway({ expectedKey: CANARY });
    echoServer = await startEchoServer();
    tls = await startTlsRelay(gw.baseUrl);
    scratch = await mkdtemp(join(tmpdir(), 'cpa-rel-key-'));
    home = await mkdtemp(join(tmpdir(), 'cpa-rel-home-'));
  });
  after(async () => {
    await tls.close();
    await echoServer.close();
    await gw.close();
    await removeTempFolder(scratch);
    await removeTempFolder(home);
  });

  interface Job {
    label: string;
    baseUrl: string;
    args: string[];
    /** 0 for a run that must save the image, 1 for one that must fail. */
    exit: 0 | 1;
  }

  let runs = 0;
  async function runJob(job: Job): Promise<{ job: Job; run: CliRun; files: { file: string; text: string }[] }> {
    runs += 1;
    const cwd = join(scratch, `run${runs}`);
    await mkdir(cwd, { recursive: true });
    const run = await runCliProcess(['--verbose', '--prompt', 'a cute squirrel', '--output', 'out/squirrel.png', ...job.args], {
      cwd,
      home,
      env: { IMAGE_GEN_BASE_URL: job.baseUrl, IMAGE_GEN_KEY: CANARY },
      killAfterMs: 60_000,
    });
    return { job, run, files: await contentsBelow(cwd) };
  }

  function check(results: Awaited<ReturnType<typeof runJob>>[]): void {
    for (const { job, run, files } of results) {
      assert.equal(run.code, job.exit, `${job.label}: exit ${run.code} (${run.signal ?? 'no signal'})\n${run.stderr.slice(-600)}`);
      assertNoCanary(`${job.label} stdout`, [run.stdout]);
      assertNoCanary(`${job.label} stderr`, [run.stderr]);
      for (const { file, text } of files) assertNoCanary(`${job.label} file ${file}`, [text]);
      if (job.exit === 1) assert.deepEqual(files.map((f) => f.file), [], `${job.label}: a failed run writes nothing`);
      else assert.deepEqual(files.map((f) => f.file).filter((f) => !f.startsWith('out/squirrel.')), [], `${job.label}: only the image`);
    }
  }

  it('every failing gateway scenario in both modes (and ok), and the network faults: no piece of the key on stdout, stderr or in any file', { timeout: 100_000 }, async () => {
    const jobs: Job[] = [];
    for (const row of scenarioTable) {
      for (const mode of modes) {
        const expected = mode.pick(row);
        // Successful scenarios are covered through the client above; here the failures, plus `ok` for the saved file.
        if (!('error' in expected) && row.scenario !== 'ok') continue;
        // The CLI has no size-cap flag: `huge` is checked with its default 64 MiB cap against a 70 MiB answer.
        // The flood rows are about size, not the key: 1 MiB of them is enough here (memoryBound.test.ts sends 400 MiB).
        const params = row.scenario === 'huge' ? undefined : row.scenario.startsWith('flood-') ? { bytes: 1024 * 1024 } : row.params;
        const args = [
          ...(mode.stream ? ['--stream'] : []),
          ...(row.settings?.timeoutSeconds ? ['--timeout', String(row.settings.timeoutSeconds)] : []),
          ...(row.settings?.background ? ['--background', row.settings.background] : []),
          ...(row.settings?.outputFormat ? ['--format', row.settings.outputFormat] : []),
          // The Images route's rows (issue 14) run on that route here too, with their previews.
          ...(row.settings?.api ? ['--api', row.settings.api] : []),
          ...(row.settings?.partialImages && mode.stream ? ['--partial-images', String(row.settings.partialImages)] : []),
        ];
        jobs.push({ label: `${row.scenario} (${mode.label})`, baseUrl: gw.scenarioUrl(row.scenario, params), args, exit: 'error' in expected ? 1 : 0 });
      }
    }
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    jobs.push({ label: 'connection refused', baseUrl: `http://127.0.0.1:${port}`, args: [], exit: 1 });
    jobs.push({ label: 'DNS failure', baseUrl: 'http://cpa-gateway.invalid:8317', args: [], exit: 1 });
    jobs.push({ label: 'self-signed TLS', baseUrl: tls.url, args: [], exit: 1 });
    // Retries wait for real in the CLI (up to ~9 s of backoff), so the runs overlap.
    const results = await pool(jobs, 16, runJob);
    check(results);
    assert.equal(gw.redirectedRequests.length, 0, 'the CLI never followed the redirect');
  });

  it('a gateway that echoes the key everywhere: the CLI shows it only as [REDACTED]', { timeout: 60_000 }, async () => {
    const jobs: Job[] = echoModes.map(({ mode, expect }) => ({
      label: `echo ${mode}`,
      baseUrl: echoServer.url(mode),
      args: [...(mode.includes('stream') ? ['--stream'] : []), ...(mode.startsWith('images-') ? ['--api', 'images'] : [])],
      exit: expect === 'image' ? 0 : 1,
    }));
    const results = await pool(jobs, 12, runJob);
    check(results);
    const everywhere = results.find((r) => r.job.label === 'echo stream-everywhere');
    assert.match(everywhere?.run.stderr ?? '', /Revised prompt: A squirrel, as \[REDACTED\] asked/, 'the echo reached the verbose log, redacted');
  });
});
