/**
 * The test-only delete helper (test/support/removeInside.ts): every delete in the tests goes through it, so it
 * must refuse whatever is not strictly inside the folder it is given — and still delete what is.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathInside, removeInside, removeInsideSync, removeTempFolder, removeTempFolderSync } from '../support/removeInside';

describe('removeInside (the one delete the tests use)', () => {
  let outer: string;
  let base: string;

  before(() => {
    outer = realpathSync(mkdtempSync(path.join(tmpdir(), 'cpa-unit-remove-')));
    base = path.join(outer, 'ws');
    mkdirSync(path.join(base, 'docs', 'images'), { recursive: true });
    mkdirSync(path.join(outer, 'ws-public'), { recursive: true });
    writeFileSync(path.join(outer, 'ws-public', 'keep.png'), 'keep');
    writeFileSync(path.join(outer, 'sibling.txt'), 'keep');
    symlinkSync(path.join(outer, 'ws-public'), path.join(base, 'link-out'));
  });

  after(() => removeTempFolder(outer));

  it('refuses an empty, ".", "..", absolute or escaping path before touching anything', async () => {
    const refused = ['', ' ', '.', './', '..', '../', '../ws-public', '../ws-public/keep.png', 'docs/../..', 'docs/../../sibling.txt',
      '/etc/passwd', path.join(base, 'docs'), 'C:\\Windows', '\\\\server\\share'];
    for (const relativePath of refused) {
      await assert.rejects(removeInside(base, relativePath, { recursive: true }), /removeInside/, JSON.stringify(relativePath));
      assert.throws(() => removeInsideSync(base, relativePath, { recursive: true }), /removeInside/, JSON.stringify(relativePath));
    }
    assert.ok(existsSync(base) && existsSync(path.join(base, 'docs', 'images')), 'the base folder is still there');
    assert.ok(existsSync(path.join(outer, 'ws-public', 'keep.png')) && existsSync(path.join(outer, 'sibling.txt')));
  });

  it('refuses a relative or root base folder, and a path that leaves through a symbolic link', async () => {
    await assert.rejects(removeInside('ws', 'docs'), /absolute/);
    await assert.rejects(removeInside(path.parse(base).root, 'tmp'), /root/);
    await assert.rejects(removeInside(base, 'link-out/keep.png'), /symbolic link/);
    assert.ok(existsSync(path.join(outer, 'ws-public', 'keep.png')), 'the file behind the link is kept');
  });

  it('deletes a file or (recursively) a folder strictly inside the base; a missing one is fine', async () => {
    writeFileSync(path.join(base, 'docs', 'images', 'a.png'), 'x');
    assert.equal(pathInside(base, 'docs/images/a.png'), path.join(base, 'docs', 'images', 'a.png'));
    await removeInside(base, 'docs/images/a.png');
    assert.equal(existsSync(path.join(base, 'docs', 'images', 'a.png')), false);
    await removeInside(base, 'docs/images/a.png'); // already gone
    await assert.rejects(removeInside(base, 'docs/images/a.png', { force: false }), /ENOENT/);
    // A folder needs `recursive`, as with `rm`.
    await assert.rejects(removeInside(base, 'docs'), /EISDIR|ERR_FS_EISDIR|directory/i);
    await removeInside(base, 'docs', { recursive: true });
    assert.equal(existsSync(path.join(base, 'docs')), false);
    // The link itself (not what it points to) is inside and may go.
    await removeInside(base, 'link-out');
    assert.ok(existsSync(path.join(outer, 'ws-public', 'keep.png')));
  });

  it('removeTempFolder deletes only a folder below the temporary folder', async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'cpa-unit-remove-scratch-'));
    await removeTempFolder(scratch);
    assert.equal(existsSync(scratch), false);
    await assert.rejects(removeTempFolder(tmpdir()), /removeInside/);
    await assert.rejects(removeTempFolder(path.dirname(tmpdir())), /removeInside/);
    await assert.rejects(removeTempFolder(''), /removeInside/);
  });

  it('a relative or empty folder is refused even when the working directory is below the temporary folder (a clone in /tmp)', async () => {
    // Regression: '' resolved to the working directory, so a test run from a clone in /tmp deleted the clone.
    const cwd = mkdtempSync(path.join(tmpdir(), 'cpa-unit-remove-cwd-'));
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      for (const dir of ['', ' ', '.', 'sub', './sub']) {
        await assert.rejects(removeTempFolder(dir), /absolute path/, JSON.stringify(dir));
        assert.throws(() => removeTempFolderSync(dir), /absolute path/, JSON.stringify(dir));
      }
      assert.equal(existsSync(cwd), true, 'the working directory is still there');
    } finally {
      process.chdir(previous);
      await removeTempFolder(cwd);
    }
  });
});
