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
