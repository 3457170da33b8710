import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOverlongPath, MAX_NAME_BYTES } from '../../src/core/files/pathLimits';
import { removeTempFolder } from '../support/removeInside';

describe('findOverlongPath', () => {
  it('a 255-byte name passes, a 256-byte name is reported with its length', () => {
    assert.equal(findOverlongPath(`/tmp/${'a'.repeat(255)}`, 'linux'), undefined);
    assert.deepEqual(findOverlongPath(`/tmp/${'a'.repeat(256)}/x.png`, 'linux'), {
      part: 'a'.repeat(256),
      bytes: 256,
      limit: 255,
      whole: false,
    });
  });

  it('counts bytes of UTF-8, not characters: 86 three-byte characters are 258 bytes', () => {
    const name = '松'.repeat(86);
    assert.equal(name.length, 86);
    assert.equal(findOverlongPath(`/tmp/${name}`, 'linux')?.bytes, 258);
    assert.equal(findOverlongPath(`/tmp/${'松'.repeat(85)}`, 'linux'), undefined);
  });

  it('a whole path over PATH_MAX (4095 bytes on Linux, 1023 on macOS) although each name fits', () => {
    const deep = `/${Array.from({ length: 25 }, () => 'd'.repeat(200)).join('/')}`;
    assert.equal(findOverlongPath(deep, 'linux')?.whole, true);
    assert.equal(findOverlongPath(deep, 'linux')?.limit, 4095);
    const mac = `/${Array.from({ length: 6 }, () => 'd'.repeat(200)).join('/')}/x.png`;
    assert.equal(findOverlongPath(mac, 'linux'), undefined);
    assert.equal(findOverlongPath(mac, 'darwin')?.limit, 1023);
  });

  it('Windows: both separators split names; the whole path is not limited (Node uses long paths)', () => {
    assert.equal(findOverlongPath(`C:\\Users\\${'a'.repeat(256)}`, 'win32')?.bytes, 256);
    assert.equal(findOverlongPath(`C:\\${Array.from({ length: 20 }, () => 'd'.repeat(200)).join('\\')}`, 'win32'), undefined);
  });

  it('agrees with this machine: a name of MAX_NAME_BYTES can be created, one byte more fails with ENAMETOOLONG', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cpa-name-'));
    try {
      await writeFile(join(dir, 'n'.repeat(MAX_NAME_BYTES)), 'x');
      await assert.rejects(writeFile(join(dir, 'n'.repeat(MAX_NAME_BYTES + 1)), 'x'), { code: 'ENAMETOOLONG' });
    } finally {
      await removeTempFolder(dir);
    }
  });
});
