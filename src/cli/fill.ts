/**
 * `cpa-gpt-image fill <file.md|folder>…`: fills the empty image links of markdown files in place, the way the
 * extension's CodeLens does one at a time. The links are found with the extension's rules (`![alt]()`, `![alt]( )`,
 * `![alt](<>)` and `![alt]` with no target; never in code, HTML comments or front matter); each alt text is the
 * prompt; the images are saved where the extension would save them (`images/` next to the document, or
 * `--destination PATTERN` with the extension's variables), at most `--concurrency` at a time (core/batch/workQueue.ts);
 * then each document gets the links of its images that were saved, and no other byte changes. A document changed by
 * someone else meanwhile is not written (its images stay, their links are printed). One line per image on stdout,
 * then a summary; exit 1 if any image failed (the others stay filled), 130 when cancelled.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { runQueue } from '../core/batch/workQueue';
import { resolveDestination, slugFromPrompt } from '../core/files/destination';
import { ImageClient } from '../core/gateway/client';
import { findEmptyImageLinks, markdownImageDestination, type EmptyImageLink } from '../core/markdown/emptyImageLinks';
import { applyTargetFills, type TargetFill } from '../core/markdown/fillTargets';
import { escapeForTerminal } from '../core/text/terminalText';
import { OPTIONS, wholeNumber, type Values } from './args';
import { gatewayFromArgs } from './gateway';
import { EXIT_CANCELLED, EXIT_FAILURE, EXIT_OK, NAME, UsageError, type CliIo } from './contract';
import { oneLine, routeSwitchLine, usageLine } from './output';
import { saveAtomically } from './save';
import { failureText, parseSubcommandLine, runFailure, writeBackDocuments, type RunSecrets } from './documentBatch';
import { resolveStyle } from '../core/config/config';
import { defaultProcessing, processImage } from '../core/image/process';
import { softwareName, withProvenance } from '../core/image/provenance';
import { frontMatterStyle } from '../core/prompt/styles';
import type { GatewaySettings } from '../core/types';

/** Markdown files by extension (the languages the extension's CodeLens serves). */
const MARKDOWN_FILE = /\.(md|markdown|mdx|qmd|rmd)$/i;
/** The most markdown files one run reads, and the most images it asks for: a wrong folder must not become a bill. */
export const MAX_FILL_FILES = 2000;
export const MAX_FILL_IMAGES = 200;
/** A markdown file larger than this is not read (a document is far smaller). */
export const MAX_FILL_FILE_BYTES = 8 * 1024 * 1024;
const DEFAULT_CONCURRENCY = 3;

export const FILL_HELP = `Usage: ${NAME} fill <file.md|folder>… [--concurrency N] [--dry-run] [--destination PATTERN] [options]

Fills the empty image links of markdown files in place: every ![alt]() (or ![alt] with no target) outside
code, HTML comments and front matter gets an image generated from its alt text, saved in images/ next to the
document (or where --destination says), and its link written into the target. No other byte of the file
changes. Folders are searched for .md, .markdown, .mdx, .qmd and .rmd files (not in hidden folders or
node_modules). At most ${MAX_FILL_IMAGES} images and ${MAX_FILL_FILES} files per run.

      --concurrency <1-8>     images generated at once (default ${DEFAULT_CONCURRENCY})
      --dry-run               list what would be generated; send nothing, write nothing
      --destination <pattern> where images go, with the extension's variables
                              (default \${documentDirName}/images/\${slug}.\${ext})
  The request options of the single-image command apply too: --model, --format, --size, --quality,
  --background, --style, --stream, --partial-images, --timeout, --max-attempts, --total-timeout, --verbose, --quiet.

One line per image on standard output ("docs/guide.md:12: images/a-fox.png", or "failed: …"), then a
summary. Exit status: 0 all filled, 1 one or more failed (the others stay filled), 2 usage error,
130 cancelled.
`;

const FILL_OPTIONS = {
  ...OPTIONS,
  concurrency: { type: 'string' },
  'dry-run': { type: 'boolean' },
  destination: { type: 'string' },
} as const;

/** One empty link of one document, to be generated. */
interface FillItem {
  doc: DocumentToFill;
  link: EmptyImageLink;
  line: number;
}

interface DocumentToFill {
  file: string;
  /** As printed: relative to the working directory when inside it. */
  shown: string;
  text: string;
  links: EmptyImageLink[];
  fills: TargetFill[];
}

export async function runFill(argv: readonly string[], io: CliIo): Promise<number> {
  const secrets: RunSecrets = { current: [] };
  try {
    const { values, positionals } = parseSubcommandLine<Values & { concurrency?: string; 'dry-run'?: boolean; destination?: string }>(argv, FILL_OPTIONS, 'fill');
    if (values.help) {
      io.stdout.write(FILL_HELP);
      return EXIT_OK;
    }
    for (const flag of ['prompt', 'prompt-file', 'output', 'overwrite', 'variants'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to fill: the prompts are the alt texts and the files go where --destination says`);
    }
    if (positionals.length === 0) throw new UsageError('fill needs at least one markdown file or folder (see fill --help)');
    const concurrency = values.concurrency === undefined ? DEFAULT_CONCURRENCY : wholeNumber(values.concurrency, '--concurrency');
    if (concurrency < 1 || concurrency > 8) throw new UsageError(`--concurrency must be from 1 to 8, not ${concurrency}`);

    const docs = await readDocuments(positionals, io.cwd);
    const items: FillItem[] = docs.flatMap((doc) => doc.links.map((link) => ({ doc, link, line: lineOf(doc.text, link.start) })));
    if (items.length > MAX_FILL_IMAGES) {
      throw new UsageError(`${items.length} empty image links were found; at most ${MAX_FILL_IMAGES} are filled in one run. Name fewer files.`);
    }
    if (values['dry-run'] === true) {
      for (const item of items) io.stdout.write(`${escapeForTerminal(`${item.doc.shown}:${item.line}: would generate "${oneLine(item.link.prompt)}"`)}\n`);
      io.stdout.write(`${items.length} image${items.length === 1 ? '' : 's'} would be generated in ${docs.filter((d) => d.links.length > 0).length} of ${docs.length} file${docs.length === 1 ? '' : 's'}; nothing was sent.\n`);
      return EXIT_OK;
    }
    if (items.length === 0) {
      io.stdout.write(`No empty image links in ${docs.length} file${docs.length === 1 ? '' : 's'}.\n`);
      return EXIT_OK;
    }

    const { gateway, log } = await gatewayFromArgs(values, io, secrets);
    // The destination pattern is checked before anything is sent (an unknown variable, a path out of the folder).
    const pattern = values.destination;
    for (const doc of docs) if (doc.links.length > 0) destinationFor(doc, pattern, 'check', 'png', io.cwd);

    const client = new ImageClient({ logger: log });
    // `--api auto` leaving the Responses route is said once per run, not once per image (issue 14).
    let routeSwitchSaid = false;
    let results;
    try {
      results = await runQueue(items, {
        concurrency,
        ...(io.signal ? { signal: io.signal } : {}),
        run: async (item, _index, signal, release) => {
          const docGateway = gatewayForDocument(gateway, item.doc);
          const delivered = await client.generate(docGateway, { prompt: item.link.prompt }, { signal });
          // The gateway has answered: the next link's request need not wait for this file.
          release();
          log.info(`${item.doc.shown}:${item.line}: ${usageLine(delivered, Date.now())}`);
          if (delivered.routeSwitch && !routeSwitchSaid) {
            routeSwitchSaid = true;
            io.stderr.write(`${escapeForTerminal(routeSwitchLine(delivered.routeSwitch))}\n`);
          }
          // The post-process stage, as for one image: fit to the asked size, shrink, re-encode.
          const { image: processed } = await processImage(delivered, docGateway.tool.size, docGateway.processing ?? defaultProcessing);
          const image = withProvenance(processed, item.link.prompt, docGateway, softwareName('CLI'));
          const target = destinationFor(item.doc, pattern, slugFromPrompt(item.link.prompt), image.extension, io.cwd);
          const saved = await saveAtomically(image.bytes, { file: target, shown: target, unique: true, overwrite: false }, io);
          const documentPath = toPosix(item.doc.file);
          const destination = markdownImageDestination({ imagePath: toPosix(saved.file), documentPath, workspaceFolderPath: rootOf(item.doc.file, io.cwd) });
          item.doc.fills.push({ link: item.link, destination });
          io.stdout.write(`${escapeForTerminal(`${item.doc.shown}:${item.line}: ${destination}`)}\n`);
          return saved.file;
        },
      });
    } finally {
      await client.close().catch(() => undefined);
    }

    let failed = 0;
    let cancelled = 0;
    results.forEach((result, index) => {
      const item = items[index] as FillItem;
      if (result.kind === 'failed') {
        failed += 1;
        io.stdout.write(`${escapeForTerminal(`${item.doc.shown}:${item.line}: failed: ${failureText(result.error, secrets)}`)}\n`);
      } else if (result.kind === 'cancelled') {
        cancelled += 1;
      }
    });

    // Each document gets the links of the images that were saved, also after a failure or a cancel.
    const { unwritten } = await writeBackDocuments(
      docs,
      (doc) => (doc.fills.length > 0 ? applyTargetFills(doc.text, doc.fills) : undefined),
      io,
      (doc) => `${doc.shown} changed while its images were generated, so it was not written; its images are saved (their links are listed above).`,
    );

    const done = results.filter((r) => r.kind === 'done').length;
    const filesTouched = docs.filter((d) => d.fills.length > 0).length;
    io.stdout.write(
      `${done} of ${items.length} image${items.length === 1 ? '' : 's'} generated and linked in ${filesTouched} file${filesTouched === 1 ? '' : 's'}` +
        `${failed > 0 ? `, ${failed} failed` : ''}${cancelled > 0 ? `, ${cancelled} cancelled` : ''}.\n`,
    );
    if (cancelled > 0 || io.signal?.aborted) return EXIT_CANCELLED;
    return failed > 0 || unwritten > 0 ? EXIT_FAILURE : EXIT_OK;
  } catch (err) {
    return runFailure(err, io, secrets);
  }
}

/** The markdown files named (or found in the folders named), each read once, with its empty links. */
async function readDocuments(names: readonly string[], cwd: string): Promise<DocumentToFill[]> {
  const files: string[] = [];
  for (const name of names) {
    const full = path.resolve(cwd, name);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new UsageError(`${name}: no such file or folder`);
    if (info.isDirectory()) await collectMarkdown(full, files);
    else if (MARKDOWN_FILE.test(full)) files.push(full);
    else throw new UsageError(`${name} is not a markdown file (.md, .markdown, .mdx, .qmd, .rmd)`);
    if (files.length > MAX_FILL_FILES) throw new UsageError(`more than ${MAX_FILL_FILES} markdown files; name fewer files or folders`);
  }
  const unique = [...new Set(files)];
  const docs: DocumentToFill[] = [];
  for (const file of unique) {
    const info = await stat(file);
    if (info.size > MAX_FILL_FILE_BYTES) throw new UsageError(`${shownPath(file, cwd)} is larger than ${MAX_FILL_FILE_BYTES / 1024 / 1024} MiB`);
    const text = await readFile(file, 'utf8');
    docs.push({ file, shown: shownPath(file, cwd), text, links: findEmptyImageLinks(text), fills: [] });
  }
  return docs;
}

async function collectMarkdown(dir: string, into: string[], depth = 0): Promise<void> {
  if (depth > 32) return;
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (into.length > MAX_FILL_FILES) return;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      await collectMarkdown(full, into, depth + 1);
    } else if (entry.isFile() && MARKDOWN_FILE.test(entry.name)) {
      into.push(full);
    }
  }
}

/**
 * Where an image of `doc` goes: the extension's rules, with the working directory as the folder the images may not
 * leave when the document is inside it, else the document's own folder.
 */
function destinationFor(doc: DocumentToFill, pattern: string | undefined, slug: string, ext: string, cwd: string): string {
  return fromPosix(
    resolveDestination({
      ...(pattern !== undefined ? { pattern } : {}),
      documentPath: toPosix(doc.file),
      workspaceFolderPath: rootOf(doc.file, cwd),
      slug,
      ext,
    }),
  );
}

function rootOf(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  const inside = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  return toPosix(inside ? cwd : path.dirname(file));
}

function toPosix(file: string): string {
  return path.sep === '/' ? file : `/${file.split(path.sep).join('/')}`;
}

function fromPosix(file: string): string {
  return path.sep === '/' ? file : file.replace(/^\//, '').split('/').join(path.sep);
}

function shownPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

/**
 * The settings for the links of one document: its front matter's `image-style: NAME` replaces the run's style
 * (--style), so a document keeps its own look. An unknown name fails that document's images with a message naming
 * the known styles.
 */
function gatewayForDocument(gateway: GatewaySettings, doc: DocumentToFill): GatewaySettings {
  const style = frontMatterStyle(doc.text);
  if (style === undefined) return gateway;
  const { style: _runStyle, ...rest } = gateway;
  return { ...rest, ...resolveStyle({ style }) };
}
