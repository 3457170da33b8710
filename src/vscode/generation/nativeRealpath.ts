/**
 * The local file system's answer to "where does this folder really lead?", shaped as the `RealpathFn` that
 * `assertInsideWorkspace` (core/destination.ts) takes. It imports no `vscode`, so it is unit-tested against real
 * links; saveImage.ts passes the conversions between a `Uri.path` and a native path (the same string on POSIX,
 * `/c:/x` ↔ `c:\x` on Windows).
 */
import { promises as fs } from 'node:fs';
import type { RealpathFn } from '../../core/files/destination';
import { FileError } from '../../core/files/fileError';

export interface PathConversions {
  /** `Uri.path` → the path node:fs understands (`uri.with({ path }).fsPath`). */
  toNative(posixPath: string): string;
  /** node:fs's path → `Uri.path` (`Uri.file(native).path`). */
  toPosix(nativePath: string): string;
}

/**
 * A `RealpathFn` over node:fs: the resolved path, or undefined when nothing exists there (ENOENT, or ENOTDIR when a
 * file stands where a folder would be): folders that do not exist yet are fine, the save creates them. Any other
 * failure (a link loop, no permission) is a `FileError` that names the folder, so the save stops with a
 * message the user can act on instead of an unexplained system error.
 */
export function nativeRealpath(paths: PathConversions, realpath: (nativePath: string) => Promise<string> = (p) => fs.realpath(p)): RealpathFn {
  return async (posixPath) => {
    try {
      return paths.toPosix(await realpath(paths.toNative(posixPath)));
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      const reason = code ?? (err instanceof Error ? err.message : String(err));
      throw new FileError(`Could not check where the folder ${posixPath} leads (${reason}), so the image was not saved there. Fix the folder's links or permissions, or change the destination.`,
        { cause: err },
      );
    }
  };
}

function errnoCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
