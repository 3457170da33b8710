/**
 * SPEC §4: where a generated image goes and how it gets there. The path comes from `cpaImage.destination`,
 * else the first matching `markdown.copyFiles.destination` glob, else `images/` next to the document (or at
 * the root of the first workspace folder); with nothing open, a save dialog asks. In Restricted Mode the
 * workspace's `markdown.copyFiles.destination` is ignored; a pattern whose globs or transforms could freeze
 * the extension host (core/boundedRegex.ts) gives way to the default destination, with a note for the log.
 * Writes go through `workspace.fs` (local, remote and virtual workspaces alike) into a hidden temporary file
 * in the target folder that is renamed into place, so a cancelled or failed run leaves no partial file behind.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { FileSystemError, FileType, Uri, l10n, window, workspace } from 'vscode';
import type { TextDocument, WorkspaceFolder } from 'vscode';
import {
  UnsafeDestinationPatternError,
  assertInsideWorkspace,
  chosenDestinationPattern,
  resolveDestination,
  resolveDestinationOrDefault,
  slugFromPrompt,
  uniquePath,
  variantPath,
} from '../../core/files/destination';
import { matchCopyFilesDestination } from '../../core/files/copyFilesGlob';
import { GatewayError, throwIfAborted } from '../../core/errors';
import type { GeneratedImage } from '../../core/types';
import { nativeRealpath } from './nativeRealpath';
import { readCopyFilesDestination } from '../settings';
import { errorText } from '../../core/text/describe';
import { FileError } from '../../core/files/fileError';

const posix = path.posix;

export interface SaveRequest {
  /** Only the bytes and their real extension are written (a stored variant saved later has nothing else). */
  image: Pick<GeneratedImage, 'bytes' | 'extension'>;
  prompt: string;
  /** The document the image is for, when one was active. */
  document?: TextDocument;
  /** `cpaImage.destination`, when set. */
  destinationPattern?: string;
  /** Save as a new file next to this one (`<base>-edit.<ext>`, then `-edit-2`, …), instead of the pattern. */
  saveNextTo?: Uri;
  /** The word after the base name for `saveNextTo` (default `edit`). */
  saveNextToSuffix?: string;
  /** A workspace-relative file path chosen by the caller (the agent tool), instead of the pattern. */
  destination?: string;
  /** Candidate 2–4 of one prompt: `-<variant>` after the file name the destination gives (core variantPath). */
  variant?: number;
  signal: AbortSignal;
}

export interface SavedImage {
  uri: Uri;
  /** Where the pattern came from, for the log. */
  patternSource: 'cpaImage.destination' | 'markdown.copyFiles.destination' | 'default' | 'save dialog' | 'next to the edited image' | 'chosen destination';
  /** Why a configured destination was not used (Restricted Mode, a transform that could freeze the host), for the log. */
  notes?: string[];
}

/** The user closed the save dialog: nothing was saved (not a failure of the gateway or of a file). */
export class SaveDismissed extends Error {
  constructor() {
    super('The image was not saved: the save dialog was dismissed.');
    this.name = 'SaveDismissed';
  }
}

/** A document whose file the image can be placed next to (not untitled, on a writable file system). */
function savedDocument(document: TextDocument | undefined): TextDocument | undefined {
  if (!document || document.isUntitled) return undefined;
  return workspace.fs.isWritableFileSystem(document.uri.scheme) === true ? document : undefined;
}

/**
 * Saves the image. Returns undefined when the user dismissed the save dialog. Throws `FileError`
 * when the destination is unusable, `GatewayError('cancelled')` when `signal` fired before the file was in place.
 */
export async function saveGeneratedImage(request: SaveRequest): Promise<SavedImage | undefined> {
  const { image, prompt, signal } = request;
  if (request.saveNextTo) return saveNextTo(request.saveNextTo, image, signal, request.saveNextToSuffix ?? 'edit');
  const document = savedDocument(request.document);
  if (request.destination !== undefined) return saveAtChosenDestination(request.destination, document, prompt, image, signal, request.variant);
  const folder: WorkspaceFolder | undefined =
    (document ? workspace.getWorkspaceFolder(document.uri) : undefined) ?? (document ? undefined : workspace.workspaceFolders?.[0]);

  if (!document && !folder) return saveWithDialog(request);

  let pattern = request.destinationPattern;
  let patternSource: SavedImage['patternSource'] = pattern ? 'cpaImage.destination' : 'default';
  const notes: string[] = [];
  if (!pattern && document) {
    const setting = readCopyFilesDestination(workspace.getConfiguration('markdown', document.uri), workspace.isTrusted);
    if (setting.ignoredWorkspaceValue) {
      notes.push('markdown.copyFiles.destination from the workspace settings was ignored: the workspace is not trusted (Restricted Mode). Only the user setting counts.');
    }
    let matched: string | undefined;
    try {
      // As VS Code does: the document's whole path, and `/`-rooted globs tried below every open folder.
      const folders = (workspace.workspaceFolders ?? []).map((f) => f.uri.path);
      matched = setting.map ? matchCopyFilesDestination(setting.map, document.uri.path, folders) : undefined;
    } catch (err) {
      if (!(err instanceof UnsafeDestinationPatternError)) throw err;
      notes.push(`${err.message} The default destination was used.`);
    }
    if (matched) {
      pattern = matched;
      patternSource = 'markdown.copyFiles.destination';
    }
  }

  const base = folder?.uri ?? (document as TextDocument).uri;
  const resolved = resolveDestinationOrDefault({
    ...(pattern !== undefined ? { pattern } : {}),
    ...(document ? { documentPath: document.uri.path } : {}),
    ...(folder ? { workspaceFolderPath: folder.uri.path } : {}),
    slug: slugFromPrompt(prompt),
    ext: image.extension,
  });
  if (resolved.refusedPattern !== undefined) {
    notes.push(`${patternSource}: ${resolved.refusedPattern}`);
    patternSource = 'default';
  }
  const target = variantPath(resolved.path, request.variant ?? 1);
  const targetUri = base.with({ path: target, query: '', fragment: '' });
  // The same root resolveDestination contained the path in: the workspace folder, else the document's folder.
  await assertReallyInside(targetUri, folder?.uri.path ?? posix.dirname((document as TextDocument).uri.path));
  const uri = await writeUnique(targetUri, image.bytes, signal);
  return { uri, patternSource, ...(notes.length > 0 ? { notes } : {}) };
}

/** Edit Image: `photo.png` → `photo-edit.png` (then `photo-edit-2.png`, …) in the same folder, with the real extension. */
async function saveNextTo(original: Uri, image: SaveRequest['image'], signal: AbortSignal, suffix: string): Promise<SavedImage> {
  const dir = posix.dirname(original.path);
  const name = posix.basename(original.path);
  const dot = name.lastIndexOf('.');
  const base = dot > 0 ? name.slice(0, dot) : name;
  const target = original.with({ path: posix.join(dir, `${base}-${suffix}.${image.extension}`), query: '', fragment: '' });
  // An image inside a workspace folder keeps its edit inside it too; one the user opened from elsewhere was their choice.
  const folder = workspace.getWorkspaceFolder(original);
  if (folder) await assertReallyInside(target, folder.uri.path);
  const uri = await writeUnique(target, image.bytes, signal);
  return { uri, patternSource: 'next to the edited image' };
}

/**
 * A workspace-relative path chosen by the caller: resolved inside the workspace folder of the document (else the
 * first folder) with the same containment rules as a destination pattern, the extension set to the real bytes',
 * and never overwriting.
 */
async function saveAtChosenDestination(
  destination: string,
  document: TextDocument | undefined,
  prompt: string,
  image: SaveRequest['image'],
  signal: AbortSignal,
  variant = 1,
): Promise<SavedImage> {
  const folder = (document ? workspace.getWorkspaceFolder(document.uri) : undefined) ?? workspace.workspaceFolders?.[0];
  if (!folder) {
    throw new FileError(`Cannot save the image to ${destination}: no workspace folder is open. Open a folder first.`);
  }
  const pattern = chosenDestinationPattern(destination, image.extension);
  const target = variantPath(resolveDestination({ pattern, workspaceFolderPath: folder.uri.path, slug: slugFromPrompt(prompt), ext: image.extension }), variant);
  const targetUri = folder.uri.with({ path: target, query: '', fragment: '' });
  await assertReallyInside(targetUri, folder.uri.path);
  const uri = await writeUnique(targetUri, image.bytes, signal);
  return { uri, patternSource: 'chosen destination' };
}

/**
 * `resolveDestination` contains the path as a string; a folder on the way may still be a symbolic link that leads
 * out of the workspace (`docs/images -> /home/me/.ssh`). On the local file system the links are resolved and such a
 * folder is refused with a `FileError` that names it (RELIABILITY.md §4). Other schemes (virtual file
 * systems) have no realpath: there the string containment stands. Only the folder matters: the file name changes
 * (`-2`, `-3`) within it, and the final rename never writes through an existing name.
 */
async function assertReallyInside(target: Uri, root: string): Promise<void> {
  if (target.scheme !== 'file') return;
  await assertInsideWorkspace(
    target.path,
    root,
    nativeRealpath({ toNative: (p) => target.with({ path: p }).fsPath, toPosix: (p) => Uri.file(p).path }),
  );
}

async function saveWithDialog(request: SaveRequest): Promise<SavedImage | undefined> {
  const { image, prompt, signal } = request;
  const name = `${slugFromPrompt(prompt)}.${image.extension}`;
  const home = homeFolder();
  const chosen = await window.showSaveDialog({
    title: l10n.t('Save the generated image'),
    saveLabel: l10n.t('Save Image'),
    filters: { [l10n.t('Images')]: [image.extension] },
    ...(home ? { defaultUri: Uri.joinPath(home, name) } : {}),
  });
  if (!chosen) return undefined;
  throwIfAborted(signal);
  // The dialog already asked whether to replace an existing file.
  await writeAtomically(chosen, image.bytes, signal, true);
  return { uri: chosen, patternSource: 'save dialog' };
}

/**
 * A variant kept in the extension's storage until the user picks it (issue 13 item 3): `<folder>/<name>.<ext>`, never
 * overwriting (`-2`, …), written atomically like a workspace image. The folder is the extension's own, so no
 * workspace containment applies.
 */
export async function saveIntoStorage(folder: Uri, name: string, image: SaveRequest['image'], signal: AbortSignal): Promise<Uri> {
  return writeUnique(Uri.joinPath(folder, `${name}.${image.extension}`), image.bytes, signal);
}

/** Where the save dialog starts when nothing is open. */
function homeFolder(): Uri | undefined {
  const home = process.env['HOME'] ?? process.env['USERPROFILE'];
  return home ? Uri.file(home) : undefined;
}

async function exists(uri: Uri): Promise<boolean> {
  try {
    await workspace.fs.stat(uri);
    return true;
  } catch {
    // FileNotFound, or a stat the file system cannot answer: the write that follows reports real problems.
    return false;
  }
}

/** Picks a free name (`-2`, `-3`, …) and writes there; a name taken in the meantime by a parallel run is retried. */
async function writeUnique(target: Uri, bytes: Uint8Array, signal: AbortSignal): Promise<Uri> {
  for (let attempt = 0; ; attempt++) {
    const free = await uniquePath(target.path, (p) => exists(target.with({ path: p })));
    const uri = target.with({ path: free });
    try {
      await writeAtomically(uri, bytes, signal, false);
      return uri;
    } catch (err) {
      if (attempt < 5 && err instanceof FileSystemError && err.code === 'FileExists') continue;
      throw err;
    }
  }
}

async function ensureDirectory(dir: Uri): Promise<void> {
  try {
    await workspace.fs.createDirectory(dir);
  } catch (err) {
    const stat = await workspace.fs.stat(dir).then(
      (s) => s,
      () => undefined,
    );
    if (!stat || (stat.type & FileType.Directory) === 0) {
      throw new FileError(`Could not create the folder ${dir.path}: ${errorText(err)}`, { cause: err });
    }
  }
}

/**
 * Writes `bytes` to a hidden temporary file beside `target`, then renames it into place. The temporary file is
 * removed on any failure, and cancellation is honoured up to the rename.
 */
export async function writeAtomically(target: Uri, bytes: Uint8Array, signal: AbortSignal, overwrite: boolean): Promise<void> {
  throwIfAborted(signal);
  const dir = target.with({ path: posix.dirname(target.path) });
  await ensureDirectory(dir);
  // Short and of fixed length, not derived from the target's name: a legal name near the 255-byte limit must
  // not fail only because its temporary name is longer.
  const temporary = target.with({ path: posix.join(dir.path, `.cpa-${randomBytes(8).toString('hex')}.cpa-tmp`) });
  try {
    await workspace.fs.writeFile(temporary, bytes);
    throwIfAborted(signal);
    await workspace.fs.rename(temporary, target, { overwrite });
  } catch (err) {
    await workspace.fs.delete(temporary, { useTrash: false }).then(
      () => undefined,
      () => undefined,
    );
    if (err instanceof FileSystemError && err.code === 'FileExists') throw err;
    if (err instanceof GatewayError) throw err;
    throw new FileError(`Could not write ${target.path}: ${errorText(err)}`, { cause: err });
  }
}
