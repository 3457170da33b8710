/**
 * How the command-line tool puts an image on disk: a temporary file in the target folder, then a hard link
 * (which fails atomically when the name is taken) or, for --overwrite, a rename. No partial file is ever
 * visible under the final name, and the temporary file is removed on every way out.
 */

import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { uniquePath } from '../core/files/destination';
import { GatewayError } from '../core/errors';
import { FileError } from '../core/files/fileError';

/** What the save needs from the run: the Ctrl+C signal, and the set a hard exit removes temp files from. */
export interface SaveIo {
  signal?: AbortSignal;
  pendingFiles?: Set<string>;
}

export interface SaveTarget {
  /** Absolute path to write. */
  file: string;
  /** The same path as the user wrote it, for messages and stdout. */
  shown: string;
  /** Pick `name-2.ext`, … when taken (folder or default output), instead of failing. */
  unique: boolean;
  overwrite: boolean;
  /** The message when `file` is taken and neither `unique` nor `overwrite` applies, instead of the usual one. */
  takenMessage?: string;
}

/**
 * The temporary file's name: short and of fixed length (25 bytes), whatever the final name, so any final
 * name the file system takes also has a temporary name it takes (a name derived from the final one could
 * push a legal 240-byte name over the 255-byte limit after the image was paid for).
 */
export function temporaryName(): string {
  return `.cpa-${randomBytes(8).toString('hex')}.tmp`;
}

export async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file, so this path cannot exist (saving there fails later with a clear message).
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}

export function fileError(action: string, shown: string, err: unknown): Error {
  if (err instanceof GatewayError || err instanceof FileError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOSPC'
        ? 'the disk is full'
        : code === 'ENOTDIR' || code === 'EEXIST'
          ? 'a part of the path is a file, not a folder'
          : code === 'EROFS'
            ? 'the file system is read-only'
            : (code ?? (err instanceof Error ? err.message : String(err)));
  return new FileError(`Could not ${action} ${shown}: ${why}.`, { cause: err });
}

function takenError(target: SaveTarget): FileError {
  return new FileError(target.takenMessage ?? `${target.shown} already exists. Choose another --output, or pass --overwrite to replace it.`);
}

/** Writes the image under `target` (see the file comment); returns where it went (`-2`… when `unique`). */
export async function saveAtomically(bytes: Uint8Array, target: SaveTarget, io: SaveIo): Promise<SaveTarget> {
  const dir = path.dirname(target.file);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fileError('create the folder for', target.shown, err);
  }
  const temp = path.join(dir, temporaryName());
  io.pendingFiles?.add(temp);
  try {
    try {
      const handle = await open(temp, 'wx', 0o666);
      try {
        await handle.writeFile(bytes);
        // Some file systems (network shares, FUSE) reject fsync; the data was written, so carry on.
        await handle.sync().catch(() => undefined);
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw fileError('write', target.shown, err);
    }
    if (io.signal?.aborted) throw new GatewayError('cancelled', 'The request was cancelled.');

    if (target.overwrite) {
      try {
        await rename(temp, target.file);
      } catch (err) {
        throw fileError('write', target.shown, err);
      }
      return target;
    }
    for (let attempt = 0; attempt < 100; attempt++) {
      const file = target.unique ? await uniquePath(target.file, exists) : target.file;
      const shown = target.unique ? path.join(path.dirname(target.shown), path.basename(file)) : target.shown;
      const placed: SaveTarget = { ...target, file, shown };
      try {
        await link(temp, file);
        await unlink(temp).catch(() => undefined);
        return placed;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          if (target.unique) continue;
          throw takenError(target);
        }
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EXDEV') {
          // A file system without hard links (FAT, some network shares): check, then rename.
          if (await exists(file)) {
            if (target.unique) continue;
            throw takenError(target);
          }
          try {
            await rename(temp, file);
          } catch (renameError) {
            throw fileError('write', placed.shown, renameError);
          }
          return placed;
        }
        throw fileError('write', placed.shown, err);
      }
    }
    throw new FileError(`Could not find a free name next to ${target.shown}.`);
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
    io.pendingFiles?.delete(temp);
  }
}
