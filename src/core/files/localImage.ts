/**
 * Reads the local image a markdown image points at, to send it to the model for alt text (issue 14 item 5). The
 * target is untrusted text of the document, so the file must be inside the folder the document belongs to (the
 * workspace folder, else the document's own folder) after symbolic links are resolved; its size is checked before
 * it is read and the read itself stops past the cap (a file that grows meanwhile); and its type comes from its first
 * bytes, not its name: PNG, JPEG, WebP and GIF are what the Responses API takes as `input_image`.
 *
 * A file that cannot be described is not an error of the run: the answer says why (`skipped`), and the caller prints
 * or shows that note and goes on with the next image.
 */
import { open, realpath } from 'node:fs/promises';
import * as path from 'node:path';
import type { InputImage } from '../types';
import { detectImageType } from '../gateway/imageType';

/** The largest image sent for alt text (the API's own limit per image is larger; a document's picture is smaller). */
export const MAX_ALT_IMAGE_BYTES = 20 * 1024 * 1024;

/** Why a file is not sent: a code for the extension's localised message, and the English note for the CLI and the log. */
export type LocalImageProblem = 'missing' | 'outside' | 'unreadable' | 'notFile' | 'tooLarge' | 'notImage';

export type LocalImage = { ok: true; image: InputImage; file: string } | { ok: false; problem: LocalImageProblem; skipped: string };

export interface LocalImageInput {
  /** The document's own path (native separators). */
  documentPath: string;
  /** The folder the image must be in: the workspace folder of the document, else the document's folder. */
  rootPath: string;
  /** The link destination as a path (escapes and percent-encoding decoded). */
  destination: string;
  maxBytes?: number;
}

const GIF = /^GIF8[79]a/;

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative);
}

/** The image's mime type by its bytes, or undefined when it is none the model takes. */
export function inputImageMime(bytes: Uint8Array): string | undefined {
  const known = detectImageType(bytes)?.mime;
  if (known) return known;
  return GIF.test(Buffer.from(bytes.subarray(0, 6)).toString('latin1')) ? 'image/gif' : undefined;
}

export async function readLocalImage(input: LocalImageInput): Promise<LocalImage> {
  const maxBytes = input.maxBytes ?? MAX_ALT_IMAGE_BYTES;
  const name = input.destination;
  // `/x.png` means the root folder's x.png, as VS Code's markdown preview reads it; anything else is relative to the document.
  const joined = name.startsWith('/') ? path.join(input.rootPath, name) : path.resolve(path.dirname(input.documentPath), name);
  let root: string;
  let file: string;
  try {
    root = await realpath(input.rootPath);
    file = await realpath(joined);
  } catch {
    return { ok: false, problem: 'missing', skipped: `${name} was not found` };
  }
  if (!isInside(root, file)) return { ok: false, problem: 'outside', skipped: `${name} is outside the folder of the document, so it is not sent` };
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return { ok: false, problem: 'unreadable', skipped: `${name} could not be read` };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { ok: false, problem: 'notFile', skipped: `${name} is not a file` };
    if (info.size > maxBytes) return { ok: false, problem: 'tooLarge', skipped: `${name} is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB, so it is not sent` };
    // Read at most one byte past the cap: a file that grew since the check is refused, not read whole.
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.length) break;
    }
    if (filled > maxBytes) return { ok: false, problem: 'tooLarge', skipped: `${name} is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB, so it is not sent` };
    const bytes = buffer.subarray(0, filled);
    const mime = inputImageMime(bytes);
    if (!mime) return { ok: false, problem: 'notImage', skipped: `${name} is not a PNG, JPEG, WebP or GIF image (checked by its bytes)` };
    return { ok: true, image: { mime, bytes }, file };
  } finally {
    await handle.close();
  }
}
