/**
 * Where the image goes: the name given by `--output` (or a folder and a slug), its extension following the real image
 * type, and every name checked before the request so a legal name never loses a paid image.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { parseOutputFormat } from '../core/config/config';
import { GatewayError } from '../core/errors';
import { findOverlongPath } from '../core/files/pathLimits';
import type { GeneratedImage } from '../core/types';
import type { CliIo } from './contract';
import { temporaryName } from './save';
import { FileError } from '../core/files/fileError';

/** Extensions that name an image format: when the bytes disagree, the extension is replaced, not appended to. */
export const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'jpe', 'webp', 'gif', 'bmp', 'tif', 'tiff', 'avif', 'heic']);

export const EXTENSION_MATCHES: Record<GeneratedImage['extension'], readonly string[]> = {
  png: ['png'],
  jpg: ['jpg', 'jpeg', 'jpe'],
  webp: ['webp'],
};

/** The requested format implied by `--output x.webp`, when there is one. */
export function formatFromOutput(output: string | undefined): string | undefined {
  if (output === undefined) return undefined;
  const ext = path.extname(output).slice(1).toLowerCase();
  return parseOutputFormat(ext) !== undefined ? ext : undefined;
}

/** `out/x.png` with JPEG bytes → `out/x.jpg`; `out/x` → `out/x.png`; `out/x.jpeg` with JPEG stays. */
export function withRealExtension(file: string, real: GeneratedImage['extension']): { file: string; replaced: boolean } {
  const ext = path.extname(file);
  const given = ext.slice(1).toLowerCase();
  if (EXTENSION_MATCHES[real].includes(given)) return { file, replaced: false };
  if (IMAGE_EXTENSIONS.has(given)) return { file: `${file.slice(0, file.length - ext.length)}.${real}`, replaced: true };
  return { file: `${file}.${real}`, replaced: false };
}

/** The closest existing ancestor of `dir` must be a folder, or the image could never be saved there. */
export async function checkFolderUsable(dir: string, shown: string): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      const info = await stat(current);
      if (!info.isDirectory()) {
        throw new FileError(`Cannot save ${shown}: ${current} is a file, not a folder. Choose another --output.`);
      }
      return;
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return; // let the save report anything else precisely
      if (path.dirname(current) === current) return;
    }
  }
}

/** Where to save, decided before the request so an obvious conflict fails before minutes of generation. */
export async function plannedOutput(output: string | undefined, io: CliIo): Promise<{ dir?: string; file?: string }> {
  if (output === undefined) return { dir: '' };
  const absolute = path.resolve(io.cwd, output);
  if (output.endsWith('/') || output.endsWith(path.sep)) return { dir: output };
  try {
    if ((await stat(absolute)).isDirectory()) return { dir: output };
  } catch {
    // Does not exist yet: a file name.
  }
  return { file: output };
}

/** Each image type's name, by the extension it is saved with. */
export const IMAGE_TYPE_NAMES: Record<GeneratedImage['extension'], string> = { png: 'PNG', jpg: 'JPEG', webp: 'WebP' };

/**
 * Every name the image may be saved under (the one given, the names the real type may switch it to, the
 * longest free name `uniquePath` may pick in a folder, which ends at `-10000`) and the temporary file beside
 * it, checked before the request: a name the file system refuses (ENAMETOOLONG) would otherwise only fail
 * once the image was generated and paid for.
 */
export function checkNameLengths(planned: { dir?: string; file?: string }, slug: string, cwd: string): void {
  const refuse = (subject: string, absolute: string, why: string): void => {
    for (const candidate of [absolute, path.join(path.dirname(absolute), temporaryName())]) {
      const over = findOverlongPath(candidate);
      if (over === undefined) continue;
      const what = over.whole
        ? `its full path is ${over.bytes} bytes long, and the system takes at most ${over.limit} bytes for a path`
        : `the name ${over.part} is ${over.bytes} bytes long, and a file system takes at most ${over.limit} bytes for one name`;
      throw new FileError(`Cannot save ${subject}: ${why}${what}. Choose a shorter --output; nothing was sent to the gateway.`);
    }
  };
  if (planned.file === undefined) {
    const dir = planned.dir ?? '';
    refuse(`the image in ${dir === '' ? cwd : dir}`, path.resolve(cwd, dir, `${slug}-10000.webp`), '');
    return;
  }
  refuse(planned.file, path.resolve(cwd, planned.file), '');
  for (const type of ['png', 'jpg', 'webp'] as const) {
    const { file } = withRealExtension(planned.file, type);
    if (file !== planned.file) {
      refuse(planned.file, path.resolve(cwd, file), `if the gateway sends a ${IMAGE_TYPE_NAMES[type]} image, it is saved as ${file}, but `);
    }
  }
}
