/**
 * Hostile inputs: destination patterns that try to leave the workspace folder (`..`, absolute paths, drive
 * letters, UNC paths, NUL, a regex transform that manufactures `..`, and symbolic links seen only by the file
 * system), prompts whose slug would be empty, huge, or made of separators and reserved names, a file already at
 * the target (before and *during* the generation, and as a symlink), and gateway bodies built to make the error
 * readers backtrack (regular-expression denial of service). Files and links are real, in temp folders; the CLI
 * runs in-process (`runCli`) against the real test gateway.
 */
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, realpath, symlink, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli';
import { ImageClient } from '../../src/core/gateway/client';
import { assertInsideWorkspace, resolveDestination, slugFromPrompt, uniquePath, type RealpathFn } from '../../src/core/files/destination';
import { GatewayError } from '../../src/core/errors';
import { readEventError, readHttpError } from '../../src/core/gateway/responseReader';
import type { HttpTransport } from '../../src/core/gateway/transport';
import { PNG_SIGNATURE } from '../gateway/images';
import { startTestGateway, type TestGateway } from '../gateway/server';
import { CANARY, InstantClock, assertNoCanary, filesBelow, settingsFor, within } from './support';
import { removeTempFolder } from '../support/removeInside';
import { FileError } from '../../src/core/files/fileError';

function fileError(fn: () => unknown): FileError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FileError, String(err));
    return err;
  }
  assert.fail('expected a file error');
}


/** CPU time (user + system) this process spent in `fn`, in ms: unlike wall-clock time, other processes do not add to it. */
function cpuMs(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

describe('hostile destination patterns (resolveDestination)', () => {
  const doc = { documentPath: '/ws/docs/note.md', workspaceFolderPath: '/ws', slug: 'squirrel', ext: 'png' };

  const escapes: { name: string; pattern: string; why: RegExp }[] = [
    { name: '.. out of the document folder and the workspace', pattern: '../../outside/${slug}.${ext}', why: /outside the workspace folder \/ws/ },
    { name: '.. after a variable', pattern: '${workspaceFolder}/../outside.png', why: /leads to \/outside\.png/ },
    { name: '.. hidden in the middle', pattern: 'images/../../../etc/cron.d/x.png', why: /outside the workspace folder/ },
    { name: 'an absolute path from a variable that points up', pattern: '${documentDirName}/../../x.png', why: /outside the workspace folder/ },
    { name: 'a Windows drive letter', pattern: 'C:/Windows/System32/x.png', why: /Windows drive letter/ },
    { name: 'another drive, lower case, relative form', pattern: 'd:x.png', why: /Windows drive letter/ },
    { name: 'backslash separators', pattern: '..\\..\\x.png', why: /backslash/ },
    { name: 'a UNC path', pattern: '\\\\server\\share\\x.png', why: /backslash/ },
    { name: 'a NUL byte', pattern: 'images/x\0.png', why: /NUL/ },
    { name: 'a regex transform that makes "..": ${slug/^.*$/..\\/..\\/evil/}', pattern: '${documentDirName}/${slug/^.*$/..\\/..\\/evil/}.png', why: /outside the workspace folder/ },
    { name: 'a pattern that names a folder, not a file', pattern: '..', why: /outside|file name/ },
  ];
  for (const c of escapes) {
    it(`refuses ${c.name}`, () => {
      const error = fileError(() => resolveDestination({ ...doc, pattern: c.pattern }));
      assert.match(error.message, c.why);
      assert.match(error.message, /inside the workspace folder|Change the destination/, 'the message says what to do');
    });
  }

  const contained: { name: string; pattern: string; expected: string }[] = [
    { name: 'an absolute pattern means the workspace root (VS Code rule)', pattern: '/etc/passwd', expected: '/ws/etc/passwd' },
    { name: 'a double-slash (UNC-like) pattern stays under the root', pattern: '//server/share/x.png', expected: '/ws/server/share/x.png' },
    { name: 'a ~ is a folder name, not the home folder', pattern: '~/x.png', expected: '/ws/docs/~/x.png' },
    { name: '.. that stays inside is allowed', pattern: '../assets/${slug}.${ext}', expected: '/ws/assets/squirrel.png' },
  ];
  for (const c of contained) {
    it(`keeps inside: ${c.name}`, () => assert.equal(resolveDestination({ ...doc, pattern: c.pattern }), c.expected));
  }

  it('on a Windows workspace (/c:/…), a pattern naming another drive is refused or kept under the root', () => {
    const win = { documentPath: '/c:/Users/me/ws/note.md', workspaceFolderPath: '/c:/Users/me/ws', slug: 's', ext: 'png' };
    fileError(() => resolveDestination({ ...win, pattern: 'D:/x.png' }));
    fileError(() => resolveDestination({ ...win, pattern: '${workspaceFolder}/../../../d:/x.png' }));
    const kept = resolveDestination({ ...win, pattern: '/d:/x.png' });
    assert.ok(kept.startsWith('/c:/Users/me/ws/'), kept);
  });
});

describe('slugs of hostile prompts, and where they land', () => {
  const cases: { prompt: string; slug: string }[] = [
    { prompt: '', slug: 'image' },
    { prompt: '   \t\n ', slug: 'image' },
    { prompt: '/////', slug: 'image' },
    { prompt: '\\\\\\', slug: 'image' },
    { prompt: '..', slug: 'image' },
    { prompt: '../../../../etc/passwd', slug: 'etc-passwd' },
    { prompt: 'C:\\Windows\\System32\\cmd.exe', slug: 'c-windows-system32-cmd-exe' },
    { prompt: 'CON', slug: 'con-image' },
    { prompt: 'con.png', slug: 'con-png' },
    { prompt: 'Aux', slug: 'aux-image' },
    { prompt: 'ＣＯＭ１', slug: 'com1-image' },
    { prompt: 'com¹', slug: 'com1-image' },
    { prompt: 'lpt9.', slug: 'lpt9-image' },
    { prompt: '\0\u202e\u200b', slug: 'image' },
    { prompt: '\u202egnp.exe', slug: 'gnp-exe' },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.prompt)} → ${c.slug}, saved as images/${c.slug}.png next to the document`, () => {
      assert.equal(slugFromPrompt(c.prompt), c.slug);
      const target = resolveDestination({ documentPath: '/ws/docs/a.md', workspaceFolderPath: '/ws', slug: slugFromPrompt(c.prompt), ext: 'png' });
      assert.equal(target, `/ws/docs/images/${c.slug}.png`);
    });
  }

  it('a 100 000-character prompt gives a slug of at most 48 characters, cut between words', () => {
    const slug = slugFromPrompt('a very long prompt about squirrels '.repeat(3000));
    assert.ok([...slug].length <= 48, slug);
    assert.match(slug, /^a-very-long-prompt-about-squirrels-a-very-long/);
    assert.doesNotMatch(slug, /-$/);
  });
});

describe('symbolic links that lead out of the workspace (assertInsideWorkspace with the real file system)', () => {
  let base: string;
  let ws: string;
  let outside: string;
  /** Node's realpath as a RealpathFn: undefined for a path that does not exist. */
  const nodeRealpath: RealpathFn = async (p) => {
    try {
      return await realpath(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  };

  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'cpa-rel-link-')));
    ws = join(base, 'ws');
    outside = join(base, 'outside');
    await mkdir(join(ws, 'docs'), { recursive: true });
    await mkdir(join(ws, 'assets'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await symlink(outside, join(ws, 'images')); // ws/images -> ../outside
    await symlink(join(ws, 'assets'), join(ws, 'pictures')); // ws/pictures -> ws/assets (inside)
    await symlink(outside, join(ws, 'docs', 'linked')); // a document folder that is really outside
    await symlink(join(base, 'ws'), join(base, 'ws-link')); // the workspace opened through a link
    await symlink(join(outside, 'nothing-here.png'), join(ws, 'assets', 'dangling.png'));
  });
  after(() => removeTempFolder(base));

  it('resolveDestination alone cannot see the link: ws/images/… looks inside (the finding)', () => {
    assert.equal(
      resolveDestination({ pattern: '${workspaceFolder}/images/${slug}.${ext}', workspaceFolderPath: ws, slug: 'x', ext: 'png' }),
      join(ws, 'images', 'x.png'),
    );
  });

  const refused: { name: string; target: () => string }[] = [
    { name: 'a folder that is a link to outside (ws/images -> outside)', target: () => join(ws, 'images', 'x.png') },
    { name: 'a new subfolder under such a link (ws/images/new/deeper/x.png)', target: () => join(ws, 'images', 'new', 'deeper', 'x.png') },
    { name: "the default next to a document whose folder links outside (ws/docs/linked/images/…)", target: () => join(ws, 'docs', 'linked', 'images', 'x.png') },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}`, async () => {
      await assert.rejects(assertInsideWorkspace(c.target(), ws, nodeRealpath), (err: unknown) => {
        assert.ok(err instanceof FileError, String(err));
        assert.match(err.message, /symbolic link .* outside the workspace folder/);
        assert.ok(err.message.includes(outside), 'names where the link leads');
        return true;
      });
    });
  }

  const allowed: { name: string; target: () => string; root?: () => string }[] = [
    { name: 'a plain new folder', target: () => join(ws, 'docs', 'images', 'x.png') },
    { name: 'a link that stays inside (ws/pictures -> ws/assets)', target: () => join(ws, 'pictures', 'x.png') },
    { name: 'a workspace folder opened through a link', target: () => join(base, 'ws-link', 'docs', 'images', 'x.png'), root: () => join(base, 'ws-link') },
    { name: 'a dangling link at the file name itself (the save never writes through it)', target: () => join(ws, 'assets', 'dangling.png') },
  ];
  for (const c of allowed) {
    it(`allows ${c.name}`, async () => {
      await assertInsideWorkspace(c.target(), c.root?.() ?? ws, nodeRealpath);
    });
  }

  it('refuses a target that is outside by name, and a workspace folder that no longer exists', async () => {
    await assert.rejects(assertInsideWorkspace(join(base, 'elsewhere.png'), ws, nodeRealpath), FileError);
    await assert.rejects(assertInsideWorkspace(join(base, 'gone', 'x.png'), join(base, 'gone'), nodeRealpath), /does not exist/);
  });
});

describe('a file already at the target', () => {
  let gw: TestGateway;
  let dir: string;
  let home: string;
  let counter = 0;

  before(async () => {
    gw = await startTestGateway({ expectedKey: CANARY });
    dir = await mkdtemp(join(tmpdir(), 'cpa-rel-exist-'));
    home = await mkdtemp(join(tmpdir(), 'cpa-rel-home-'));
  });
  after(async () => {
    await gw.close();
    await removeTempFolder(dir);
    await removeTempFolder(home);
  });

  async function cwdFor(): Promise<string> {
    counter += 1;
    const cwd = join(dir, `c${counter}`);
    await mkdir(cwd, { recursive: true });
    return cwd;
  }

  /** runCli in-process, with the environment only holding the gateway and the canary key. */
  async function cli(args: string[], cwd: string, baseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await within(
      30_000,
      'runCli',
      runCli(['--quiet', ...args], {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
        stdin: Readable.from([]),
        env: { IMAGE_GEN_BASE_URL: baseUrl, IMAGE_GEN_KEY: CANARY },
        cwd,
        homeDir: home,
      }),
    );
    assertNoCanary('the CLI output', [stdout, stderr]);
    return { code, stdout, stderr };
  }

  it('uniquePath on a real folder: x.png and x-2.png are taken → x-3.png', async () => {
    const cwd = await cwdFor();
    await writeFile(join(cwd, 'x.png'), 'taken');
    await writeFile(join(cwd, 'x-2.png'), 'taken');
    const exists = async (p: string) => lstat(p).then(() => true, () => false);
    assert.equal(await uniquePath(join(cwd, 'x.png'), exists), join(cwd, 'x-3.png'));
  });

  it('CLI: an existing --output is refused before any request, and left as it was', async () => {
    const cwd = await cwdFor();
    await writeFile(join(cwd, 'x.png'), 'precious');
    const url = gw.scenarioUrl('ok');
    const run = await cli(['--prompt', 'a squirrel', '--output', 'x.png'], cwd, url);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /x\.png already exists\. Choose another --output, or pass --overwrite/);
    assert.equal(await readFile(join(cwd, 'x.png'), 'utf8'), 'precious');
    assert.equal(gw.requestsFor(url).length, 0, 'no request was sent');
  });

  it('CLI: a file that appears at --output while the image is generated is not overwritten, and no temp file stays', async () => {
    const cwd = await cwdFor();
    const url = gw.scenarioUrl('slow', { delayMs: 60 }); // non-stream: answers after 600 ms
    const running = cli(['--prompt', 'a squirrel', '--output', 'out/x.png'], cwd, url);
    await gw.waitForRequest(url);
    await mkdir(join(cwd, 'out'), { recursive: true });
    await writeFile(join(cwd, 'out', 'x.png'), 'written meanwhile');
    const run = await running;
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /already exists/);
    assert.equal(await readFile(join(cwd, 'out', 'x.png'), 'utf8'), 'written meanwhile');
    assert.deepEqual(await readdir(join(cwd, 'out')), ['x.png']);
  });

  it('CLI: --output to a folder where <slug>.png exists saves <slug>-2.png', async () => {
    const cwd = await cwdFor();
    await mkdir(join(cwd, 'out'));
    await writeFile(join(cwd, 'out', 'a-squirrel.png'), 'older');
    const run = await cli(['--prompt', 'a squirrel', '--output', 'out/'], cwd, gw.scenarioUrl('ok'));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), join('out', 'a-squirrel-2.png'));
    assert.equal(await readFile(join(cwd, 'out', 'a-squirrel.png'), 'utf8'), 'older');
    assert.ok((await readFile(join(cwd, 'out', 'a-squirrel-2.png'))).subarray(0, 8).equals(PNG_SIGNATURE));
  });

  it('CLI: --output is a symlink to another file: refused; with --overwrite the link is replaced, its target untouched', async () => {
    const cwd = await cwdFor();
    await writeFile(join(cwd, 'target.txt'), 'do not touch');
    await symlink(join(cwd, 'target.txt'), join(cwd, 'link.png'));
    const refused = await cli(['--prompt', 'a squirrel', '--output', 'link.png'], cwd, gw.scenarioUrl('ok'));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already exists/);
    const replaced = await cli(['--prompt', 'a squirrel', '--output', 'link.png', '--overwrite'], cwd, gw.scenarioUrl('ok'));
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(await readFile(join(cwd, 'target.txt'), 'utf8'), 'do not touch');
    assert.ok(!(await lstat(join(cwd, 'link.png'))).isSymbolicLink(), 'the link itself was replaced by the image');
    assert.ok((await readFile(join(cwd, 'link.png'))).subarray(0, 8).equals(PNG_SIGNATURE));
  });

  it('CLI: --output is a dangling symlink: refused, nothing created where it points', async () => {
    const cwd = await cwdFor();
    await symlink(join(cwd, 'nowhere', 'x.png'), join(cwd, 'dangling.png'));
    const run = await cli(['--prompt', 'a squirrel', '--output', 'dangling.png'], cwd, gw.scenarioUrl('ok'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /already exists/);
    assert.equal(await readlink(join(cwd, 'dangling.png')), join(cwd, 'nowhere', 'x.png'));
    assert.deepEqual((await readdir(cwd)).sort(), ['dangling.png']);
  });

  const prompts: { prompt: string; file: string }[] = [
    { prompt: '../../../../tmp/evil', file: 'tmp-evil.png' },
    { prompt: 'CON', file: 'con-image.png' },
    { prompt: '/ / / \\ \\', file: 'image.png' },
    { prompt: `${'squirrel '.repeat(2000)}`, file: 'squirrel-squirrel-squirrel-squirrel-squirrel.png' },
  ];
  for (const p of prompts) {
    it(`CLI: the prompt ${JSON.stringify(p.prompt.slice(0, 30))} saves ${p.file} inside the --output folder`, async () => {
      const cwd = await cwdFor();
      const run = await cli(['--prompt', p.prompt, '--output', 'out/'], cwd, gw.scenarioUrl('ok'));
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await filesBelow(cwd), [join('out', p.file)]);
    });
  }
});

describe('bodies built to make the error readers backtrack (ReDoS)', () => {
  // 384 KiB each: the quadratic regular expressions these replace took 5–20 s on them (and the time grows with
  // the square of the size: the 1 MiB read of an error body took minutes); the linear readers take milliseconds.
  const SIZE = 384 * 1024;
  const bodies: { name: string; status: number; headers: Record<string, string>; body: string }[] = [
    { name: '"<title" repeated', status: 502, headers: { 'content-type': 'text/html' }, body: '<title'.repeat(SIZE / 6) },
    { name: '"<h1" repeated', status: 502, headers: { 'content-type': 'text/html' }, body: `<html>${'<h1'.repeat(SIZE / 3)}` },
    { name: 'an <h1> holding only "<"', status: 502, headers: { 'content-type': 'text/html' }, body: `<h1>${'<'.repeat(SIZE)}</h1>` },
    { name: 'a JSON error of "rejected by " repeated', status: 400, headers: {}, body: JSON.stringify({ error: { message: 'rejected by '.repeat(SIZE / 12) } }) },
    { name: 'a text error of "rejected by " repeated', status: 500, headers: {}, body: 'rejected by '.repeat(SIZE / 12) },
    { name: 'a 429 of "try again in " repeated', status: 429, headers: {}, body: JSON.stringify({ error: { message: 'try again in '.repeat(SIZE / 13) } }) },
  ];
  for (const b of bodies) {
    it(`readHttpError reads 384 KiB of ${b.name} in well under a second`, () => {
      let error: unknown;
      const ms = cpuMs(() => (error = readHttpError(b.status, b.headers, b.body)));
      assert.ok(error instanceof GatewayError);
      assert.ok(ms < 1000, `${Math.round(ms)} ms of CPU`);
      assert.ok(error.message.length < 1200, `${error.message.length} chars`);
    });
  }

  it('an in-stream error event whose message is 384 KiB of "rejected by " is read in well under a second', () => {
    let error: unknown;
    const ms = cpuMs(() => (error = readEventError({ type: 'error', message: 'rejected by '.repeat(SIZE / 12) })));
    assert.ok(error instanceof GatewayError);
    assert.ok(ms < 1000, `${Math.round(ms)} ms of CPU`);
  });

  // Linear, not just fast: eight times the input costs about eight times the CPU (a quadratic reader: 64 times).
  // CPU time of this process, not wall-clock time, so a busy machine does not fail the test; the best of three
  // runs of each size takes out garbage-collection pauses.
  it('the readers stay linear: 8 MiB of each hostile shape costs about 8 times the CPU of 1 MiB', () => {
    const readAll = (size: number) => () => {
      readHttpError(502, { 'content-type': 'text/html' }, '<title'.repeat(size / 6));
      readHttpError(502, { 'content-type': 'text/html' }, `<h1>${'<a '.repeat(size / 3)}</h1>`);
      readEventError({ type: 'error', message: 'rejected by '.repeat(size / 12) });
    };
    const best = (fn: () => void) => Math.min(cpuMs(fn), cpuMs(fn), cpuMs(fn));
    const small = Math.max(best(readAll(1024 * 1024)), 1);
    const large = best(readAll(8 * 1024 * 1024));
    assert.ok(large / small < 24, `1 MiB: ${small.toFixed(1)} ms, 8 MiB: ${large.toFixed(1)} ms of CPU (ratio ${(large / small).toFixed(1)})`);
  });

  it('through the client and a real socket: a hostile HTML 502 of 384 KiB is an error within seconds', async () => {
    const body = `<html><head>${'<title'.repeat(SIZE / 6)}`;
    const server = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(body);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new ImageClient({ clock: new InstantClock() });
    try {
      const started = performance.now();
      const error = await client
        .generate(settingsFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { transientRetries: 0 }), { prompt: 'x' })
        .then(() => assert.fail('expected an error'), (err: unknown) => err);
      assert.ok(error instanceof GatewayError && error.kind === 'server', String(error));
      assert.ok(performance.now() - started < 3000, `${Math.round(performance.now() - started)} ms`);
    } finally {
      await client.close();
      server.closeAllConnections();
      server.close();
    }
  });

  it('through the client: an SSE error event of 384 KiB of "rejected by " is read in bounded time', async () => {
    const data = JSON.stringify({ type: 'error', code: 'weird', message: 'rejected by '.repeat(SIZE / 12) });
    const transport: HttpTransport = {
      async send() {
        const bytes = Buffer.from(`event: error\ndata: ${data}\n\n`);
        return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: Readable.from([bytes]) };
      },
    };
    const client = new ImageClient({ transport, clock: new InstantClock() });
    const started = performance.now();
    const error = await client.generate(settingsFor('http://gateway.invalid', { stream: true }), { prompt: 'x' }).then(
      () => assert.fail('expected an error'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof GatewayError, String(error));
    assert.ok(performance.now() - started < 3000, `${Math.round(performance.now() - started)} ms`);
    assert.ok(error.message.length < 1200);
  });
});
