/**
 * The command-line tool (SPEC §6): `node dist/cli.js --prompt "…" --output out/x.png`. It shares the
 * resolution chain and the client with the extension; there is no SecretStorage here, so the key comes
 * from the environment or OpenClaw. Output contract: the saved path on stdout and exit 0; on failure one
 * line `cpa-gpt-image: <message>` on stderr and exit 1 (2 for usage errors, 130 when cancelled).
 */

import { rmSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ImageClient } from './core/gateway/client';
import { describeResolvedConfig, parseOutputFormat, resolveConfig, toGatewaySettings, type UserSettings } from './core/config/config';
import { slugFromPrompt } from './core/files/destination';
import { GatewayError, isCancellation } from './core/errors';
import { nullLogger, redactingLogger } from './core/logger';
import { loadOpenClaw } from './core/config/openclaw';
import { redactForDisplay } from './core/text/redaction';
import { findOverlongPath } from './core/files/pathLimits';
import { escapeForTerminal } from './core/text/terminalText';
import type { GeneratedImage, Logger, ProgressEvent, RetryReason } from './core/types';
import { exists, saveAtomically, temporaryName, type SaveTarget } from './cliSave';

declare const __EXTENSION_VERSION__: string;

const NAME = 'cpa-gpt-image';
/** Prompts longer than this are surely a wrong file. */
const MAX_PROMPT_BYTES = 1024 * 1024;

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const EXIT_CANCELLED = 130;

const HELP = `Usage: ${NAME} --prompt "a cute squirrel" [--output out/squirrel.png] [options]

Generates an image through an OpenAI-compatible gateway (POST <base>/v1/responses with a text model
and the image_generation tool) and saves it. Prints the saved path.

Prompt (one of):
  -p, --prompt <text>         the prompt; "-" reads it from standard input
      --prompt-file <path>    read the prompt from a file ("-" for standard input)

Output:
  -o, --output <path>         file to write; its extension follows the real image bytes
                              (out/x.png becomes out/x.jpg if the gateway sends a JPEG).
                              A folder (ending in /) gets <slug>.<ext>. Default: <slug>.<ext> here.
      --overwrite             replace an existing file instead of failing (only the file named
                              by --output, never a name the real image type switched to)

Request:
  -m, --model <name>          text model (default gpt-5.4; gpt-image-* is refused)
  -f, --format <png|jpeg|webp>  requested output format (default from --output, else png)
      --stream                stream the answer (server-sent events)
      --size <WxH>            e.g. 1024x1024, 1536x1024, auto
      --quality <q>           low, medium, high, auto
      --background <b>        transparent, opaque, auto
      --partial-images <0-3>  streamed previews (turns on --stream)
      --timeout <seconds>     per attempt (default 600)
      --max-attempts <n>      requests in all for one image, whatever made them retry: rate
                              limits, server errors, text-only answers (1-20, default 5)
      --total-timeout <seconds>  time for one image in all, attempts and waits (default 900)

Other:
  -v, --verbose               log requests, retries and timing on standard error (never the key)
  -q, --quiet                 no progress lines, only the saved path or the error
  -h, --help                  show this help
      --version               show the version

Configuration comes from the environment and OpenClaw, in this order:
  base URL  IMAGE_GEN_BASE_URL, OTCBOT_BASE_URL, CPA_BASE_URL, OPENAI_BASE_URL, OpenClaw otcbot provider
  API key   IMAGE_GEN_KEY, OTCBOT_API_KEY, CPA_API_KEY, OPENAI_API_KEY, OpenClaw otcbot provider
  model     --model, IMAGE_GEN_MODEL, OTCBOT_IMAGE_MODEL, CPA_MODEL, OpenClaw otcbot default model, gpt-5.4
  format    --format, IMAGE_GEN_OUTPUT_FORMAT, png
  headers   CPA_USER_AGENT, CPA_VERSION, CPA_ORIGINATOR, CPA_SESSION_ID

Progress (phase, partial images, retries and their delay) is shown on standard error while streaming,
when standard error is a terminal, or with --verbose; --quiet turns it off. A failure is always the last
line, prefixed "cpa-gpt-image:". Control characters in what is printed (the gateway's words, file names)
are shown escaped, e.g. \\x1b, so they cannot act on the terminal.
Exit status: 0 saved, 1 failed, 2 usage error, 130 cancelled (Ctrl+C).
`;

/** A mistake in the command line: exit 2. */
class UsageError extends Error {}

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

const OPTIONS = {
  prompt: { type: 'string', short: 'p' },
  'prompt-file': { type: 'string' },
  output: { type: 'string', short: 'o' },
  overwrite: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  model: { type: 'string', short: 'm' },
  format: { type: 'string', short: 'f' },
  stream: { type: 'boolean' },
  size: { type: 'string' },
  quality: { type: 'string' },
  background: { type: 'string' },
  'partial-images': { type: 'string' },
  timeout: { type: 'string' },
  'max-attempts': { type: 'string' },
  'total-timeout': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseCommandLine>;

function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const option = /'([^']+)'/.exec(message)?.[1] ?? message;
      throw new UsageError(`unknown option '${option}' (see --help)`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const arg = /'([^']+)'/.exec(message)?.[1] ?? '';
      throw new UsageError(`unexpected argument '${arg}'; put the prompt after --prompt (see --help)`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const option = /(--[\w-]+)/.exec(message)?.[1];
      throw new UsageError(option ? `option '${option}' needs a value (see --help)` : `${firstLine(message)} (see --help)`);
    }
    throw new UsageError(`${firstLine(message)} (see --help)`);
  }
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0] ?? text;
}

function versionString(): string {
  return typeof __EXTENSION_VERSION__ === 'string' ? __EXTENSION_VERSION__ : 'dev';
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} needs a whole number, not '${value}'`);
  return Number(value.trim());
}

function positiveSeconds(value: string, flag: string): number {
  const n = Number(value.trim());
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0)) throw new UsageError(`${flag} needs a number of seconds greater than 0, not '${value}'`);
  return n;
}

async function readAll(stream: Readable, signal: AbortSignal | undefined, what: string): Promise<string> {
  if (signal) addAbortSignal(signal, stream);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buffer.length;
    if (total > MAX_PROMPT_BYTES) throw new UsageError(`${what} is larger than 1 MiB`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readPrompt(values: Values, io: CliIo): Promise<string> {
  if (values.prompt !== undefined && values['prompt-file'] !== undefined) {
    throw new UsageError('use either --prompt or --prompt-file, not both');
  }
  let prompt: string;
  if (values.prompt === '-' || values['prompt-file'] === '-') {
    prompt = await readAll(io.stdin, io.signal, 'the prompt on standard input');
  } else if (values['prompt-file'] !== undefined) {
    const file = path.resolve(io.cwd, values['prompt-file']);
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new UsageError(`--prompt-file ${values['prompt-file']} is not a file`);
      if (info.size > MAX_PROMPT_BYTES) throw new UsageError(`--prompt-file ${values['prompt-file']} is larger than 1 MiB`);
      prompt = await readFile(file, 'utf8');
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(err));
      throw new UsageError(`cannot read --prompt-file ${values['prompt-file']}: ${why}`);
    }
  } else if (values.prompt !== undefined) {
    prompt = values.prompt;
  } else {
    throw new UsageError('missing --prompt (see --help)');
  }
  prompt = prompt.replace(/^\uFEFF/, '').trim();
  if (prompt === '') throw new UsageError('the prompt is empty');
  return prompt;
}

/** Extensions that name an image format: when the bytes disagree, the extension is replaced, not appended to. */
const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'jpe', 'webp', 'gif', 'bmp', 'tif', 'tiff', 'avif', 'heic']);
const EXTENSION_MATCHES: Record<GeneratedImage['extension'], readonly string[]> = {
  png: ['png'],
  jpg: ['jpg', 'jpeg', 'jpe'],
  webp: ['webp'],
};

/** The requested format implied by `--output x.webp`, when there is one. */
function formatFromOutput(output: string | undefined): string | undefined {
  if (output === undefined) return undefined;
  const ext = path.extname(output).slice(1).toLowerCase();
  return parseOutputFormat(ext) !== undefined ? ext : undefined;
}

/** `out/x.png` with JPEG bytes → `out/x.jpg`; `out/x` → `out/x.png`; `out/x.jpeg` with JPEG stays. */
function withRealExtension(file: string, real: GeneratedImage['extension']): { file: string; replaced: boolean } {
  const ext = path.extname(file);
  const given = ext.slice(1).toLowerCase();
  if (EXTENSION_MATCHES[real].includes(given)) return { file, replaced: false };
  if (IMAGE_EXTENSIONS.has(given)) return { file: `${file.slice(0, file.length - ext.length)}.${real}`, replaced: true };
  return { file: `${file}.${real}`, replaced: false };
}

const MIME_NAMES: Record<GeneratedImage['mime'], string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP' };

const RETRY_REASONS: Record<RetryReason, string> = {
  rate_limited: 'rate limited',
  text_fallback: 'the gateway answered with text',
  server_error: 'server error',
  connection: 'connection problem',
  timeout: 'timed out',
};

/** Prints phase changes (not every event) as `[12.3s] generating…`. */
function progressPrinter(write: (line: string) => void, now: () => number) {
  const started = now();
  let last = '';
  const print = (text: string): void => {
    if (text === last) return;
    last = text;
    write(`[${((now() - started) / 1000).toFixed(1)}s] ${escapeForTerminal(text)}\n`);
  };
  return {
    print,
    onProgress(event: ProgressEvent): void {
      switch (event.type) {
        case 'phase':
          print(`${event.phase}…`);
          break;
        case 'partialImage':
          print(`partial image ${event.index + 1}${event.expected !== undefined ? `/${event.expected}` : ''}`);
          break;
        case 'retry':
          print(`retrying in ${(event.delayMs / 1000).toFixed(1)} s (${RETRY_REASONS[event.reason] ?? event.reason})`);
          break;
        case 'text':
          break;
      }
    },
  };
}

function stderrLogger(write: (line: string) => void): Logger {
  // Log lines quote the gateway and the model: nothing in them may act on the terminal or start a line of its own.
  const line = (level: string) => (message: string) => write(`[${level}] ${escapeForTerminal(message)}\n`);
  return { trace: line('trace'), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

/** The closest existing ancestor of `dir` must be a folder, or the image could never be saved there. */
async function checkFolderUsable(dir: string, shown: string): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      const info = await stat(current);
      if (!info.isDirectory()) {
        throw new GatewayError('file', `Cannot save ${shown}: ${current} is a file, not a folder. Choose another --output.`);
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
async function plannedOutput(output: string | undefined, io: CliIo): Promise<{ dir?: string; file?: string }> {
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
const IMAGE_TYPE_NAMES: Record<GeneratedImage['extension'], string> = { png: 'PNG', jpg: 'JPEG', webp: 'WebP' };

/**
 * Every name the image may be saved under (the one given, the names the real type may switch it to, the
 * longest free name `uniquePath` may pick in a folder, which ends at `-10000`) and the temporary file beside
 * it, checked before the request: a name the file system refuses (ENAMETOOLONG) would otherwise only fail
 * once the image was generated and paid for.
 */
function checkNameLengths(planned: { dir?: string; file?: string }, slug: string, cwd: string): void {
  const refuse = (subject: string, absolute: string, why: string): void => {
    for (const candidate of [absolute, path.join(path.dirname(absolute), temporaryName())]) {
      const over = findOverlongPath(candidate);
      if (over === undefined) continue;
      const what = over.whole
        ? `its full path is ${over.bytes} bytes long, and the system takes at most ${over.limit} bytes for a path`
        : `the name ${over.part} is ${over.bytes} bytes long, and a file system takes at most ${over.limit} bytes for one name`;
      throw new GatewayError('file', `Cannot save ${subject}: ${why}${what}. Choose a shorter --output; nothing was sent to the gateway.`);
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

/** Why a name the real type chose (`x.png` → `x.jpg`) is not written over, and how to proceed. */
function renamedTakenMessage(named: string, shown: string, type: string, replaced: boolean, overwrite: boolean): string {
  const why = replaced
    ? `The gateway sent a ${type} image, so it would be saved as ${shown} instead of ${named}, but ${shown} already exists`
    : `${named} has no image extension, so the ${type} image would be saved as ${shown}, but ${shown} already exists`;
  const kept = overwrite ? '--overwrite only replaces the file named by --output, so it was left as it is' : 'it was left as it is';
  return `${why}; ${kept} and the image was not saved. To replace it, run again with --output ${shown} --overwrite, or choose another --output.`;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const errorLine = (message: string): void => {
    io.stderr.write(`${NAME}: ${escapeForTerminal(oneLine(message))}\n`);
  };
  let secrets: readonly string[] = [];
  try {
    const values = parseCommandLine(argv);
    if (values.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    if (values.version) {
      io.stdout.write(`${versionString()}\n`);
      return EXIT_OK;
    }

    const prompt = await readPrompt(values, io);
    const verbose = values.verbose === true;
    const settings: UserSettings = {};
    if (values.model !== undefined) settings.model = values.model;
    let formatFlag = 'format';
    if (values.format !== undefined) {
      if (parseOutputFormat(values.format) === undefined) throw new UsageError(`--format must be png, jpeg or webp, not '${values.format}'`);
      settings.outputFormat = values.format;
    } else {
      const implied = formatFromOutput(values.output);
      if (implied !== undefined) {
        settings.outputFormat = implied;
        formatFlag = 'output';
      }
    }
    if (values.size !== undefined) settings.size = values.size;
    if (values.quality !== undefined) settings.quality = values.quality;
    if (values.background !== undefined) settings.background = values.background;
    if (values['partial-images'] !== undefined) {
      settings.partialImages = wholeNumber(values['partial-images'], '--partial-images');
      if (settings.partialImages > 3) throw new UsageError(`--partial-images must be from 0 to 3, not ${settings.partialImages}`);
    }
    if (values.timeout !== undefined) settings.timeoutSeconds = positiveSeconds(values.timeout, '--timeout');
    if (values['max-attempts'] !== undefined) {
      settings.maxAttempts = wholeNumber(values['max-attempts'], '--max-attempts');
      if (settings.maxAttempts < 1 || settings.maxAttempts > 20) throw new UsageError(`--max-attempts must be from 1 to 20, not ${settings.maxAttempts}`);
    }
    if (values['total-timeout'] !== undefined) settings.totalTimeoutSeconds = positiveSeconds(values['total-timeout'], '--total-timeout');
    // Partial images only exist in a stream.
    settings.stream = values.stream === true || (settings.partialImages ?? 0) > 0;

    const log = redactingLogger(verbose ? stderrLogger((l) => io.stderr.write(l)) : nullLogger, () => secrets);
    const openclaw = await loadOpenClaw(io.env, io.homeDir);
    const resolved = resolveConfig({
      settings,
      env: io.env,
      openclaw,
      describeSetting: (name) => (name === 'outputFormat' ? `command line --${formatFlag}` : `command line --${name}`),
    });
    secrets = resolved.apiKey.value === undefined ? [] : [resolved.apiKey.value];
    for (const row of describeResolvedConfig(resolved)) log.info(`${row.name}: ${row.value} (${row.source})`);
    const gateway = toGatewaySettings(resolved, settings);

    const slug = slugFromPrompt(prompt);
    const planned = await plannedOutput(values.output, io);
    checkNameLengths(planned, slug, io.cwd);
    if (planned.file !== undefined && values.overwrite !== true && (await exists(path.resolve(io.cwd, planned.file)))) {
      throw new GatewayError('file', `${planned.file} already exists. Choose another --output, or pass --overwrite to replace it.`);
    }
    const plannedDir = planned.file !== undefined ? path.dirname(planned.file) : (planned.dir ?? '');
    await checkFolderUsable(path.resolve(io.cwd, plannedDir), values.output ?? plannedDir);

    // SPEC §6: progress lines while streaming; a terminal or --verbose shows them for non-streaming runs too.
    const showProgress = values.quiet !== true && (verbose || gateway.stream || io.stderr.isTTY === true);
    const progress = progressPrinter((l) => (showProgress ? io.stderr.write(l) : undefined), () => Date.now());
    const client = new ImageClient({ logger: log });
    let image: GeneratedImage;
    try {
      image = await client.generate(gateway, { prompt }, { ...(io.signal ? { signal: io.signal } : {}), onProgress: (e) => progress.onProgress(e) });
    } finally {
      await (client as { close?: () => Promise<void> }).close?.().catch(() => undefined);
    }
    log.info(`Received ${MIME_NAMES[image.mime]}, ${image.bytes.length} bytes in ${image.elapsedMs} ms (${image.attempts} attempt${image.attempts === 1 ? '' : 's'}).`);
    if (image.revisedPrompt) log.info(`Revised prompt: ${image.revisedPrompt}`);
    progress.print('saving…');

    let target: SaveTarget;
    if (planned.file !== undefined) {
      const { file: shown, replaced } = withRealExtension(planned.file, image.extension);
      const renamed = shown !== planned.file;
      // --overwrite replaces only the file the user named: a name the real type chose is written only while free.
      const takenMessage = renamed ? renamedTakenMessage(planned.file, shown, MIME_NAMES[image.mime], replaced, values.overwrite === true) : undefined;
      if (takenMessage !== undefined && (await exists(path.resolve(io.cwd, shown)))) throw new GatewayError('file', takenMessage);
      if (replaced) {
        io.stderr.write(escapeForTerminal(`note: the gateway returned a ${MIME_NAMES[image.mime]} image, so it is saved as ${shown} instead of ${planned.file}`) + '\n');
      } else if (renamed) {
        io.stderr.write(escapeForTerminal(`note: ${planned.file} has no image extension, so the ${MIME_NAMES[image.mime]} image is saved as ${shown}`) + '\n');
      }
      target = {
        file: path.resolve(io.cwd, shown),
        shown,
        unique: false,
        overwrite: values.overwrite === true && !renamed,
        ...(takenMessage !== undefined ? { takenMessage } : {}),
      };
    } else {
      const name = `${slug}.${image.extension}`;
      const dir = planned.dir ?? '';
      const shown = dir === '' ? path.resolve(io.cwd, name) : path.join(dir, name);
      target = { file: path.resolve(io.cwd, dir, name), shown, unique: true, overwrite: false };
    }
    const saved = await saveAtomically(image.bytes, target, io);
    log.info(`Saved ${saved.file}`);
    io.stdout.write(`${escapeForTerminal(saved.shown)}\n`);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) {
      errorLine(err.message);
      return EXIT_USAGE;
    }
    if (isCancellation(err) || io.signal?.aborted) {
      errorLine('cancelled; nothing was saved.');
      return EXIT_CANCELLED;
    }
    const message = err instanceof GatewayError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    errorLine(redactForDisplay(message, secrets));
    return EXIT_FAILURE;
  }
}

/** Entry point: wires process streams and signals. A second Ctrl+C exits at once. */
async function main(): Promise<void> {
  const controller = new AbortController();
  const pendingFiles = new Set<string>();
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    if (signals === 1) {
      controller.abort();
      return;
    }
    for (const file of pendingFiles) rmSync(file, { force: true });
    process.exit(EXIT_CANCELLED);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    signal: controller.signal,
    pendingFiles,
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = code;
  // Reading stdin or a lingering socket must not keep a finished run alive.
  process.stdin.destroy();
  setTimeout(() => process.exit(code), 2000).unref();
}

if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  void main();
}
