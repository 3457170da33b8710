/**
 * Which images one "Edit Image…" sends (issue 14 item 4). From the Explorer, VS Code runs a context-menu command with
 * the clicked file and the whole selection; the edit sends the selection with the clicked file first (the result is
 * saved next to it, and on the Images route the first image is the one a mask would apply to), then the others in
 * the selection's order, each once. Both checks here run before any request: too many files, and files whose bytes
 * are not a PNG, JPEG or WebP whatever they are called. Pure: the caller reads the files and words the messages.
 */
import { MAX_EDIT_IMAGES } from '../gateway/editInputs';
import { describeBytes, detectImageType } from '../gateway/imageType';
import type { InputImage } from '../types';

/** What to send, or why nothing is: more files than the route takes. */
export type EditSelection<T> = { kind: 'send'; items: T[] } | { kind: 'tooMany'; count: number; limit: number };

/**
 * The files of one edit, in the order they are sent. `selected` is the Explorer's selection (absent when the command
 * ran with one file: the preview's title bar, the palette); `keyOf` says when two entries are the same file. When the
 * clicked file is not part of the selection, VS Code's own rule for the Explorer applies: the command is about the
 * clicked file alone. `limit` is the route's (both routes are held to the Images API's documented 16).
 */
export function editSelection<T>(
  clicked: T,
  selected: readonly T[] | undefined,
  keyOf: (item: T) => string,
  limit: number = MAX_EDIT_IMAGES,
): EditSelection<T> {
  const clickedKey = keyOf(clicked);
  const inSelection = selected?.some((item) => keyOf(item) === clickedKey) ?? false;
  const items: T[] = [clicked];
  const seen = new Set([clickedKey]);
  if (inSelection) {
    for (const item of selected ?? []) {
      const key = keyOf(item);
      if (seen.has(key)) continue;
      seen.add(key);
      items.push(item);
    }
  }
  return items.length > limit ? { kind: 'tooMany', count: items.length, limit } : { kind: 'send', items };
}

/** A file that was read, with the bytes it holds. */
export interface ReadEditFile<T> {
  item: T;
  bytes: Uint8Array;
}

/** The read files sorted into images (with their real type) and the files that are not images by their bytes. */
export interface EditFileKinds<T> {
  images: { item: T; image: InputImage }[];
  /** In the order given; `startsWith` quotes the first bytes for the message (untrusted text: make it inert). */
  notImages: { item: T; startsWith: string }[];
}

/** Sorts the files by their bytes: the name decides nothing (a text file called `.png` is not an image). */
export function sortEditFiles<T>(files: readonly ReadEditFile<T>[]): EditFileKinds<T> {
  const kinds: EditFileKinds<T> = { images: [], notImages: [] };
  for (const { item, bytes } of files) {
    const type = detectImageType(bytes);
    if (type) kinds.images.push({ item, image: { mime: type.mime, bytes } });
    else kinds.notImages.push({ item, startsWith: describeBytes(bytes, 24) });
  }
  return kinds;
}
