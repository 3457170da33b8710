/**
 * Shared pieces of the reliability suite: settings built through the real resolution chain, a logger that
 * records every line, a clock whose retry waits return at once (but still honour an abort), a bound for
 * anything that must not hang, the built CLI run as a real process, and a walk over written files.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { resolveConfig, toGatewaySettings, type UserSettings } from '../../src/core/config/config';
import { cancelledError } from '../../src/core/errors';
import type { GatewayError } from '../../src/core/errors';
import type { Clock, GatewaySettings, Logger } from '../../src/core/types';
import { removeTempFolderSync } from '../support/removeInside';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.js');

/** The recognisable key of the key-safety tests; the other tests use it too, so any leak is visible. */
export const CANARY = 'sk-CANARY-7f3a9c1e5b';
/**
 * Every 8-character piece of the canary: a key cut in two by an excerpt or a log line is still a leak. The user
 * may see the 4-character hint `…1e5b`, which is shorter.
 */
export const CANARY_PIECES = Array.from({ length: CANARY.length - 7 }, (_, i) => CANARY.slice(i, i + 8));

/** Settings exactly as the CLI and the extension make them: env → resolveConfig → toGatewaySettings. */
export function settingsFor(baseUrl: string, user: UserSettings = {}, key: string = CANARY): GatewaySettings {
  const resolved = resolveConfig({ settings: user, env: { IMAGE_GEN_BASE_URL: baseUrl, IMAGE_GEN_KEY: key } });
  return toGatewaySettings(resolved, user);
}

/** Every line a client logs, with its level. */
export class RecordingLogger implements Logger {
  readonly lines: string[] = [];
  trace(m: string): void {
    this.lines.push(`trace ${m}`);
  }
  debug(m: string): void {
    this.lines.push(`debug ${m}`);
  }
  info(m: string): void {
    this.lines.push(`info ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
}

/** A clock whose `sleep` returns at once (recording the wait) but still rejects on an aborted signal. */
export class InstantClock implements Clock {
  readonly sleeps: number[] = [];
  #offset = 0;
  now(): number {
    return Date.now() + this.#offset;
  }
  random(): number {
    return 0.5;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(cancelledError());
    this.sleeps.push(ms);
    this.#offset += ms;
    return Promise.resolve();
  }
}

/** Settles like `promise`, or rejects after `ms` with a message naming what hung. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Everything a GatewayError shows or carries: message, details (causes included) and its full inspection. */
export function errorTexts(error: GatewayError): string[] {
  const seen = new WeakSet<object>();
  const details = JSON.stringify(error.details, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[circular]';
      seen.add(value);
    }
    if (value instanceof Error) {
      const record = value as Error & Record<string, unknown>;
      return { ...record, name: value.name, message: value.message, stack: value.stack, cause: record.cause };
    }
    return value;
  });
  return [error.message, details ?? '', inspect(error, { depth: Infinity })];
}

/** The canary pieces found in `text`, for a readable assertion message. */
export function canaryIn(text: string): string[] {
  return CANARY_PIECES.filter((piece) => text.includes(piece));
}

export function assertNoCanary(where: string, texts: readonly string[]): void {
  for (const text of texts) {
    const found = canaryIn(text);
    const at = text.indexOf(found[0] ?? '');
    assert.deepEqual(found, [], `the key leaked into ${where}: …${text.slice(Math.max(0, at - 80), at + 80)}…`);
  }
}

/** Builds dist/cli.js (once per test file: each file runs in its own process). */
export function buildCli(): void {
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
  assert.ok(existsSync(CLI), 'dist/cli.js was built');
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli.js` with a clean environment (PATH, HOME, the gateway variables and `env`); the run is
 * killed after `killAfterMs`, which then fails the caller's assertions on the exit code.
 */
export function runCliProcess(
  args: readonly string[],
  options: { cwd: string; home: string; env?: Record<string, string>; killAfterMs?: number },
): Promise<CliRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.home, ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `jobs` with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, job: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await job(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Every file below `dir` (hidden ones too), as paths relative to it; [] when `dir` does not exist. */
export async function filesBelow(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/** The contents of every file below `dir`, as latin1 text (so any byte sequence of the key shows). */
export async function contentsBelow(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const file of await filesBelow(dir)) out.push({ file, text: (await readFile(join(dir, file))).toString('latin1') });
  return out;
}

export interface TlsRelay {
  /** `https://127.0.0.1:PORT`, served with a fresh self-signed certificate. */
  url: string;
  close(): Promise<void>;
}

/**
 * An HTTPS server on 127.0.0.1 with a self-signed certificate made by openssl (an EC key: instant), relaying
 * every request to `upstream` (a gateway base URL), so a client that accepts the certificate gets a real answer.
 */
export async function startTlsRelay(upstream: string): Promise<TlsRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'cpa-rel-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { stdio: 'pipe' },
  );
  const server = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
    const relay = httpRequest(`${upstream}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    relay.on('error', () => res.destroy());
    req.pipe(relay);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      removeTempFolderSync(dir);
    },
  };
}
