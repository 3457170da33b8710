/**
 * How long a path the file system takes, checked before a request so that a name it would refuse
 * (ENAMETOOLONG) never costs a generation. Node has no `pathconf()`, so the limits are constants:
 * one name (path component) is at most 255 bytes of UTF-8 on Linux (ext4, xfs, btrfs, tmpfs) and at most
 * 255 UTF-8 bytes on macOS (APFS); NTFS counts 255 UTF-16 units, which is never more than the UTF-8 bytes,
 * so 255 bytes holds on all three. A whole path is at most PATH_MAX - 1 bytes: 4095 on Linux, 1023 on macOS;
 * Node gives Windows long paths (`\\?\`), so there only the names are checked.
 */

export const MAX_NAME_BYTES = 255;

const MAX_PATH_BYTES: Partial<Record<NodeJS.Platform, number>> = { linux: 4095, darwin: 1023 };

export interface OverlongPath {
  /** The name (or, when `whole`, the whole path) that is too long. */
  part: string;
  bytes: number;
  limit: number;
  /** The whole path is over the platform's limit, although each name fits. */
  whole: boolean;
}

/** The first name of `absolutePath` longer than the file system takes, else the whole path if it is too long. */
export function findOverlongPath(absolutePath: string, platform: NodeJS.Platform = process.platform): OverlongPath | undefined {
  const separators = platform === 'win32' ? /[\\/]/ : /\//;
  for (const part of absolutePath.split(separators)) {
    const bytes = Buffer.byteLength(part, 'utf8');
    if (bytes > MAX_NAME_BYTES) return { part, bytes, limit: MAX_NAME_BYTES, whole: false };
  }
  const limit = MAX_PATH_BYTES[platform];
  const bytes = Buffer.byteLength(absolutePath, 'utf8');
  if (limit !== undefined && bytes > limit) return { part: absolutePath, bytes, limit, whole: true };
  return undefined;
}
