/**
 * Issue 9, the command-line tool's output and files, through the built `dist/cli.js` against the test gateway:
 * gateway text and file names reach the terminal with their control characters escaped (item 3);
 * `--overwrite` never replaces a name the real image type switched to (item 4); a name the file system
 * would refuse fails before any request, and a long legal name is saved (item 7).
 * stdout and stderr are kept as raw bytes, so a control character cannot hide in a decoding step.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tinyJpeg, tinyPng } from '../gateway/images';
import { startTestGateway, type TestGateway } from '../gateway/server';
import { withoutProvenance } from '../gateway/inspect';
import { removeTempFolder } from '../support/removeInside';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const KEY = 'sk-test-CANARY-1234';
const PREFIX = 'cpa-gpt-image: ';

/** How the CLI must show `TERMINAL_ATTACK` of test/gateway/scenarios.ts: every control visible, `sep` for its line feed. */
function escapedAttack(sep: string): string {
  return `\\x1b]0;pwned\\x07\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\x1b[2J\\x1b[H\\x9b31mred\\u202eevil\\x08\\x7f${sep}cpa-gpt-image: forged line`;
}

interface RawRun {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
  /** The same, decoded once the run is over. */
  out: string;
  err: string;
}

function runCli(args: string[], cwd: string, home: string, baseUrl: string): Promise<RawRun> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, IMAGE_GEN_BASE_URL: baseUrl, IMAGE_GEN_KEY: KEY };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err);
      resolvePromise({ code, stdout, stderr, out: stdout.toString('utf8'), err: stderr.toString('utf8') });
    });
  });
}

/** No byte and no code point a terminal would act on: ESC, BEL, any C0 but the line feeds the CLI writes, DEL, C1, bidi. */
function assertTerminalSafe(where: string, bytes: Buffer): void {
  for (const byte of [0x1b, 0x07, 0x08, 0x0d, 0x7f]) assert.ok(!bytes.includes(byte), `${where} holds the raw byte 0x${byte.toString(16)}`);
  // U+009B (8-bit CSI) in UTF-8, and any other C1 control.
  assert.ok(!bytes.includes(Buffer.from([0xc2, 0x9b])), `${where} holds a raw U+009B`);
  const text = bytes.toString('utf8');
  const unsafe = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.exec(text);
  assert.equal(unsafe, null, `${where} holds U+${unsafe?.[0]?.codePointAt(0)?.toString(16)}: ${JSON.stringify(text)}`);
}

/** Every stderr line is one the CLI writes itself: a progress or log line `[…] `, a note, or the one error line. */
function assertNoForgedLine(err: string): void {
  const lines = err.split('\n').filter((l) => l !== '');
  assert.ok(lines.every((l) => /^\[[^\]]+\] /.test(l) || l.startsWith('note: ') || l.startsWith(PREFIX)), `a forged line:\n${err}`);
  assert.ok(lines.filter((l) => l.startsWith(PREFIX)).length <= 1, `more than one "${PREFIX}" line:\n${err}`);
}

function errorLine(run: RawRun): string {
  const last = run.err.trimEnd().split('\n').at(-1) ?? '';
  assert.ok(last.startsWith(PREFIX), `the last line is the error:\n${run.err}`);
  return last.slice(PREFIX.length);
}

describe('cpa-gpt-image CLI hardening (issue 9): terminal output, --overwrite, long names', () => {
  let gw: TestGateway;
  let scratch: string;
  let home: string;
  let counter = 0;

  async function workDir(): Promise<string> {
    counter += 1;
    const dir = join(scratch, `w${counter}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  before(async () => {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    assert.ok(existsSync(CLI), 'dist/cli.js was built');
    gw = await startTestGateway({ expectedKey: KEY });
    scratch = await mkdtemp(join(tmpdir(), 'cpa-cli-hard-'));
    home = await mkdtemp(join(tmpdir(), 'cpa-cli-hard-home-'));
  });

  after(async () => {
    await gw.close();
    await removeTempFolder(scratch);
    await removeTempFolder(home);
  });

  describe('item 3: terminal control characters from the gateway are shown escaped', () => {
    for (const stream of [false, true]) {
      const label = stream ? 'stream' : 'non-stream';
      it(`${label}: model text and an error message with OSC 52, CSI 2J, C1, RLO and a forged line: --verbose and the error line escape them`, async () => {
        const cwd = await workDir();
        const u = gw.scenarioUrl('terminal-escapes');
        const run = await runCli(['--prompt', 'x', '--output', 'out/x.png', '--verbose', ...(stream ? ['--stream'] : [])], cwd, home, u);
        assert.equal(run.code, 1, run.err);
        assert.equal(gw.requestsFor(u).length, 2);
        assertTerminalSafe('stderr', run.stderr);
        assertNoForgedLine(run.err);
        // The gateway's message, flattened to one line by the client, with every control visible.
        assert.ok(errorLine(run).includes(`Bad tool ${escapedAttack(' ')}`), run.err);
        // The model's text, quoted in the --verbose line of the text-fallback retry.
        assert.ok(run.err.includes(`The model said: "No image today ${escapedAttack(' ')}`), run.err);
        assert.equal(run.out, '');
        assert.deepEqual(existsSync(join(cwd, 'out')) ? await readdir(join(cwd, 'out')) : [], []);
      });
    }

    it('the revised prompt in --verbose: its line feed is shown as \\n, not a new line', async () => {
      const cwd = await workDir();
      const u = gw.scenarioUrl('terminal-escapes', { end: 'image' });
      const run = await runCli(['--prompt', 'x', '--output', 'out/x.png', '--verbose', '--stream'], cwd, home, u);
      assert.equal(run.code, 0, run.err);
      assertTerminalSafe('stderr', run.stderr);
      assertNoForgedLine(run.err);
      assert.ok(run.err.includes(`[info] Revised prompt: A squirrel ${escapedAttack('\\n')}\n`), run.err);
      assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'x.png'))), tinyPng);
    });

    it('a file name with control characters: the note on stderr and the path on stdout show them escaped', async () => {
      const cwd = await workDir();
      const u = gw.scenarioUrl('jpeg-instead');
      const name = 'out/\u001b]0;t\u0007\u001b[2Jx\u202e.png';
      const run = await runCli(['--prompt', 'x', '--output', name], cwd, home, u);
      assert.equal(run.code, 0, run.err);
      assertTerminalSafe('stdout', run.stdout);
      assertTerminalSafe('stderr', run.stderr);
      const shown = 'out/\\x1b]0;t\\x07\\x1b[2Jx\\u202e';
      assert.equal(run.out, `${shown}.jpg\n`);
      assert.equal(run.err, `note: the gateway returned a JPEG image, so it is saved as ${shown}.jpg instead of ${shown}.png\n`);
      // The file itself has the name the user gave, with the real extension.
      assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', '\u001b]0;t\u0007\u001b[2Jx\u202e.jpg'))), tinyJpeg);
    });
  });

  describe('item 4: --overwrite replaces only the file named by --output', () => {
    for (const overwrite of [true, false]) {
      it(`a JPEG answer to --output out/photo.png${overwrite ? ' --overwrite' : ''} while out/photo.jpg exists: refused, photo.jpg keeps its bytes`, async () => {
        const cwd = await workDir();
        await mkdir(join(cwd, 'out'));
        const old = Buffer.from('the user\'s own photo.jpg, never named on this command line');
        await writeFile(join(cwd, 'out', 'photo.jpg'), old);
        const u = gw.scenarioUrl('jpeg-instead');
        const run = await runCli(['--prompt', 'x', '--output', 'out/photo.png', ...(overwrite ? ['--overwrite'] : [])], cwd, home, u);
        assert.equal(run.code, 1, run.err);
        assert.equal(run.out, '');
        assert.equal(run.err.split('\n').filter(Boolean).length, 1, `only the error line:\n${run.err}`);
        const line = errorLine(run);
        assert.match(line, /^The gateway sent a JPEG image, so it would be saved as out\/photo\.jpg instead of out\/photo\.png, but out\/photo\.jpg already exists; /);
        if (overwrite) assert.match(line, /--overwrite only replaces the file named by --output, so it was left as it is/);
        assert.match(line, /To replace it, run again with --output out\/photo\.jpg --overwrite, or choose another --output\.$/);
        assert.deepEqual(await readFile(join(cwd, 'out', 'photo.jpg')), old);
        assert.deepEqual(await readdir(join(cwd, 'out')), ['photo.jpg'], 'no other file and no temp file');
        assert.equal(gw.requestsFor(u).length, 1);
      });
    }

    it('a JPEG answer to --output out/photo.png --overwrite where only photo.png exists: saved as photo.jpg, photo.png untouched', async () => {
      const cwd = await workDir();
      await mkdir(join(cwd, 'out'));
      await writeFile(join(cwd, 'out', 'photo.png'), 'old png');
      const run = await runCli(['--prompt', 'x', '--output', 'out/photo.png', '--overwrite'], cwd, home, gw.scenarioUrl('jpeg-instead'));
      assert.equal(run.code, 0, run.err);
      assert.equal(run.out, 'out/photo.jpg\n');
      assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'photo.jpg'))), tinyJpeg);
      assert.equal(await readFile(join(cwd, 'out', 'photo.png'), 'utf8'), 'old png');
      assert.deepEqual((await readdir(join(cwd, 'out'))).sort(), ['photo.jpg', 'photo.png']);
    });

    it('naming the .jpg explicitly with --overwrite replaces it', async () => {
      const cwd = await workDir();
      await mkdir(join(cwd, 'out'));
      await writeFile(join(cwd, 'out', 'photo.jpg'), 'old jpg');
      const run = await runCli(['--prompt', 'x', '--output', 'out/photo.jpg', '--overwrite'], cwd, home, gw.scenarioUrl('jpeg-instead'));
      assert.equal(run.code, 0, run.err);
      assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', 'photo.jpg'))), tinyJpeg);
      assert.deepEqual(await readdir(join(cwd, 'out')), ['photo.jpg']);
    });

    it('--output without an extension and --overwrite: out/photo.png that exists is not replaced either', async () => {
      const cwd = await workDir();
      await mkdir(join(cwd, 'out'));
      await writeFile(join(cwd, 'out', 'photo.png'), 'old png');
      const u = gw.scenarioUrl('ok');
      const run = await runCli(['--prompt', 'x', '--output', 'out/photo', '--overwrite'], cwd, home, u);
      assert.equal(run.code, 1, run.err);
      assert.match(errorLine(run), /^out\/photo has no image extension, so the PNG image would be saved as out\/photo\.png, but out\/photo\.png already exists; .*--output out\/photo\.png --overwrite/);
      assert.equal(await readFile(join(cwd, 'out', 'photo.png'), 'utf8'), 'old png');
      assert.deepEqual(await readdir(join(cwd, 'out')), ['photo.png']);
    });
  });

  describe('item 7: names the file system refuses fail before the request; long legal names are saved', () => {
    for (const [label, stem, scenario, saved] of [
      ['a 244-byte name', 'a'.repeat(240), 'ok', 'png'],
      ['a 254-byte .png name (its .webp form is 255 bytes)', 'b'.repeat(250), 'ok', 'png'],
      ['a 254-byte .png name answered with a JPEG', 'c'.repeat(250), 'jpeg-instead', 'jpg'],
    ] as const) {
      it(`${label} is saved, and no temp file stays`, async () => {
        const cwd = await workDir();
        const u = gw.scenarioUrl(scenario);
        const run = await runCli(['--prompt', 'x', '--output', `out/${stem}.png`, '--overwrite'], cwd, home, u);
        assert.equal(run.code, 0, run.err);
        assert.equal(run.out, `out/${stem}.${saved}\n`);
        assert.deepEqual(await readdir(join(cwd, 'out')), [`${stem}.${saved}`]);
        assert.deepEqual(withoutProvenance(await readFile(join(cwd, 'out', `${stem}.${saved}`))), saved === 'png' ? tinyPng : tinyJpeg);
      });
    }

    const refused: { label: string; output: string; message: RegExp }[] = [
      {
        label: 'a 256-byte name',
        output: `out/${'d'.repeat(252)}.png`,
        message: new RegExp(`^Cannot save out/d{252}\\.png: the name d{252}\\.png is 256 bytes long, and a file system takes at most 255 bytes for one name\\. Choose a shorter --output; nothing was sent to the gateway\\.$`),
      },
      {
        label: 'a 255-byte .png name whose .webp form would be 256 bytes',
        output: `out/${'e'.repeat(251)}.png`,
        message: new RegExp(`^Cannot save out/e{251}\\.png: if the gateway sends a WebP image, it is saved as out/e{251}\\.webp, but the name e{251}\\.webp is 256 bytes long`),
      },
      {
        label: 'a name of 84 three-byte characters and .png (256 bytes, 88 characters)',
        output: `out/${'松'.repeat(84)}.png`,
        message: /^Cannot save out\/松{84}\.png: the name 松{84}\.png is 256 bytes long/,
      },
      {
        label: 'a folder name over 255 bytes (--output dir/)',
        output: `${'f'.repeat(256)}/`,
        message: /^Cannot save the image in f{256}\/: the name f{256} is 256 bytes long/,
      },
    ];
    for (const { label, output, message } of refused) {
      for (const overwrite of [false, true]) {
        it(`${label}${overwrite ? ' (--overwrite)' : ''}: exit 1 before any request, with the reason`, async () => {
          const cwd = await workDir();
          const u = gw.scenarioUrl('ok');
          const run = await runCli(['--prompt', 'x', '--output', output, ...(overwrite ? ['--overwrite'] : [])], cwd, home, u);
          assert.equal(run.code, 1, run.err);
          assert.equal(run.out, '');
          assert.match(errorLine(run), message);
          assert.equal(gw.requestsFor(u).length, 0, 'the gateway received no request');
          assert.deepEqual(await readdir(cwd), [], 'nothing created');
        });
      }
    }

    it('the saved path on stdout resolves to the file (a long name is printed whole)', async () => {
      const cwd = await workDir();
      const stem = 'g'.repeat(250);
      const run = await runCli(['--prompt', 'x', '--output', `${stem}.png`], cwd, home, gw.scenarioUrl('ok'));
      assert.equal(run.code, 0, run.err);
      assert.equal(resolve(cwd, run.out.trim()), join(cwd, `${stem}.png`));
    });
  });
});
