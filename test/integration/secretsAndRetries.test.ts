/**
 * Issue 9, items 8 and 9, through the built `dist/cli.js` against the loopback test gateway:
 * a base URL with `user:password@` is shown as `user:***@` and the key, echoed back by the gateway in every form
 * (as is, upper case, percent-encoded, `\uXXXX`-escaped in the raw JSON), never reaches stdout or stderr (item 8);
 * one budget of attempts for all retries, counted at the gateway, and the final line says how many were made (item 9).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestGateway, type TestGateway } from '../gateway/server';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
/** A key whose percent-encoded and JSON-escaped forms differ from it: + / = " \ &. */
const KEY = 'sk-Pa55+w/rd="q"\\Z&9';
const PASSWORD = 'hunter2-S3cret';
const PREFIX = 'cpa-gpt-image: ';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function runCli(args: string[], cwd: string, home: string, baseUrl: string): Promise<Run> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, IMAGE_GEN_BASE_URL: baseUrl, IMAGE_GEN_KEY: KEY };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8') }));
  });
}

function errorLine(run: Run): string {
  const last = run.err.trimEnd().split('\n').at(-1) ?? '';
  assert.ok(last.startsWith(PREFIX), `the last line is the error:\n${run.err}`);
  return last.slice(PREFIX.length);
}

/** `http://127.0.0.1:PORT/s/…` → `http://user:<password>@127.0.0.1:PORT/s/…`. */
function withCredentials(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

/** Every form in which the key could leak, each cut into 8-character pieces compared case-insensitively. */
function keyPieces(key: string): string[] {
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const forms = [
    key,
    encodeURIComponent(key),
    Array.from(Buffer.from(key), (b) => `%${hex(b, 2)}`).join(''),
    JSON.stringify(key).slice(1, -1),
    key.split('').map((c) => `\\u${hex(c.charCodeAt(0), 4)}`).join(''),
    // What the terminal escaping would make of a JSON escape (a backslash stays one).
  ];
  const pieces = new Set<string>();
  for (const form of forms) for (let i = 0; i + 8 <= form.length; i++) pieces.add(form.slice(i, i + 8).toLowerCase());
  return [...pieces];
}

function assertNoSecret(where: string, text: string): void {
  const lower = text.toLowerCase();
  assert.ok(!lower.includes(PASSWORD.toLowerCase()), `${where} holds the URL's password:\n${text}`);
  assert.ok(!lower.includes(encodeURIComponent(PASSWORD).toLowerCase()), `${where} holds the URL's password, encoded`);
  const leaked = keyPieces(KEY).filter((piece) => lower.includes(piece));
  assert.deepEqual(leaked, [], `${where} holds pieces of the key:\n${text}`);
}

describe('secrets in logs (issue 9, item 8): the CLI with --verbose', () => {
  let gw: TestGateway;
  let scratch: string;
  let home: string;

  before(async () => {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    assert.ok(existsSync(CLI));
    gw = await startTestGateway();
    scratch = await mkdtemp(join(tmpdir(), 'cpa-h9-secrets-'));
    home = await mkdtemp(join(tmpdir(), 'cpa-h9-home-'));
  });
  after(async () => {
    await gw.close();
    await rm(scratch, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  for (const stream of [false, true]) {
    it(`a credentialed base URL and a gateway that echoes the key in every form (${stream ? 'stream' : 'non-stream'}): user:***@, and no password or key form on stdout or stderr`, async () => {
      const cwd = await mkdtemp(join(scratch, 'run-'));
      const u = gw.scenarioUrl('auth-key-echo');
      const run = await runCli(['--verbose', '--prompt', 'a squirrel', '--output', 'out/x.png', ...(stream ? ['--stream'] : [])], cwd, home, withCredentials(u, 'alice', PASSWORD));
      assert.equal(run.code, 1, run.err);
      // The gateway really got the request and echoed the key (the scenario quotes it in five forms, twice as is).
      const requests = gw.requestsFor(u);
      assert.equal(requests.length, 1);
      assert.equal(requests[0]?.headers.authorization, `Bearer ${KEY}`);
      // The request lines and the resolved configuration show the user and *** for the password.
      assert.match(run.err, /\[info\] POST http:\/\/alice:\*\*\*@127\.0\.0\.1:\d+\/s\/auth-key-echo\/[^ ]+\/v1\/responses \(attempt 1/);
      assert.match(run.err, /\[info\] Base URL: http:\/\/alice:\*\*\*@127\.0\.0\.1/);
      // Every form the gateway sent is redacted: the key shows only as [REDACTED], six times and more.
      const line = errorLine(run);
      assert.match(line, /rejected the API key/);
      assert.ok((line.match(/\[REDACTED\]/g) ?? []).length >= 6, line);
      assertNoSecret('stderr', run.err);
      assertNoSecret('stdout', run.out);
      assert.deepEqual(await readdir(cwd), [], 'nothing written');
    });
  }
});

describe('one budget for all retries (issue 9, item 9): the CLI', () => {
  let gw: TestGateway;
  let scratch: string;
  let home: string;

  before(async () => {
    if (!existsSync(CLI)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    gw = await startTestGateway({ expectedKey: KEY });
    scratch = await mkdtemp(join(tmpdir(), 'cpa-h9-budget-'));
    home = await mkdtemp(join(tmpdir(), 'cpa-h9-home-'));
  });
  after(async () => {
    await gw.close();
    await rm(scratch, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  for (const stream of [false, true]) {
    it(`retry-mix-forever (429, 503, text in turn, ${stream ? 'stream' : 'non-stream'}): 5 requests by default, and the error line says so`, async () => {
      const cwd = await mkdtemp(join(scratch, 'run-'));
      const u = gw.scenarioUrl('retry-mix-forever');
      const run = await runCli(['--prompt', 'a squirrel', '--output', 'out/x.png', ...(stream ? ['--stream'] : [])], cwd, home, u);
      assert.equal(run.code, 1, run.err);
      assert.equal(gw.requestsFor(u).length, 5, 'the gateway got 5 requests, not 9');
      assert.match(errorLine(run), /^Stopped after 5 attempts: The gateway failed .*No more attempts: 5 is the limit for one generation \(maxAttempts\)\.$/);
      assert.deepEqual(await readdir(cwd), [], 'nothing written');
    });
  }

  for (const n of [1, 3]) {
    it(`--max-attempts ${n}: ${n} request(s) at the gateway`, async () => {
      const cwd = await mkdtemp(join(scratch, 'run-'));
      const u = gw.scenarioUrl('retry-mix-forever');
      const run = await runCli(['--prompt', 'x', '--output', 'out/x.png', '--max-attempts', String(n)], cwd, home, u);
      assert.equal(run.code, 1, run.err);
      assert.equal(gw.requestsFor(u).length, n);
      assert.match(errorLine(run), new RegExp(`^Stopped after ${n} attempts?: .*No more attempts: ${n} is the limit`));
    });
  }

  for (const bad of ['0', '21', 'two']) {
    it(`--max-attempts ${bad}: a usage error, no request`, async () => {
      const cwd = await mkdtemp(join(scratch, 'run-'));
      const u = gw.scenarioUrl('retry-mix-forever');
      const run = await runCli(['--prompt', 'x', '--max-attempts', bad], cwd, home, u);
      assert.equal(run.code, 2, run.err);
      assert.match(errorLine(run), /--max-attempts/);
      assert.equal(gw.requestsFor(u).length, 0);
    });
  }

  it('--total-timeout 1 on a gateway that never answers: the attempt is cut at the overall limit, and the line names it', async () => {
    const cwd = await mkdtemp(join(scratch, 'run-'));
    const u = gw.scenarioUrl('hang');
    const run = await runCli(['--prompt', 'x', '--output', 'out/x.png', '--total-timeout', '1'], cwd, home, u);
    assert.equal(run.code, 1, run.err);
    assert.equal(gw.requestsFor(u).length, 1);
    assert.match(errorLine(run), /^Stopped after 1 attempt: The image was not finished within the overall limit of 1 second for one generation: raise totalTimeoutSeconds/);
    assert.match(errorLine(run), /^(?!.*timeoutSeconds\)).*$/);
  });

  it('--total-timeout needs a number of seconds', async () => {
    const cwd = await mkdtemp(join(scratch, 'run-'));
    const run = await runCli(['--prompt', 'x', '--total-timeout', '0'], cwd, home, gw.baseUrl);
    assert.equal(run.code, 2);
    assert.match(errorLine(run), /--total-timeout needs a number of seconds greater than 0/);
  });

  it('--partial-images 3 against a gateway numbering its 5 previews from 1505: progress shows 1/3, 2/3, 3/3 and nothing past it', async () => {
    const cwd = await mkdtemp(join(scratch, 'run-'));
    const u = gw.scenarioUrl('partial-images', { partial: 5, indexFrom: 1505 });
    const run = await runCli(['--prompt', 'x', '--output', 'out/x.png', '--partial-images', '3'], cwd, home, u);
    assert.equal(run.code, 0, run.err);
    const shown = [...run.err.matchAll(/partial image (\d+)\/(\d+)/g)].map((m) => `${m[1]}/${m[2]}`);
    assert.deepEqual(shown, ['1/3', '2/3', '3/3']);
  });

  it('--help documents --max-attempts and --total-timeout', async () => {
    const cwd = await mkdtemp(join(scratch, 'run-'));
    const run = await runCli(['--help'], cwd, home, gw.baseUrl);
    assert.equal(run.code, 0);
    assert.match(run.out, /--max-attempts <n> +requests in all for one image, whatever made them retry.*\n.*\(1-20, default 5\)/);
    assert.match(run.out, /--total-timeout <seconds> +time for one image in all, attempts and waits \(default 900\)/);
  });
});
