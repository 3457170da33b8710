/**
 * The bound on the variants kept in the extension's storage (issue 13 item 3; RELIABILITY.md "Stored variants"):
 * every candidate that was not picked stays there so it can be saved later, and without a cap that folder would
 * only grow. Which files to remove is decided here, as plain data, so the rule is unit-tested without a file system:
 * the oldest first, until both the count and the total size are within the limits, and never a protected file (one
 * that the newest history entries still point at) — even when the protected files alone exceed a limit.
 */

export interface StoredFile {
  /** Any stable key of the file (its URI as a string). */
  key: string;
  bytes: number;
  /** Last modification, epoch ms: older files go first. */
  mtimeMs: number;
}

export interface StorageLimits {
  maxFiles: number;
  maxBytes: number;
}

/** At most 100 files and 500 MiB of stored variants. */
export const STORED_VARIANT_LIMITS: StorageLimits = { maxFiles: 100, maxBytes: 500 * 1024 * 1024 };

/**
 * How many of the history's newest entries keep their stored file whatever the limits say: well below `maxFiles`,
 * so the count can always be met, and 20 images of 25 MiB each would still be within `maxBytes`.
 */
export const PROTECTED_NEWEST_ENTRIES = 20;

/** The keys of the files to remove, oldest first, so that what is left is within `limits`. */
export function filesOverCap(files: readonly StoredFile[], isProtected: (key: string) => boolean, limits: StorageLimits = STORED_VARIANT_LIMITS): string[] {
  let count = files.length;
  let bytes = files.reduce((sum, file) => sum + Math.max(0, file.bytes), 0);
  if (count <= limits.maxFiles && bytes <= limits.maxBytes) return [];
  // Oldest first; the key breaks ties so the choice does not depend on the order the folder was listed in.
  const oldestFirst = [...files].sort((a, b) => a.mtimeMs - b.mtimeMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const removed: string[] = [];
  for (const file of oldestFirst) {
    if (count <= limits.maxFiles && bytes <= limits.maxBytes) break;
    if (isProtected(file.key)) continue;
    removed.push(file.key);
    count -= 1;
    bytes -= Math.max(0, file.bytes);
  }
  return removed;
}
