/**
 * SPEC §4: where a generated image is saved. Works on POSIX path strings (a `Uri.path`, also for remote and
 * virtual workspaces; on Windows that is `/c:/Users/...`), never on the local file system, so the same
 * rules serve the extension and the tests. The semantics follow VS Code's own
 * `markdown.copyFiles.destination` (a leading `/` means the workspace root, a trailing `/` means a folder,
 * a relative result is relative to the document), and our variables are a superset of VS Code's.
 */

import * as path from 'node:path';
import { MAX_TRANSFORM_INPUT_LENGTH, RegexBudget, replaceWithinBudget, unsafeRegexReason } from './boundedRegex';
import { FileError } from './fileError';
import { graphemes } from '../text/graphemes';

const posix = path.posix;

/** Values of the `${name}` variables; undefined means "not available here" (e.g. no document open). */
export interface DestinationVars {
  readonly [name: string]: string | undefined;
}

export interface DestinationInput {
  /** The user's pattern (`cpaImage.destination` or a matched `markdown.copyFiles.destination` value); empty → default. */
  pattern?: string;
  /** POSIX absolute path of the document the image is for, when there is one. */
  documentPath?: string;
  /** POSIX absolute path of the workspace folder the save starts from (the document's folder, or the first one). */
  workspaceFolderPath?: string;
  /** From `slugFromPrompt`. */
  slug: string;
  /** The extension that matches the real image bytes, without the dot: `png`, `jpg`, `webp`. */
  ext: string;
  /** For `${date}`, `${time}`, `${unixTime}`, `${isoTime}`; default now. */
  now?: Date;
}

export const DEFAULT_DOCUMENT_DESTINATION = '${documentDirName}/images/${slug}.${ext}';
export const DEFAULT_WORKSPACE_DESTINATION = '${workspaceFolder}/images/${slug}.${ext}';

/** A destination pattern longer than this is not expanded (its `${…}` syntax itself takes quadratic time). */
export const MAX_DESTINATION_PATTERN_LENGTH = 1024;

/**
 * A destination pattern (or `markdown.copyFiles.destination` glob, see copyFilesGlob.ts) that was not evaluated because it could block
 * the extension host: a transform that could backtrack exponentially, an over-long pattern or value, or
 * regular expressions that ran out of their time. The save then uses the default destination
 * (`resolveDestinationOrDefault`); the message says which rule refused what.
 */
export class UnsafeDestinationPatternError extends FileError {
  override readonly name = 'UnsafeDestinationPatternError';
}

const DEFAULT_SLUG_LENGTH = 48;
const MAX_UNIQUE_ATTEMPTS = 10_000;
/** CON, PRN, AUX, NUL, COM1-9, LPT1-9: names Windows will not create, whatever the extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

/**
 * A file-name-safe slug that stays readable in any script: letters and digits of every language are kept
 * (`一只可爱的松鼠` stays as is), cased letters are lower-cased, everything else becomes `-`.
 */
export function slugFromPrompt(prompt: string, maxLength: number = DEFAULT_SLUG_LENGTH): string {
  const limit = Math.max(1, Math.floor(maxLength));
  const collapsed = prompt
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '-');
  let slug = trimSeparators(collapsed);
  if (codePointLength(slug) > limit) slug = trimSeparators(cutSlug(slug, limit));
  // A leading combining mark has nothing to combine with.
  slug = trimSeparators(slug.replace(/^\p{M}+/u, ''));
  if (slug === '') return 'image';
  if (slug === '.' || slug === '..' || WINDOWS_RESERVED.test(slug)) return `${slug}-image`;
  return slug;
}

function trimSeparators(s: string): string {
  return s.replace(/^[-.]+|[-.]+$/g, '');
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Cuts to at most `limit` code points without splitting a grapheme (so never a surrogate pair or a base
 * letter from its accent), preferring the last `-` in the second half so words stay whole.
 */
function cutSlug(slug: string, limit: number): string {
  let out = '';
  let length = 0;
  for (const segment of graphemes(slug)) {
    const segmentLength = codePointLength(segment);
    if (length + segmentLength > limit) break;
    out += segment;
    length += segmentLength;
  }
  const lastDash = out.lastIndexOf('-');
  if (lastDash >= out.length / 2) return out.slice(0, lastDash);
  return out;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The variables for one save; values that need a document or folder are undefined without one. */
export function destinationVars(input: DestinationInput): DestinationVars {
  const now = input.now ?? new Date();
  const doc = input.documentPath;
  const docDir = doc === undefined ? undefined : posix.dirname(doc);
  const folder = input.workspaceFolderPath === undefined ? undefined : stripTrailingSlash(input.workspaceFolderPath);
  const docFileName = doc === undefined ? undefined : posix.basename(doc);
  const docExt = doc === undefined ? undefined : posix.extname(doc);
  const insideFolder = (p: string | undefined): boolean => p !== undefined && folder !== undefined && isInside(folder, p);
  const fileName = `${input.slug}.${input.ext}`;
  return {
    documentDirName: docDir,
    documentFileName: docFileName,
    documentBaseName: docFileName === undefined || docExt === undefined ? undefined : docFileName.slice(0, docFileName.length - docExt.length),
    documentExtName: docExt === undefined ? undefined : docExt.replace(/^\./, ''),
    documentFilePath: doc,
    documentRelativeFilePath: doc === undefined ? undefined : insideFolder(doc) && folder ? posix.relative(folder, doc) : doc,
    documentRelativeDirName: docDir === undefined ? undefined : insideFolder(docDir) && folder ? posix.relative(folder, docDir) : docDir,
    documentWorkspaceFolder: folder ?? docDir,
    workspaceFolder: folder ?? docDir,
    date: `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`,
    time: `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`,
    unixTime: String(now.getTime()),
    isoTime: now.toISOString(),
    slug: input.slug,
    ext: input.ext,
    fileName,
    fileExtName: input.ext,
  };
}

/**
 * Replaces `${name}` (and VS Code's `${name/regex/replacement/}` transform); `\$` is a literal `$`.
 * An unknown variable, or one that has no value here, is an error that names it. A transform whose regular
 * expression could backtrack exponentially, whose value is over-long, or that runs out of `budget` (all the
 * transforms of one pattern share `REGEX_TIME_LIMIT_MS`) is not run: `UnsafeDestinationPatternError`.
 */
export function expandDestination(pattern: string, vars: DestinationVars, budget: RegexBudget = new RegexBudget()): string {
  if (pattern.length > MAX_DESTINATION_PATTERN_LENGTH) {
    throw tooLongPattern(pattern);
  }
  const syntax = /(?<escape>\\\$)|\$\{(?<name>\w+)(?:\/(?<pattern>(?:\\\/|[^}/])+)\/(?<replacement>(?:\\\/|[^}/])*)\/)?\}/g;
  return pattern.replace(syntax, (...args: unknown[]) => {
    const groups = args[args.length - 1] as Record<string, string | undefined>;
    if (groups['escape'] !== undefined) return '$';
    const name = groups['name'] ?? '';
    if (!Object.hasOwn(vars, name)) {
      throw new FileError(`The destination pattern '${shown(pattern)}' uses an unknown variable \${${name}}. Known variables: ${Object.keys(vars)
          .map((v) => `\${${v}}`)
          .join(', ')}.`,
      );
    }
    const value = vars[name];
    if (value === undefined) {
      throw new FileError(`The destination pattern '${shown(pattern)}' uses \${${name}}, which needs ${name.startsWith('document') ? 'an open document' : 'an open workspace folder'}. Use a pattern without it, or open a document in a workspace folder.`,
      );
    }
    const regex = groups['pattern'];
    if (regex === undefined) return value;
    const source = regex.replaceAll('\\/', '/');
    const replacement = (groups['replacement'] ?? '').replaceAll('\\/', '/');
    const transform = shown(String(args[0]));
    let compiled: RegExp;
    try {
      compiled = new RegExp(source);
    } catch {
      throw new FileError(`The destination pattern '${shown(pattern)}' has an invalid regular expression in \${${name}/…/…/}. Fix or remove the transform.`,
      );
    }
    const unsafe = unsafeRegexReason(source);
    if (unsafe !== undefined) {
      throw new UnsafeDestinationPatternError(`The transform ${transform} in the destination pattern '${shown(pattern)}' was not run: its regular expression ${unsafe}.`);
    }
    if (value.length > MAX_TRANSFORM_INPUT_LENGTH) {
      throw new UnsafeDestinationPatternError(
        `The transform ${transform} in the destination pattern '${shown(pattern)}' was not run: the value of \${${name}} is ${value.length} characters long, and at most ${MAX_TRANSFORM_INPUT_LENGTH} are transformed.`,
      );
    }
    const replaced = replaceWithinBudget(budget, value, compiled, replacement);
    if (replaced === undefined) {
      throw new UnsafeDestinationPatternError(
        `The transform ${transform} in the destination pattern '${shown(pattern)}' was stopped: the transforms of one pattern may take ${budget.limitMs} ms, and it took longer. Simplify its regular expression.`,
      );
    }
    return replaced;
  });
}

function tooLongPattern(pattern: string): UnsafeDestinationPatternError {
  return new UnsafeDestinationPatternError(
    `The destination pattern '${shown(pattern.slice(0, 60))}…' is ${pattern.length} characters long; at most ${MAX_DESTINATION_PATTERN_LENGTH} are allowed, so it was not used.`,
  );
}

/** Control characters (C0, DEL, C1) written as `\u001b`, so a message never carries them raw. */
export function shown(text: string): string {
  return text.replace(CONTROL_CHARACTER_GLOBAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_CHARACTER_GLOBAL = new RegExp(CONTROL_CHARACTER.source, 'g');

/** The first control character (C0, DEL or C1) in `text`, as `U+001B`, or undefined. */
export function controlCharacterIn(text: string): string | undefined {
  const found = CONTROL_CHARACTER.exec(text);
  if (!found) return undefined;
  const code = found[0].charCodeAt(0);
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}${code === 0 ? ' (NUL)' : ''}`;
}

/** Folders a generated image must never be written into, and why. */
const PROTECTED_FOLDERS: Record<string, string> = {
  '.git': "it holds Git's own files (hooks, config), and a file there can change what Git runs",
  '.vscode': "it holds the workspace's settings, tasks and launch configurations",
};

/**
 * The segment as the file system may see it: case folded, without characters that macOS ignores in names,
 * without the trailing dots and spaces and the `:stream` suffix that Windows drops, and the 8.3 short names
 * (`GIT~1`) Windows gives these folders.
 */
function comparableSegment(segment: string): string {
  const visible = segment.replace(/\p{Default_Ignorable_Code_Point}/gu, '').normalize('NFC').toLowerCase();
  const colon = visible.indexOf(':');
  let folded = colon === -1 ? visible : visible.slice(0, colon);
  // A loop, not /[. ]+$/: that regex is quadratic on a long run of dots, and the agent's path can be long.
  let end = folded.length;
  while (end > 0 && (folded[end - 1] === '.' || folded[end - 1] === ' ')) end--;
  folded = folded.slice(0, end);
  if (folded === 'git~1') return '.git';
  if (folded === 'vscode~1') return '.vscode';
  return folded;
}

/**
 * Why a destination path (POSIX, relative to the folder it is saved in, or the pattern as written) names a
 * file nobody should write there: a control character in a segment, or a segment that is `.git` or `.vscode`
 * once normalised (`a/../.git/x`, `.GIT`, `.git.`). Undefined when neither rule applies.
 */
export function destinationPathProblem(relativePath: string): string | undefined {
  const control = controlCharacterIn(relativePath);
  if (control !== undefined) {
    return `contains the control character ${control}; file and folder names may not hold control characters (C0, DEL, C1)`;
  }
  const normalised = posix.normalize(relativePath.replace(/^\/+/, ''));
  for (const segment of normalised.split('/')) {
    const folder = comparableSegment(segment);
    const why = Object.hasOwn(PROTECTED_FOLDERS, folder) ? PROTECTED_FOLDERS[folder] : undefined;
    if (why !== undefined) {
      return `writes inside ${folder}/ (the segment '${shown(segment)}'); images are never saved there because ${why}`;
    }
  }
  return undefined;
}

function stripTrailingSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.replace(/\/+$/, '') || '/' : p;
}

/** True when `child` (normalised) is `root` itself or below it. */
function isInside(root: string, child: string): boolean {
  const rel = posix.relative(root, child);
  return rel === '' || (!rel.startsWith('../') && rel !== '..' && !posix.isAbsolute(rel));
}

const CONTAINMENT_ADVICE = 'Change the pattern (cpaImage.destination or markdown.copyFiles.destination) so the image is saved inside the workspace folder.';

const NAMING_ADVICE = 'Change the destination (cpaImage.destination, markdown.copyFiles.destination, or the path the agent asked for).';

function refuse(pattern: string, problem: string, advice: string = CONTAINMENT_ADVICE): never {
  throw new FileError(`The destination pattern '${shown(pattern)}' ${problem} ${advice}`);
}

/**
 * The absolute POSIX path to save to. Throws `FileError` when the pattern is unusable or the
 * path would leave the workspace folder the save started from.
 */
export function resolveDestination(input: DestinationInput): string {
  const docDir = input.documentPath === undefined ? undefined : posix.dirname(input.documentPath);
  const folder = input.workspaceFolderPath === undefined ? undefined : stripTrailingSlash(input.workspaceFolderPath);
  // The containment root: the workspace folder, or the document's folder when it is outside any workspace.
  const root = folder ?? docDir;
  const rawPattern = input.pattern?.trim() ?? '';
  // Before any regex looks at it: some of the checks below are quadratic on a long run of `${`.
  if (rawPattern.length > MAX_DESTINATION_PATTERN_LENGTH) {
    throw tooLongPattern(rawPattern);
  }
  let pattern = rawPattern === '' ? (docDir !== undefined ? DEFAULT_DOCUMENT_DESTINATION : DEFAULT_WORKSPACE_DESTINATION) : rawPattern;
  if (root === undefined) {
    throw new FileError('There is no workspace folder or document to save the image next to. Open a folder, or save the image with a file dialog.',
    );
  }

  const control = controlCharacterIn(pattern);
  if (control !== undefined) {
    refuse(pattern, `contains the control character ${control}; file and folder names may not hold control characters (C0, DEL, C1).`, NAMING_ADVICE);
  }
  if (/^[a-zA-Z]:/.test(pattern)) refuse(pattern, 'starts with a Windows drive letter; use a path relative to the document or ${workspaceFolder}.');
  // Backslashes other than the `\$` escape would be separators on Windows and a literal character elsewhere.
  if (/\\(?!\$)/.test(pattern.replace(/\$\{[^}]*\}/g, ''))) {
    refuse(pattern, 'contains a backslash; use / as the path separator.');
  }

  // Like markdown.copyFiles.destination: a trailing `/` names a folder.
  if (pattern.endsWith('/')) pattern += '${fileName}';

  const vars = destinationVars({ ...input, ...(folder === undefined ? {} : { workspaceFolderPath: folder }) });
  const expanded = expandDestination(pattern, vars, new RegexBudget());
  if (expanded.includes('\0')) refuse(rawPattern || pattern, 'produces a path with a NUL character.');
  if (expanded.includes('\\')) refuse(rawPattern || pattern, 'produces a path with a backslash; use / as the path separator.');

  // A leading `/` in the pattern means the workspace root (VS Code's rule), unless the path as written is
  // already inside the workspace folder, which is then kept. An absolute path that comes from a variable
  // (`${documentDirName}/…`) is used as it is; anything else is relative to the document's folder.
  let absolute: string;
  if (pattern.startsWith('/')) {
    absolute = isInside(root, posix.normalize(expanded)) ? expanded : posix.join(root, expanded);
  } else if (expanded.startsWith('/')) {
    absolute = expanded;
  } else {
    absolute = posix.join(docDir ?? root, expanded);
  }
  const normalised = posix.normalize(absolute);

  if (!isInside(root, normalised)) {
    refuse(rawPattern || pattern, `leads to ${normalised}, which is outside the workspace folder ${root}.`);
  }
  const name = posix.basename(normalised);
  if (normalised === root || name === '' || name === '.' || name === '..' || normalised.endsWith('/')) {
    refuse(rawPattern || pattern, 'does not end in a file name.');
  }
  // Only the part below the root is the pattern's doing; a workspace that itself lies under a `.vscode` folder is fine.
  const problem = destinationPathProblem(posix.relative(root, normalised));
  if (problem !== undefined) refuse(rawPattern || pattern, `${problem}.`, NAMING_ADVICE);
  return normalised;
}

export interface ResolvedDestination {
  /** The absolute POSIX path to save to. */
  path: string;
  /** Set when the pattern was not used because evaluating it could block the extension host: why, for the log. */
  refusedPattern?: string;
}

/**
 * `resolveDestination`, except that a pattern refused by `UnsafeDestinationPatternError` (a transform that could
 * freeze the extension host) gives the default destination instead of an error: the image has been paid for by
 * then, and VS Code itself keeps going when a transform of this setting fails. Every other refusal still throws.
 */
export function resolveDestinationOrDefault(input: DestinationInput): ResolvedDestination {
  try {
    return { path: resolveDestination(input) };
  } catch (err) {
    if (!(err instanceof UnsafeDestinationPatternError) || (input.pattern?.trim() ?? '') === '') throw err;
    const { pattern: _refused, ...withoutPattern } = input;
    return { path: resolveDestination(withoutPattern), refusedPattern: `${err.message} The image was saved at the default destination instead.` };
  }
}

const imageExtension = /\.(png|jpe?g|webp)$/i;

/**
 * The pattern for a workspace-relative path chosen by a caller (the agent tool): the extension set to the real
 * bytes' (`fox.png` → `fox.jpg`, `fox` → `fox.jpg`), a trailing `/` naming a folder (the file is then named after
 * the prompt), a leading `/` making it relative to the workspace root, and every `$` escaped so a name is never
 * read as a variable. Give the result to `resolveDestination` with the workspace folder.
 */
export function chosenDestinationPattern(destination: string, ext: string): string {
  const trimmed = destination.trim();
  const withExtension = trimmed.endsWith('/')
    ? trimmed
    : imageExtension.test(trimmed)
      ? trimmed.replace(imageExtension, `.${ext}`)
      : `${trimmed}.${ext}`;
  const escaped = withExtension.replace(/^\/+/, '').replace(/\$/g, () => '\\$');
  return `/${escaped}${trimmed.endsWith('/') ? '${fileName}' : ''}`;
}

/**
 * `name.png` if it is free, else `name-2.png`, `name-3.png`, …. Gives up after 10000 names so a broken
 * `exists` cannot loop forever.
 */
export async function uniquePath(filePath: string, exists: (p: string) => Promise<boolean>): Promise<string> {
  if (!(await exists(filePath))) return filePath;
  // Only the last segment changes; both separators are recognised so native Windows paths work too.
  const slash = Math.max(filePath.lastIndexOf('/'), filePath.lastIndexOf('\\'));
  const dir = filePath.slice(0, slash + 1);
  const base = filePath.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const ext = dot > 0 ? base.slice(dot) : '';
  for (let n = 2; n <= MAX_UNIQUE_ATTEMPTS; n++) {
    const candidate = `${dir}${stem}-${n}${ext}`;
    if (!(await exists(candidate))) return candidate;
  }
  throw new FileError(`Could not find a free file name for ${filePath}: ${MAX_UNIQUE_ATTEMPTS} names are taken. Clean up the folder or change the destination.`,
  );
}

/**
 * Resolves the symbolic links of a POSIX path the way the file system sees it, returning a POSIX path in the
 * same form (a `Uri.path`), or undefined when nothing exists at that path. Any other failure is thrown.
 */
export type RealpathFn = (posixPath: string) => Promise<string | undefined>;

/**
 * `resolveDestination` works on path strings and cannot see symbolic links: a folder inside the workspace that
 * links out of it (`images -> /home/me/.ssh`, `docs -> D:\`) would carry the write outside. Call this with the
 * path `resolveDestination` returned, before writing: it resolves the links of the deepest folder on the way
 * to the file that already exists and throws `FileError` when that folder is really outside the
 * (equally resolved) workspace folder. Only folders are checked: the file itself is never written through an
 * existing name (a taken name gets `-2`, and the final rename replaces a link instead of following it).
 * The check and the write are separate steps, so a link created in between is not seen.
 */
export async function assertInsideWorkspace(targetPath: string, workspaceFolderPath: string, realpath: RealpathFn): Promise<void> {
  const root = stripTrailingSlash(posix.normalize(workspaceFolderPath));
  const target = posix.normalize(targetPath);
  if (!isInside(root, target)) {
    throw new FileError(`${target} is outside the workspace folder ${root}. Nothing was saved; change the destination.`);
  }
  const realRoot = await realpath(root);
  if (realRoot === undefined) {
    throw new FileError(`The workspace folder ${root} does not exist (any more). Nothing was saved; reopen the folder.`);
  }
  let folder = posix.dirname(target);
  let real = await realpath(folder);
  // Walks up from the file's folder to the deepest one that exists; the root exists, so this ends there at the latest.
  while (real === undefined && folder !== root && posix.dirname(folder) !== folder) {
    folder = posix.dirname(folder);
    real = await realpath(folder);
  }
  if (real === undefined || !isInside(stripTrailingSlash(realRoot), stripTrailingSlash(real))) {
    throw new FileError(`The destination ${target} is inside the workspace folder by name, but the folder ${folder} is a symbolic link ` +
        `(or lies under one) that leads to ${real ?? 'nowhere'}, outside the workspace folder ${root}. Nothing was saved. ` +
        'Change the destination (cpaImage.destination or markdown.copyFiles.destination) or remove the link.',
    );
  }
}

/**
 * The file of candidate `variant` of one prompt (the CLI's `--variants`, the agent tool's `variants`): the path
 * itself for the first, `name-2.png`, `name-3.png`, … for the others (only the last segment changes).
 */
export function variantPath(filePath: string, variant: number): string {
  if (variant <= 1) return filePath;
  const slash = Math.max(filePath.lastIndexOf('/'), filePath.lastIndexOf('\\'));
  const base = filePath.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const cut = dot > 0 ? slash + 1 + dot : filePath.length;
  return `${filePath.slice(0, cut)}-${variant}${filePath.slice(cut)}`;
}
