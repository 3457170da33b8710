/**
 * VS Code's `markdown.copyFiles.destination`: which destination a document gets. Matched the way VS Code's own
 * markdown extension matches it (`getDesiredNewFilePath`/`parseGlob` in extensions/markdown-language-features),
 * so a setting means the same in both:
 *
 * - the globs are tried in the order of the map; the first glob that matches gives the destination;
 * - a glob is matched with `picomatch.isMatch(documentPath, glob, { dot: true })` against the document's whole
 *   path (`Uri.path`, POSIX, `/c:/…` on Windows), not a path relative to a folder;
 * - a glob that starts with `/` is joined to each workspace folder in turn (`Uri.joinPath(folder, glob).path`),
 *   so it matches below any open folder; with no folder open it matches nothing;
 * - any other glob that does not start with `**` gets `**∕` in front, so `docs/*.md` matches a `docs` folder at
 *   any depth, also for a document outside every workspace folder.
 *
 * picomatch's POSIX build is used on every platform: the document path is a URI path, and VS Code on macOS and
 * Linux reads `\` as an escape (`a\*.md` matches the file `a*.md`). (VS Code on Windows, with picomatch 2's
 * platform default, reads it as a separator instead.)
 *
 * The globs come from the workspace and picomatch turns them into regular expressions: `*a*a*a*a*a*a*a*b` on a
 * 60-character name backtracks for seconds, and picomatch itself loops for ever on a glob that ends in four or
 * more backslashes (`a\\\\`; it freezes VS Code's own paste as well). So compiling and matching all the globs of
 * one document run together under the time limit of `boundedRegex.ts`, and a glob longer than
 * `MAX_COPY_FILES_GLOB_LENGTH` is not compiled at all: either throws `UnsafeDestinationPatternError` naming the
 * glob, and the save falls back to the default destination.
 *
 * picomatch is loaded on the first match, not at activation: in the extension it is `dist/picomatch.js` beside the
 * bundle (esbuild.mjs), required by path only when a save first reads this setting.
 */
import * as path from 'node:path';
import { RegexBudget, firstTrueWithinBudget } from './boundedRegex';
import { UnsafeDestinationPatternError, shown } from './destination';

const posix = path.posix;

/** A glob longer than this is not compiled (real ones are a few dozen characters). */
export const MAX_COPY_FILES_GLOB_LENGTH = 1024;

type Picomatch = typeof import('picomatch');
let loaded: Picomatch | undefined;

/**
 * picomatch's POSIX build, required on first use. One match of a fixed glob warms it up outside any budget: the
 * first call compiles picomatch's own parser (milliseconds, tens of them on a busy machine), which is not the
 * work of the user's globs and must not use up their time.
 */
function picomatch(): Picomatch {
  if (loaded === undefined) {
    loaded = require('picomatch/posix') as Picomatch;
    loaded.isMatch('/w/.a/b.md', '**/+(.a|c)/{b,d}[a-z]?(x)*.md', { dot: true });
  }
  return loaded;
}

/**
 * The globs VS Code tries for one entry of the setting: a `/`-rooted glob joined to each workspace folder, a glob
 * starting with `**` as it is, any other with `**∕` in front.
 */
export function copyFilesGlobsFor(rawGlob: string, workspaceFolderPaths: readonly string[]): string[] {
  if (rawGlob.startsWith('/')) return workspaceFolderPaths.map((folder) => posix.join(folder, rawGlob));
  if (!rawGlob.startsWith('**')) return [`**/${rawGlob}`];
  return [rawGlob];
}

/**
 * The destination of the first entry of `map` (in its order) whose glob matches `documentPath` (the document's
 * `Uri.path`), or undefined when none does. `workspaceFolderPaths` are the `Uri.path`s of all the open workspace
 * folders, in their order. Throws `UnsafeDestinationPatternError` when a glob that had to be tried is over-long or
 * was still compiling or matching when the budget ran out (a later match could not be trusted to be the first).
 * Entries whose destination is not a string are skipped.
 */
export function matchCopyFilesDestination(
  map: Record<string, unknown>,
  documentPath: string,
  workspaceFolderPaths: readonly string[],
  budget: RegexBudget = new RegexBudget(),
): string | undefined {
  const candidates: { rawGlob: string; glob: string; destination: string }[] = [];
  let overLong: string | undefined;
  for (const [rawGlob, destination] of Object.entries(map)) {
    if (typeof destination !== 'string') continue;
    if (rawGlob.length > MAX_COPY_FILES_GLOB_LENGTH) {
      // The globs before it may still match first; it and those after it are never compiled.
      overLong = rawGlob;
      break;
    }
    for (const glob of copyFilesGlobsFor(rawGlob, workspaceFolderPaths)) candidates.push({ rawGlob, glob, destination });
  }
  const { isMatch } = picomatch();
  const found = firstTrueWithinBudget(
    budget,
    candidates.map(({ glob }) => () => isMatch(documentPath, glob, { dot: true })),
  );
  if ('timedOutAt' in found) {
    const rawGlob = candidates[found.timedOutAt]?.rawGlob ?? '';
    throw new UnsafeDestinationPatternError(
      `Matching the markdown.copyFiles.destination glob '${shown(rawGlob)}' against ${shown(shownPath(documentPath, workspaceFolderPaths))} was stopped: the globs may take ${budget.limitMs} ms together, and it took longer. Simplify the glob.`,
    );
  }
  if (found.index >= 0) return candidates[found.index]?.destination;
  if (overLong !== undefined) {
    throw new UnsafeDestinationPatternError(
      `The markdown.copyFiles.destination glob '${shown(overLong.slice(0, 60))}…' is ${overLong.length} characters long; at most ${MAX_COPY_FILES_GLOB_LENGTH} are allowed, so it was not used.`,
    );
  }
  return undefined;
}

/** The document's path relative to the first workspace folder that holds it, else the whole path: for messages. */
function shownPath(documentPath: string, workspaceFolderPaths: readonly string[]): string {
  for (const folder of workspaceFolderPaths) {
    const relative = posix.relative(folder, documentPath);
    if (relative !== '' && !relative.startsWith('../') && relative !== '..' && !posix.isAbsolute(relative)) return relative;
  }
  return documentPath;
}
