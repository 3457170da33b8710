/** What the command-line tool promises its caller: its name, its exit codes, and what it needs from its process. */
import { type Readable } from 'node:stream';

export const NAME = 'cpa-gpt-image';

/** Prompts longer than this are surely a wrong file. */
export const MAX_PROMPT_BYTES = 1024 * 1024;

/** Exit codes: 0 saved, 1 failed, 2 a usage error, 130 cancelled (Ctrl+C, as shells report SIGINT). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_CANCELLED = 130;

/** A mistake in the command line: exit 2. */
export class UsageError extends Error {}

/** What the tool needs from its process; `runCli` takes it so the whole run stays testable. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  stdin: Readable;
  env: Record<string, string | undefined>;
  cwd: string;
  homeDir: string;
  /** Fires on Ctrl+C / SIGTERM. */
  signal?: AbortSignal;
  /** Temp files being written, so a hard exit can still remove them. */
  pendingFiles?: Set<string>;
}
