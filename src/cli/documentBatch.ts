/**
 * What the CLI's document subcommands (`fill`, `alt`) share: reading their own command line, the line printed for a
 * failed item, writing each document back only when nobody changed it meanwhile, and the exit code of an error that
 * ended the whole run. Each subcommand keeps its own flow (what it finds, asks and changes).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { GatewayError, isCancellation } from '../core/errors';
import { FileError } from '../core/files/fileError';
import { redactForDisplay } from '../core/text/redaction';
import { escapeForTerminal } from '../core/text/terminalText';
import { firstLine } from './args';
import { EXIT_CANCELLED, EXIT_FAILURE, EXIT_USAGE, NAME, UsageError, type CliIo } from './contract';
import { oneLine } from './output';
import { saveAtomically } from './save';

/** The key the run's errors are redacted with, known once the gateway is resolved. */
export interface RunSecrets {
  current: readonly string[];
}

/** `cpa-gpt-image: <message>` on stderr, on one line, safe for a terminal. */
export function errorLineTo(io: CliIo): (message: string) => void {
  return (message) => io.stderr.write(`${NAME}: ${escapeForTerminal(oneLine(message))}\n`);
}

/** The subcommand's own arguments; an unknown option or a bad value is a usage error that points to its --help. */
export function parseSubcommandLine<V>(
  argv: readonly string[],
  options: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>,
  subcommand: string,
): { values: V; positionals: string[] } {
  try {
    // The values' type is the caller's: it names the options it passed (node:util cannot infer through a parameter).
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }) as unknown as { values: V; positionals: string[] };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if ((err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new UsageError(`unknown option '${/'([^']+)'/.exec(message)?.[1] ?? message}' (see ${subcommand} --help)`);
    }
    throw new UsageError(`${firstLine(message)} (see ${subcommand} --help)`);
  }
}

/** The words of an item's failure: ours for the errors we make, "unexpected error" for anything else; redacted. */
export function failureText(error: unknown, secrets: RunSecrets): string {
  const message = error instanceof GatewayError || error instanceof FileError ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  return oneLine(redactForDisplay(message, secrets.current));
}

interface ChangedDocument {
  file: string;
  shown: string;
  /** The text as read before the run. */
  text: string;
}

/**
 * Writes each document that has changes (`changed(doc)` gives its new text, undefined for none), atomically, only if
 * its file still holds the text read before the run; a document changed meanwhile is named (`whyNotWritten`) and
 * left alone. Returns how many were written and how many were not.
 */
export async function writeBackDocuments<D extends ChangedDocument>(
  docs: readonly D[],
  changed: (doc: D) => string | undefined,
  io: CliIo,
  whyNotWritten: (doc: D) => string,
): Promise<{ written: number; unwritten: number }> {
  const errorLine = errorLineTo(io);
  let written = 0;
  let unwritten = 0;
  for (const doc of docs) {
    const next = changed(doc);
    if (next === undefined) continue;
    const now = await readFile(doc.file, 'utf8').catch(() => undefined);
    if (now !== doc.text) {
      unwritten += 1;
      errorLine(whyNotWritten(doc));
      continue;
    }
    await saveAtomically(Buffer.from(next, 'utf8'), { file: doc.file, shown: doc.shown, unique: false, overwrite: true }, io);
    written += 1;
  }
  return { written, unwritten };
}

/** The exit code of an error that ended the whole run, with its line on stderr. */
export function runFailure(err: unknown, io: CliIo, secrets: RunSecrets): number {
  const errorLine = errorLineTo(io);
  if (err instanceof UsageError) {
    errorLine(err.message);
    return EXIT_USAGE;
  }
  if (isCancellation(err) || io.signal?.aborted) {
    errorLine('cancelled.');
    return EXIT_CANCELLED;
  }
  errorLine(failureText(err, secrets));
  return EXIT_FAILURE;
}
