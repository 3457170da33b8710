/**
 * The built command-line tool (`node dist/cli.js`, bundled by esbuild in `before`) against the test
 * gateway: exit codes, stdout, the file written (bytes equal to what was served), the single error
 * line on stderr, nothing left behind on failure, and the key never printed. HOME is an empty temp
 * folder so no real OpenClaw configuration is read. Retry waits here are real, so only scenarios
 * with short delays are used; the long ones are covered through the client with a fake clock.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PNG_SIGNATURE, tinyJpeg, tinyPng } from '../gateway/images';
import { CONTENT_POLICY_MESSAGE, FORBIDDEN_MESSAGE, TOOL_CHOICE_MESSAGE } from '../gateway/scenarios';
import { startTestGateway, type ScenarioName, type TestGateway } from '../gateway/server';
import { withoutProvenance } from '../gateway/inspect';
import { removeInside, removeTempFolder } from '../support/removeInside';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const KEY = 'sk-test-CANARY-1234';
const SYSTEM_NODE = '/usr/bin/node';
const PREFIX = 'cpa-gpt-image: ';
/** A CLI that ignored a signal or a timeout fails its test instead of hanging the run. */
const BOUNDED = { timeout: 30_000 };

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface CliOptions {
  baseUrl?: string;
  env?: Record<string, string | undefined>;
  cwd: string;
  home: string;
  node?: string;
  onStart?: (child: ChildProcess) => void;
}

/** Runs the CLI with a clean environment: only PATH, HOME and the gateway variables. */
function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.home };
  if (options.baseUrl !== undefined) env.IMAGE_GEN_BASE_URL = options.baseUrl;
  env.IMAGE_GEN_KEY = KEY;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(options.node ?? process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // Whatever happened, the key is never printed.
      assert.ok(!stdout.includes(KEY), `key on stdout: ${stdout}`);
      assert.ok(!stderr.includes(KEY), `key on stderr: ${stderr}`);
      resolvePromise({ code, signal, stdout, stderr });
    });
    options.onStart?.(child);
  });
}

/**
 * The one `cpa-gpt-image: …` line a failure prints: exactly one such line, and it is the last one
 * (progress lines may precede it while streaming; without --stream nothing else is printed).
 */
function errorLine(run: CliRun): string {
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  const errors = lines.filter((l) => l.startsWith(PREFIX));
  assert.equal(errors.length, 1, `exactly one error line, got:\n${run.stderr}`);
  assert.equal(lines.at(-1), errors[0], `the error is the last line, got:\n${run.stderr}`);
  assert.ok(lines.every((l) => l === errors[0] || /^\[\d+\.\d+s\] /.test(l)), `only progress lines besides it:\n${run.stderr}`);
  return errors[0]!.slice(PREFIX.length);
}

/** Files (including hidden temp files) in `dir`; [] when it does not exist. */
async function filesIn(dir: string): Promise<string[]> {
  return existsSync(dir) ? readdir(dir) : [];
}

describe('cpa-gpt-image CLI (dist/cli.js) against the test gateway', () => {
  let gw: TestGateway;
  let scratch: string;
  let home: string;
  let counter = 0;

  /** A fresh, empty working folder per test; the output goes to `<cwd>/out/…`, which does not exist yet. */
  async function workDir(): Promise<string> {
    counter += 1;
    const dir = join(scratch, `w${counter}`);
    await removeInside(scratch, `w${counter}`, { recursive: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    return dir;
  }

  before(async () => {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    assert.ok(existsSync(CLI), 'dist/cli.js was built');
    gw = await startTestGateway({ expectedKey: KEY });
    scratch = await mkdtemp(join(tmpdir(), 'cpa-cli-test-'));
    home = await mkdtemp(join(tmpdir(), 'cpa-cli-home-'));
  });

  after(async () => {
    await gw.close();
    await removeTempFolder(scratch);
    await removeTempFolder(home);
  });

  async function success(name: ScenarioName, extraArgs: string[], options: { params?: Record<string, string | number>; node?: string } = {}) {
    const cwd = await workDir();
    const u = gw.scenarioUrl(name, options.params);
    const run = await runCli(['--prompt', 'a cute squirrel', '--output', 'out/squirrel.png', ...extraArgs], {
      baseUrl: u,
      cwd,
      home,
      ...(options.node ? { node: options.node } : {}),
    });
    return { run, cwd, u };
  }

  describe('success', () => {
    for (const stream of [false, true]) {
      const label = stream ? 'stream' : 'non-stream';
      it(`${label}: exit 0, prints the path, creates the folder, writes exactly the served PNG`, async () => {
        const { run, cwd, u } = await success('ok', stream ? ['--stream'] : []);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(resolve(cwd, run.stdout.trim()), join(cwd, 'out', 'squirrel.png'));
        assert.equal(run.stdout.split('\n').filter(Boolean).length, 1);
        if (stream) assert.match(run.stderr, /^\[\d+\.\d+s\] connecting…$/m, 'progress lines while streaming');
        else assert.equal(run.stderr, '', 'quiet when not streaming and stderr is not a terminal');
        const bytes = await readFile(join(cwd, 'out', 'squirrel.png'));
        assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE);
        assert.deepEqual(withoutProvenance(bytes), tinyPng);
        assert.deepEqual(await filesIn(join(cwd, 'out')), ['squirrel.png'], 'no temp file left');
        const [request] = gw.requestsFor(u);
        assert.equal(request!.headers.authorization, `Bearer ${KEY}`);
        assert.deepEqual(request!.json, {
          model: 'gpt-5.4',
          input: 'a cute squirrel',
          tools: [{ type: 'image_generation', output_format: 'png' }],
          instructions: 'you are a helpful assistant',
          tool_choice: 'auto',
          stream,
          store: false,
        });
        assert.equal(request!.headers.originator, 'codex_cli_rs');
        assert.equal(request!.headers.version, '0.122.0');
        assert.equal(request!.headers.session_id, 'test-session');
        if (stream) assert.equal(request!.headers.accept, 'text/event-stream');
      });

      it(`${label}: a large incompressible image is written byte for byte`, async () => {
        const params = { width: 1024, height: 1024, noise: 1 };
        const { run, cwd, u } = await success('ok', stream ? ['--stream'] : [], { params });
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'squirrel.png'))), gw.imageFor(u));
      });

      it(`${label}: a JPEG reply to --output x.png is written as x.jpg`, async () => {
        const { run, cwd } = await success('jpeg-instead', stream ? ['--stream'] : []);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(resolve(cwd, run.stdout.trim()), join(cwd, 'out', 'squirrel.jpg'));
        assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'squirrel.jpg'))), tinyJpeg);
        assert.deepEqual(await filesIn(join(cwd, 'out')), ['squirrel.jpg']);
      });

      it(`${label}: the gateway's quirks (split chunks, generating status, keep-alives, CRLF) still give the file`, async () => {
        for (const name of ['split-chunks', 'generating-status', 'keepalive', 'crlf', 'blank-lines-before-body'] as const) {
          const { run, cwd } = await success(name, stream ? ['--stream'] : []);
          assert.equal(run.code, 0, `${name}: ${run.stderr}`);
          assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'squirrel.png'))), tinyPng, name);
        }
      });

      it(`${label}: short rate limits and a text fallback are waited out for real`, async () => {
        for (const name of ['rate-limit-retry-after-ms', 'rate-limit-retry-after', 'tools-empty-once'] as const) {
          const { run, cwd, u } = await success(name, stream ? ['--stream'] : []);
          assert.equal(run.code, 0, `${name}: ${run.stderr}`);
          assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'squirrel.png'))), tinyPng);
          assert.equal(gw.requestsFor(u).length, 2, name);
        }
      });
    }

    it('--partial-images, --model, --size, --quality, --background reach the request; partials imply streaming', async () => {
      const { run, cwd, u } = await success('partial-images', [
        '--partial-images',
        '2',
        '--model',
        'gpt-5.4-mini',
        '--size',
        '1024x1536',
        '--quality',
        'high',
        '--background',
        'opaque',
        // The served 8×8 image is kept as it is (issue 12's fitting is tested in cliFit.test.ts).
        '--fit',
        'none',
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'squirrel.png'))), tinyPng);
      const json = gw.requestsFor(u)[0]!.json as Record<string, unknown>;
      assert.equal(json.model, 'gpt-5.4-mini');
      assert.equal(json.stream, true);
      assert.deepEqual(json.tools, [
        { type: 'image_generation', output_format: 'png', size: '1024x1536', quality: 'high', background: 'opaque', partial_images: 2 },
      ]);
    });

    it('--format webp asks for webp; a WebP reply to --output x.png becomes x.webp', async () => {
      const { run, cwd, u } = await success('webp-instead', ['--format', 'webp']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal((gw.requestsFor(u)[0]!.json as { tools: { output_format: string }[] }).tools[0]!.output_format, 'webp');
      assert.ok(existsSync(join(cwd, 'out', 'squirrel.webp')));
    });

    it('--verbose logs to stderr without the key, and stdout is still just the path', async () => {
      const { run, cwd } = await success('rate-limit-retry-after-ms', ['--verbose', '--stream']);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.stderr.length > 0, 'verbose output');
      assert.match(run.stderr, /…1234/, 'the key is shown only as its hint');
      assert.equal(resolve(cwd, run.stdout.trim()), join(cwd, 'out', 'squirrel.png'));
    });

    it('--stream prints progress lines on stderr: phases, each partial image, retries with their delay', async () => {
      const { run } = await success('partial-images', ['--stream', '--partial-images', '2']);
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stderr.split('\n').filter(Boolean);
      assert.ok(lines.some((l) => /\] connecting…$/.test(l)), run.stderr);
      const first = lines.findIndex((l) => /\] partial image 1\/2$/.test(l));
      const second = lines.findIndex((l) => /\] partial image 2\/2$/.test(l));
      assert.ok(first >= 0 && second > first, `partial images in order:\n${run.stderr}`);
      assert.ok(lines.every((l) => /^\[\d+\.\d+s\] /.test(l)), `only progress lines:\n${run.stderr}`);

      const retried = await success('rate-limit-retry-after-ms', ['--stream']);
      assert.equal(retried.run.code, 0, retried.run.stderr);
      assert.match(retried.run.stderr, /\] retrying in \d+\.\d s \(rate limited\)$/m);
    });

    it('--quiet prints no progress, and without --stream a successful run prints nothing on stderr', async () => {
      const quiet = await success('partial-images', ['--stream', '--partial-images', '2', '--quiet']);
      assert.equal(quiet.run.code, 0, quiet.run.stderr);
      assert.equal(quiet.run.stderr, '');
      const plain = await success('ok', []);
      assert.equal(plain.run.code, 0, plain.run.stderr);
      assert.equal(plain.run.stderr, '');
    });

    it('--output to a folder (trailing /) or no --output: <slug>.png there, printed', async () => {
      const cwd = await workDir();
      const u = gw.scenarioUrl('ok');
      const toFolder = await runCli(['--prompt', 'a cute squirrel', '--output', 'pics/'], { baseUrl: u, cwd, home });
      assert.equal(toFolder.code, 0, toFolder.stderr);
      const written = resolve(cwd, toFolder.stdout.trim());
      assert.equal(resolve(written, '..'), join(cwd, 'pics'));
      assert.match(written, /\.png$/);
      assert.deepEqual(withoutProvenance(await readFile(written)), tinyPng);
      const noOutput = await runCli(['--prompt', 'a cute squirrel'], { baseUrl: u, cwd, home });
      assert.equal(noOutput.code, 0, noOutput.stderr);
      const here = resolve(cwd, noOutput.stdout.trim());
      assert.equal(resolve(here, '..'), cwd);
      assert.deepEqual(withoutProvenance(await readFile(here)), tinyPng);
    });

    it('a non-ASCII prompt reaches the gateway unchanged', async () => {
      const prompt = '一只可爱的松鼠 🐿️ — café';
      const cwd = await workDir();
      const u = gw.scenarioUrl('ok');
      const run = await runCli(['--prompt', prompt, '--output', 'out/s.png', '--stream'], { baseUrl: u, cwd, home });
      assert.equal(run.code, 0, run.stderr);
      assert.equal((gw.requestsFor(u)[0]!.json as { input: string }).input, prompt);
    });

    it('HTTP_PROXY is honoured (the request arrives in absolute form through the proxy)', async () => {
      const cwd = await workDir();
      const id = gw.scenarioUrl('ok');
      const target = `http://image-gateway.invalid:8317${new URL(id).pathname}`;
      const run = await runCli(['--prompt', 'x', '--output', 'out/x.png'], { baseUrl: target, cwd, home, env: { HTTP_PROXY: gw.baseUrl } });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(gw.requestsFor(id)[0]!.path, `${target}/v1/responses`);
      assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'x.png'))), tinyPng);
    });

    it('NO_PROXY bypasses a dead HTTP_PROXY for the listed host', async () => {
      const cwd = await workDir();
      const u = gw.scenarioUrl('ok');
      const run = await runCli(['--prompt', 'x', '--output', 'out/x.png'], {
        baseUrl: u,
        cwd,
        home,
        env: { HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1' },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(gw.requestsFor(u).length, 1);
    });

    it('an existing output is refused without --overwrite (before any request) and replaced with it', async () => {
      const cwd = await workDir();
      const u = gw.scenarioUrl('ok');
      const { mkdir } = await import('node:fs/promises');
      await mkdir(join(cwd, 'out'));
      await writeFile(join(cwd, 'out', 'squirrel.png'), 'old');
      const refused = await runCli(['--prompt', 'a cute squirrel', '--output', 'out/squirrel.png'], { baseUrl: u, cwd, home });
      assert.equal(refused.code, 1);
      assert.match(errorLine(refused), /already exists/);
      assert.equal(gw.requestsFor(u).length, 0);
      assert.equal(await readFile(join(cwd, 'out', 'squirrel.png'), 'utf8'), 'old');
      const replaced = await runCli(['--prompt', 'a cute squirrel', '--output', 'out/squirrel.png', '--overwrite'], { baseUrl: u, cwd, home });
      assert.equal(replaced.code, 0, replaced.stderr);
      assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'squirrel.png'))), tinyPng);
      assert.deepEqual(await filesIn(join(cwd, 'out')), ['squirrel.png']);
    });
  });

  describe('failure: exit 1, one stderr line, nothing written', () => {
    const cases: { name: ScenarioName; text: RegExp; params?: Record<string, string | number> }[] = [
      { name: 'auth-string-error', text: /rejected the API key.*Invalid API key/ },
      { name: 'auth-key-echo', text: /rejected the API key.*Incorrect API key provided/ },
      { name: 'forbidden', text: new RegExp(FORBIDDEN_MESSAGE) },
      { name: 'not-found', text: /no such route or model/ },
      { name: 'bad-request', text: new RegExp(TOOL_CHOICE_MESSAGE.replace(/[.()']/g, '.')) },
      { name: 'content-policy', text: new RegExp(`refused by the content policy.*${CONTENT_POLICY_MESSAGE.slice(0, 40)}`) },
      { name: 'usage-limit', text: /usage limit.*resets at \d{4}-\d\d-\d\dT/ },
      { name: 'model-cooldown-long', text: /rate limiting.*60 min/ },
      { name: 'not-image', text: /not a PNG, JPEG or WebP image.*<!DOCTYPE html>/ },
      { name: 'redirect', text: /redirected/ },
      { name: 'tools-empty-always', text: /text instead of an image.*I can't generate images here/ },
      { name: 'error-event-flat', text: /quota/ },
    ];
    for (const stream of [false, true]) {
      for (const { name, text, params } of cases) {
        it(`${name} (${stream ? 'stream' : 'non-stream'})`, async () => {
          const cwd = await workDir();
          const u = gw.scenarioUrl(name, params);
          const run = await runCli(['--prompt', 'a cute squirrel', '--output', 'out/squirrel.png', ...(stream ? ['--stream'] : [])], {
            baseUrl: u,
            cwd,
            home,
          });
          assert.equal(run.code, 1, run.stderr);
          assert.equal(run.stdout, '');
          assert.match(errorLine(run), text);
          assert.deepEqual(await filesIn(join(cwd, 'out')), [], 'no file and no temp file left');
          assert.ok(gw.requestsFor(u).length >= 1);
        });
      }
    }

    it('--verbose on a gateway that echoes the key: the key is still never printed', async () => {
      const cwd = await workDir();
      const run = await runCli(['--prompt', 'x', '--output', 'out/x.png', '--verbose'], { baseUrl: gw.scenarioUrl('auth-key-echo'), cwd, home });
      assert.equal(run.code, 1);
      const last = run.stderr.trimEnd().split('\n').at(-1)!;
      assert.ok(last.startsWith(PREFIX), last);
      assert.match(run.stderr, /\[REDACTED\]|Incorrect API key provided/);
    });

    it('a wrong key is rejected by the gateway (auth), shown by its hint only', async () => {
      const cwd = await workDir();
      const run = await runCli(['--prompt', 'x', '--output', 'out/x.png'], {
        baseUrl: gw.baseUrl,
        cwd,
        home,
        env: { IMAGE_GEN_KEY: 'sk-wrong-key-5678' },
      });
      assert.equal(run.code, 1);
      const line = errorLine(run);
      assert.match(line, /Invalid API key/);
      assert.ok(!line.includes('sk-wrong-key-5678'));
    });

    it('--timeout 1 on a gateway that never answers: a timeout that says how long it waited', BOUNDED, async () => {
      const cwd = await workDir();
      const started = Date.now();
      const run = await runCli(['--prompt', 'x', '--output', 'out/x.png', '--timeout', '1'], { baseUrl: gw.scenarioUrl('hang'), cwd, home });
      assert.equal(run.code, 1);
      assert.match(errorLine(run), /1 second/);
      assert.ok(Date.now() - started >= 1000);
      assert.deepEqual(await filesIn(join(cwd, 'out')), []);
    });

    it('missing base URL / missing key / a gpt-image model: exit 1 with the reason, no request', async () => {
      const cwd = await workDir();
      const u = gw.scenarioUrl('ok');
      const noUrl = await runCli(['--prompt', 'x', '--output', 'out/x.png'], { cwd, home });
      assert.equal(noUrl.code, 1);
      assert.match(errorLine(noUrl), /IMAGE_GEN_BASE_URL/);
      const noKey = await runCli(['--prompt', 'x', '--output', 'out/x.png'], { baseUrl: u, cwd, home, env: { IMAGE_GEN_KEY: undefined } });
      assert.equal(noKey.code, 1);
      assert.match(errorLine(noKey), /key/i);
      const imageModel = await runCli(['--prompt', 'x', '--output', 'out/x.png', '--model', 'gpt-image-1'], { baseUrl: u, cwd, home });
      assert.equal(imageModel.code, 1);
      assert.match(errorLine(imageModel), /gpt-image/);
      assert.equal(gw.requestsFor(u).length, 0);
      assert.deepEqual(await filesIn(join(cwd, 'out')), []);
    });
  });

  describe('usage and signals', () => {
    it('usage errors exit 2 with one line', async () => {
      const cwd = await workDir();
      const missing = await runCli(['--output', 'out/x.png'], { baseUrl: gw.baseUrl, cwd, home });
      assert.equal(missing.code, 2);
      assert.match(errorLine(missing), /--prompt/);
      const unknown = await runCli(['--prompt', 'x', '--frobnicate'], { baseUrl: gw.baseUrl, cwd, home });
      assert.equal(unknown.code, 2);
      assert.match(errorLine(unknown), /frobnicate/);
      const badFormat = await runCli(['--prompt', 'x', '--format', 'gif'], { baseUrl: gw.baseUrl, cwd, home });
      assert.equal(badFormat.code, 2);
      assert.match(errorLine(badFormat), /png, jpeg or webp/);
    });

    it('--help lists every flag and exits 0; --version prints the package version', async () => {
      const cwd = await workDir();
      const help = await runCli(['--help'], { cwd, home });
      assert.equal(help.code, 0);
      for (const flag of [
        '--prompt',
        '--output',
        '--model',
        '--format',
        '--stream',
        '--size',
        '--quality',
        '--background',
        '--partial-images',
        '--timeout',
        '--verbose',
        '--overwrite',
        '--help',
        '--version',
      ]) {
        assert.ok(help.stdout.includes(flag), `help mentions ${flag}`);
      }
      const version = await runCli(['--version'], { cwd, home });
      assert.equal(version.code, 0);
      const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      assert.equal(version.stdout.trim(), pkg.version);
    });

    for (const stream of [false, true]) {
      it(`SIGINT while the gateway works (${stream ? 'stream' : 'non-stream'}): exit 130, connection closed, nothing written`, BOUNDED, async () => {
        const cwd = await workDir();
        const u = gw.scenarioUrl(stream ? 'hang-after-headers' : 'hang');
        const run = await runCli(['--prompt', 'x', '--output', 'out/x.png', ...(stream ? ['--stream'] : [])], {
          baseUrl: u,
          cwd,
          home,
          onStart: (child) => {
            void gw.waitForRequest(u).then(() => child.kill('SIGINT'));
          },
        });
        assert.equal(run.code, 130, run.stderr);
        assert.match(errorLine(run), /cancel/i);
        assert.equal((await gw.waitForOutcome(u)).finished, false);
        assert.deepEqual(await filesIn(join(cwd, 'out')), []);
      });
    }
  });

  describe('cancelling a real retry wait', () => {
    it('SIGINT during a 5 s rate-limit wait exits 130 at once, without a second attempt', BOUNDED, async () => {
      const cwd = await workDir();
      const u = gw.scenarioUrl('rate-limit-retry-after', { seconds: 5 });
      const started = Date.now();
      const run = await runCli(['--prompt', 'x', '--output', 'out/x.png'], {
        baseUrl: u,
        cwd,
        home,
        onStart: (child) => {
          // The 429 has been written in full: the CLI is now waiting out the 5 s.
          void gw.waitForOutcome(u).then(() => child.kill('SIGINT'));
        },
      });
      assert.equal(run.code, 130, run.stderr);
      assert.ok(Date.now() - started < 4000, 'did not sit out the wait');
      assert.equal(gw.requestsFor(u).length, 1);
      assert.deepEqual(await filesIn(join(cwd, 'out')), []);
    });
  });

  describe('the bundle on the system Node (the extension host floor)', () => {
    it(`${SYSTEM_NODE} is Node 20`, () => {
      const version = execFileSync(SYSTEM_NODE, ['--version'], { encoding: 'utf8' }).trim();
      assert.match(version, /^v20\./);
    });

    for (const stream of [false, true]) {
      it(`runs dist/cli.js and writes the image (${stream ? 'stream' : 'non-stream'})`, async () => {
        const { run, cwd } = await success('partial-images', stream ? ['--stream'] : [], { node: SYSTEM_NODE });
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'squirrel.png'))), tinyPng);
      });
    }

    it('fails cleanly there too (exit 1, one line)', async () => {
      const cwd = await workDir();
      const run = await runCli(['--prompt', 'x', '--output', 'out/x.png'], {
        baseUrl: gw.scenarioUrl('forbidden'),
        cwd,
        home,
        node: SYSTEM_NODE,
      });
      assert.equal(run.code, 1);
      assert.match(errorLine(run), new RegExp(FORBIDDEN_MESSAGE));
    });
  });
});
