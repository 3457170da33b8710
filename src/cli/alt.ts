/**
 * `cpa-gpt-image alt <file.md>… [--dry-run]`: writes alt text for the images of markdown files whose alt is empty or
 * a placeholder (`![](diagram.png)`, `![image](…)`; core/markdown/altTextImages.ts), as the extension's Write Alt
 * Text does. Each local image is sent as `input_image` to the text model on the Responses route with no image tool
 * (no image quota is spent), at most `--concurrency` at a time (core/batch/workQueue.ts); the answer becomes inert alt
 * text (core/markdown/altTextAnswer.ts) and only the alts change: no other byte of the file. Remote images (http,
 * https) and other schemes are skipped with a note. A file changed by someone else meanwhile is not written. One line
 * per image on stdout, then a summary; exit 1 if any failed (the others are written), 130 when cancelled.
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runQueue } from '../core/batch/workQueue';
import { GatewayError, isCancellation } from '../core/errors';
import { FileError } from '../core/files/fileError';
import { ImageClient } from '../core/gateway/client';
import { applyAltFills, findImagesNeedingAlt, type AltFill, type AltTextImage } from '../core/markdown/altTextImages';
import { skipReason, writeAltText } from '../core/markdown/altTextWriter';
import { redactForDisplay } from '../core/text/redaction';
import { escapeForTerminal } from '../core/text/terminalText';
import { OPTIONS, firstLine, wholeNumber, type Values } from './args';
import { gatewayFromArgs } from './gateway';
import { EXIT_CANCELLED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, NAME, UsageError, type CliIo } from './contract';
import { oneLine } from './output';
import { saveAtomically } from './save';

const MARKDOWN_FILE = /\.(md|markdown|mdx|qmd|rmd)$/i;
/** The most images one run describes, and the largest markdown file read. */
export const MAX_ALT_IMAGES = 200;
export const MAX_ALT_FILE_BYTES = 8 * 1024 * 1024;
const DEFAULT_CONCURRENCY = 3;

export const ALT_HELP = `Usage: ${NAME} alt <file.md>… [--concurrency N] [--dry-run] [options]

Writes alt text for the images of markdown files whose alt is empty or a placeholder: ![](diagram.png),
![image](…), ![screenshot](…), ![图片](…), an alt that is a file name (markdownlint MD045). Each local
image is sent to the text model (--model) on the Responses route WITHOUT the image tool, so no image is
generated; the answer is one sentence in the language of the text around the image, made safe and written
into the alt. No other byte of the file changes. Images in code, HTML and front matter are left alone;
remote images (http, https) are skipped with a note. At most ${MAX_ALT_IMAGES} images per run.

      --concurrency <1-8>     images described at once (default ${DEFAULT_CONCURRENCY})
      --dry-run               list the images that would be described; send nothing, write nothing
  The request options apply too: --model, --stream, --timeout, --max-attempts, --total-timeout,
  --verbose, --quiet.

One line per image on standard output ("docs/guide.md:12: diagram.png: A bar chart of …", "skipped: …"
or "failed: …"), then a summary. Exit status: 0 all written (or skipped), 1 one or more failed (the others
are written), 2 usage error, 130 cancelled.
`;

const ALT_OPTIONS = {
  ...OPTIONS,
  concurrency: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

interface AltDocument {
  file: string;
  shown: string;
  text: string;
  images: AltTextImage[];
  fills: AltFill[];
}

interface AltItem {
  doc: AltDocument;
  image: AltTextImage;
  line: number;
}

export async function runAlt(argv: readonly string[], io: CliIo): Promise<number> {
  const errorLine = (message: string): void => {
    io.stderr.write(`${NAME}: ${escapeForTerminal(oneLine(message))}\n`);
  };
  const out = (line: string): void => void io.stdout.write(`${escapeForTerminal(line)}\n`);
  const secrets = { current: [] as readonly string[] };
  try {
    const { values, positionals } = parseAltCommandLine(argv);
    if (values.help) {
      io.stdout.write(ALT_HELP);
      return EXIT_OK;
    }
    for (const flag of ['prompt', 'prompt-file', 'output', 'overwrite', 'variants'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to alt: the images are the ones the files link to`);
    }
    if (positionals.length === 0) throw new UsageError('alt needs at least one markdown file (see alt --help)');
    const concurrency = values.concurrency === undefined ? DEFAULT_CONCURRENCY : wholeNumber(values.concurrency, '--concurrency');
    if (concurrency < 1 || concurrency > 8) throw new UsageError(`--concurrency must be from 1 to 8, not ${concurrency}`);

    const docs = await readDocuments(positionals, io.cwd);
    const all: AltItem[] = docs.flatMap((doc) => doc.images.map((image) => ({ doc, image, line: lineOf(doc.text, image.start) })));
    // Remote images and other schemes are noted, never sent.
    const items: AltItem[] = [];
    let skipped = 0;
    for (const item of all) {
      const reason = skipReason(item.image);
      if (reason === undefined) items.push(item);
      else {
        skipped += 1;
        out(`${item.doc.shown}:${item.line}: skipped: ${oneLine(reason)}`);
      }
    }
    if (items.length > MAX_ALT_IMAGES) {
      throw new UsageError(`${items.length} images without alt text were found; at most ${MAX_ALT_IMAGES} are described in one run. Name fewer files.`);
    }
    if (values['dry-run'] === true) {
      for (const item of items) out(`${item.doc.shown}:${item.line}: would describe ${oneLine(item.image.rawDestination)}`);
      io.stdout.write(
        `${items.length} image${items.length === 1 ? '' : 's'} would be described in ${docs.length} file${docs.length === 1 ? '' : 's'}` +
          `${skipped > 0 ? `, ${skipped} skipped` : ''}; nothing was sent.\n`,
      );
      return EXIT_OK;
    }
    if (items.length === 0) {
      io.stdout.write(`No local image without alt text in ${docs.length} file${docs.length === 1 ? '' : 's'}${skipped > 0 ? ` (${skipped} skipped)` : ''}.\n`);
      return EXIT_OK;
    }

    const { gateway, log } = await gatewayFromArgs(values, io, secrets);
    const client = new ImageClient({ logger: log });
    let results;
    try {
      results = await runQueue(items, {
        concurrency,
        ...(io.signal ? { signal: io.signal } : {}),
        run: async (item, _index, signal) => {
          const outcome = await writeAltText(client, {
            image: item.image,
            documentText: item.doc.text,
            documentPath: item.doc.file,
            rootPath: containingFolder(item.doc.file, io.cwd),
            settings: gateway,
            signal,
          });
          if (outcome.kind === 'skipped') {
            out(`${item.doc.shown}:${item.line}: skipped: ${oneLine(outcome.note)}`);
            return false;
          }
          item.doc.fills.push({ image: item.image, alt: outcome.alt });
          out(`${item.doc.shown}:${item.line}: ${oneLine(item.image.rawDestination)}: ${outcome.alt}`);
          return true;
        },
      });
    } finally {
      await client.close().catch(() => undefined);
    }

    let failed = 0;
    let cancelled = 0;
    let written = 0;
    results.forEach((result, index) => {
      const item = items[index] as AltItem;
      if (result.kind === 'failed') {
        failed += 1;
        const message = result.error instanceof GatewayError || result.error instanceof FileError ? result.error.message : `unexpected error: ${String(result.error)}`;
        out(`${item.doc.shown}:${item.line}: failed: ${oneLine(redactForDisplay(message, secrets.current))}`);
      } else if (result.kind === 'cancelled') cancelled += 1;
      else if (result.value) written += 1;
      else skipped += 1;
    });

    // Each document gets the alts that were written, also after a failure or a cancel; only if nobody changed it.
    let unwritten = 0;
    for (const doc of docs) {
      if (doc.fills.length === 0) continue;
      const now = await readFile(doc.file, 'utf8').catch(() => undefined);
      if (now !== doc.text) {
        unwritten += 1;
        errorLine(`${doc.shown} changed while its alt texts were written, so it was not written (the alt texts are listed above).`);
        continue;
      }
      await saveAtomically(Buffer.from(applyAltFills(doc.text, doc.fills), 'utf8'), { file: doc.file, shown: doc.shown, unique: false, overwrite: true }, io);
    }

    const filesTouched = docs.filter((d) => d.fills.length > 0).length - unwritten;
    io.stdout.write(
      `${written} of ${all.length} alt text${all.length === 1 ? '' : 's'} written in ${filesTouched} file${filesTouched === 1 ? '' : 's'}` +
        `${skipped > 0 ? `, ${skipped} skipped` : ''}${failed > 0 ? `, ${failed} failed` : ''}${cancelled > 0 ? `, ${cancelled} cancelled` : ''}.\n`,
    );
    if (cancelled > 0 || io.signal?.aborted) return EXIT_CANCELLED;
    return failed > 0 || unwritten > 0 ? EXIT_FAILURE : EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) {
      errorLine(err.message);
      return EXIT_USAGE;
    }
    if (isCancellation(err) || io.signal?.aborted) {
      errorLine('cancelled.');
      return EXIT_CANCELLED;
    }
    const message = err instanceof GatewayError || err instanceof FileError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    errorLine(redactForDisplay(message, secrets.current));
    return EXIT_FAILURE;
  }
}

function parseAltCommandLine(argv: readonly string[]): { values: Values & { concurrency?: string; 'dry-run'?: boolean }; positionals: string[] } {
  try {
    return parseArgs({ args: [...argv], options: ALT_OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if ((err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new UsageError(`unknown option '${/'([^']+)'/.exec(message)?.[1] ?? message}' (see alt --help)`);
    }
    throw new UsageError(`${firstLine(message)} (see alt --help)`);
  }
}

async function readDocuments(names: readonly string[], cwd: string): Promise<AltDocument[]> {
  const docs: AltDocument[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const file = path.resolve(cwd, name);
    if (seen.has(file)) continue;
    seen.add(file);
    const info = await stat(file).catch(() => undefined);
    if (!info) throw new UsageError(`${name}: no such file`);
    if (!info.isFile() || !MARKDOWN_FILE.test(file)) throw new UsageError(`${name} is not a markdown file (.md, .markdown, .mdx, .qmd, .rmd)`);
    if (info.size > MAX_ALT_FILE_BYTES) throw new UsageError(`${name} is larger than ${MAX_ALT_FILE_BYTES / 1024 / 1024} MiB`);
    const text = await readFile(file, 'utf8');
    docs.push({ file, shown: shownPath(file, cwd), text, images: findImagesNeedingAlt(text), fills: [] });
  }
  return docs;
}

/** The folder an image of `file` must be in: the working directory when the document is inside it, else the document's folder. */
function containingFolder(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  const inside = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  return inside ? cwd : path.dirname(file);
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
