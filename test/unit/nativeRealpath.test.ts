import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertInsideWorkspace } from '../../src/core/files/destination';
import { nativeRealpath } from '../../src/vscode/generation/nativeRealpath';
import { removeTempFolder } from '../support/removeInside';
import { FileError } from '../../src/core/files/fileError';

/** On POSIX a Uri.path is the native path; the conversions are exercised separately below. */
const identity = { toNative: (p: string) => p, toPosix: (p: string) => p };

describe('nativeRealpath (the RealpathFn the extension passes to assertInsideWorkspace), on real links', () => {
  let base: string;
  let ws: string;
  let outside: string;

  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'cpa-unit-realpath-')));
    ws = join(base, 'ws');
    outside = join(base, 'outside');
    await mkdir(join(ws, 'docs'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(ws, 'docs', 'guide.md'), '# guide\n');
    await symlink(outside, join(ws, 'docs', 'images')); // docs/images -> ../../outside
    await symlink(join(ws, 'loop-b'), join(ws, 'loop-a')); // loop-a -> loop-b -> loop-a
    await symlink(join(ws, 'loop-a'), join(ws, 'loop-b'));
  });
  after(() => removeTempFolder(base));

  const cases: { name: string; path: () => string; expected: () => string | undefined }[] = [
    { name: 'a plain folder resolves to itself', path: () => join(ws, 'docs'), expected: () => join(ws, 'docs') },
    { name: 'a link resolves to where it leads', path: () => join(ws, 'docs', 'images'), expected: () => outside },
    { name: 'a missing folder (ENOENT) is undefined', path: () => join(ws, 'docs', 'new'), expected: () => undefined },
    { name: 'a folder under a file (ENOTDIR) is undefined', path: () => join(ws, 'docs', 'guide.md', 'images'), expected: () => undefined },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.equal(await nativeRealpath(identity)(c.path()), c.expected());
    });
  }

  it('a link loop (ELOOP) is a FileError that names the folder, not a raw system error', async () => {
    const folder = join(ws, 'loop-a');
    await assert.rejects(nativeRealpath(identity)(folder), (err: unknown) => {
      assert.ok(err instanceof FileError, String(err));
      assert.ok(err.message.includes(folder), err.message);
      assert.match(err.message, /ELOOP/);
      return true;
    });
  });

  it('converts the Uri.path to the native path and the answer back', async () => {
    const seen: string[] = [];
    const fn = nativeRealpath(
      { toNative: (p) => `${base}${p.slice('/c:'.length)}`, toPosix: (p) => `/c:${p.slice(base.length)}` },
      async (p) => {
        seen.push(p);
        return realpath(p);
      },
    );
    assert.equal(await fn('/c:/ws/docs/images'), '/c:/outside');
    assert.deepEqual(seen, [join(ws, 'docs', 'images')]);
  });

  it('with assertInsideWorkspace: refuses the default images folder when it links outside, allows a new plain one', async () => {
    await assert.rejects(assertInsideWorkspace(join(ws, 'docs', 'images', 'fox.png'), ws, nativeRealpath(identity)), (err: unknown) => {
      assert.ok(err instanceof FileError);
      assert.ok(err.message.includes(join(ws, 'docs', 'images')) && err.message.includes(outside), err.message);
      return true;
    });
    await assertInsideWorkspace(join(ws, 'docs', 'pictures', 'deeper', 'fox.png'), ws, nativeRealpath(identity));
  });
});
