/**
 * The one way a test deletes anything. A test that builds a path from state an earlier step should have set
 * (an empty file name, a `..` from a pattern) must not delete the folder around it: an end-to-end case once
 * tried to `rm` its whole workspace (`EISDIR /tmp/cpa-e2e-…/workspace`) because the name it meant was empty.
 * So a delete names the folder it is confined to and a path relative to it, and anything that is not strictly
 * below that folder — also through a symbolic link in the existing part of the path — is refused before any
 * file is touched.
 */
import { realpathSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RemoveOptions {
  /** Remove a folder with everything in it (like `rm -r`). */
  recursive?: boolean;
  /** A missing target is not an error (like `rm -f`); true unless set. */
  force?: boolean;
}

/** The absolute path `relativePath` names below `base`, or throws when it is not strictly inside `base`. */
export function pathInside(base: string, relativePath: string): string {
  if (typeof base !== 'string' || !path.isAbsolute(base)) throw new Error(`removeInside: the base folder must be an absolute path, got ${JSON.stringify(base)}`);
  const root = path.resolve(base);
  if (root === path.parse(root).root) throw new Error(`removeInside: refusing the file system root as a base (${JSON.stringify(base)})`);
  if (typeof relativePath !== 'string' || relativePath.trim() === '') throw new Error('removeInside: refusing an empty path');
  if (path.isAbsolute(relativePath) || path.win32.isAbsolute(relativePath)) {
    throw new Error(`removeInside: refusing an absolute path ${JSON.stringify(relativePath)}; give it relative to the base`);
  }
  const target = path.resolve(root, relativePath);
  const rel = path.relative(root, target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new Error(`removeInside: ${JSON.stringify(relativePath)} is not strictly inside ${root}`);
  }
  // A symbolic link on the way (an existing parent folder that points elsewhere) must not carry the delete out.
  const parent = existingAncestor(path.dirname(target));
  const realRoot = realpathSync(root);
  const realParent = realpathSync(parent);
  const realRel = path.relative(realRoot, realParent);
  if (realRel === '..' || realRel.startsWith(`..${path.sep}`) || path.isAbsolute(realRel)) {
    throw new Error(`removeInside: ${JSON.stringify(relativePath)} leads out of ${root} through a symbolic link`);
  }
  return target;
}

/** Deletes `relativePath` below `base` (see the file comment for what is refused). */
export async function removeInside(base: string, relativePath: string, options: RemoveOptions = {}): Promise<void> {
  const target = pathInside(base, relativePath);
  await rm(target, { recursive: options.recursive ?? false, force: options.force ?? true });
}

/** The synchronous form, for `finally` blocks and exit handlers. */
export function removeInsideSync(base: string, relativePath: string, options: RemoveOptions = {}): void {
  const target = pathInside(base, relativePath);
  rmSync(target, { recursive: options.recursive ?? false, force: options.force ?? true });
}

/** Deletes a folder a test made with `mkdtemp(path.join(os.tmpdir(), …))`, confined to the temporary folder. */
export async function removeTempFolder(dir: string): Promise<void> {
  const base = tempBaseOf(assertAbsolute(dir));
  await removeInside(base, path.relative(base, dir), { recursive: true });
}

/** The synchronous form of `removeTempFolder`. */
export function removeTempFolderSync(dir: string): void {
  const base = tempBaseOf(assertAbsolute(dir));
  removeInsideSync(base, path.relative(base, dir), { recursive: true });
}

/**
 * A relative `dir` (an empty one above all) would be resolved against the working directory, which may itself be
 * below the temporary folder (a clone in /tmp): the test run would delete the project it runs from.
 */
function assertAbsolute(dir: string): string {
  if (typeof dir !== 'string' || dir.trim() === '' || !path.isAbsolute(dir)) {
    throw new Error(`removeInside: a temporary folder to remove must be an absolute path, got ${JSON.stringify(dir)}`);
  }
  return dir;
}

/** The temporary folder as `dir` spells it: `os.tmpdir()`, or its real path when the test resolved links (macOS). */
function tempBaseOf(dir: string): string {
  const plain = os.tmpdir();
  const real = realpathSync(plain);
  return path.resolve(dir).startsWith(real + path.sep) && !path.resolve(dir).startsWith(plain + path.sep) ? real : plain;
}

function existingAncestor(dir: string): string {
  let current = dir;
  for (;;) {
    try {
      realpathSync(current);
      return current;
    } catch {
      const up = path.dirname(current);
      if (up === current) return current;
      current = up;
    }
  }
}
