/**
 * `--image FILE` (repeatable) and `--mask FILE`: the images of an edit and its mask, read and checked before any
 * request is spent (issue 14): each a real PNG, JPEG or WebP under the API's 50 MB, at most the route's 16, and the
 * mask a PNG under 4 MB with the first image's dimensions (core/gateway/editInputs.ts holds those rules).
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { InputImage } from '../core/types';
import { GatewayError } from '../core/errors';
import { detectImageType } from '../core/gateway/imageType';
import { MAX_EDIT_IMAGES, checkEditInputs } from '../core/gateway/editInputs';
import { UsageError, type CliIo } from './contract';

/** "PNG, WebP or JPG, each under 50 MB" for GPT image models (images-api.md §8). */
const MAX_IMAGE_BYTES = 50 * 1024 * 1024;

async function readImageFile(file: string, flag: string, io: CliIo): Promise<InputImage> {
  const full = path.resolve(io.cwd, file);
  let bytes: Buffer;
  try {
    const info = await stat(full);
    if (!info.isFile()) throw new UsageError(`${flag} ${file} is not a file`);
    if (info.size >= MAX_IMAGE_BYTES) throw new UsageError(`${flag} ${file} is ${info.size} bytes; the image API takes files under 50 MB`);
    bytes = await readFile(full);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(err));
    throw new UsageError(`cannot read ${flag} ${file}: ${why}`);
  }
  const type = detectImageType(bytes);
  if (!type) throw new UsageError(`${flag} ${file} is not a PNG, JPEG or WebP image`);
  return { mime: type.mime, bytes };
}

/** The edit the flags ask for: nothing without `--image`; `--mask` alone is a usage error. */
export async function readEditFiles(values: { image?: string[]; mask?: string }, io: CliIo): Promise<{ inputImages?: InputImage[]; mask?: InputImage }> {
  const files = values.image ?? [];
  if (values.mask !== undefined && files.length === 0) throw new UsageError('--mask needs the image it applies to: add --image FILE');
  if (files.length === 0) return {};
  if (files.length > MAX_EDIT_IMAGES) throw new UsageError(`--image takes at most ${MAX_EDIT_IMAGES} files (the image API's limit for an edit); ${files.length} were given`);
  const inputImages: InputImage[] = [];
  for (const file of files) inputImages.push(await readImageFile(file, '--image', io));
  const mask = values.mask !== undefined ? await readImageFile(values.mask, '--mask', io) : undefined;
  try {
    checkEditInputs({ inputImages, ...(mask ? { mask } : {}) });
  } catch (err) {
    if (err instanceof GatewayError) throw new UsageError(`--mask ${values.mask ?? ''}: ${err.message}`);
    throw err;
  }
  return { inputImages, ...(mask ? { mask } : {}) };
}
