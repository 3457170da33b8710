/**
 * The command-line tool (SPEC §6): `node dist/cli.js --prompt "…" --output out/x.png`. It shares the
 * resolution chain and the client with the extension; there is no SecretStorage here, so the key comes
 * from the environment or OpenClaw. Output contract: the saved path on stdout and exit 0; on failure one
 * line `cpa-gpt-image: <message>` on stderr and exit 1 (2 for usage errors, 130 when cancelled).
 */

import { rmSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { ImageClient } from './core/gateway/client';
import { slugFromPrompt } from './core/files/destination';
import { GatewayError, isCancellation } from './core/errors';
import { redactForDisplay } from './core/text/redaction';
import { escapeForTerminal } from './core/text/terminalText';
import type { GeneratedImage } from './core/types';
import { defaultProcessing, describeProcessing, processImage } from './core/image/process';
import { EXIT_CANCELLED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, NAME, UsageError, type CliIo } from './cli/contract';
import { HELP, parseCommandLine, readPrompt, versionString } from './cli/args';
import { gatewayFromArgs } from './cli/gateway';
import { checkFolderUsable, checkNameLengths, plannedOutput, withRealExtension } from './cli/files';
import { MIME_NAMES, oneLine, progressPrinter, renamedTakenMessage } from './cli/output';
import { type SaveTarget, exists, saveAtomically } from './cli/save';
import { FileError } from './core/files/fileError';
import { runFill } from './cli/fill';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const errorLine = (message: string): void => {
    io.stderr.write(`${NAME}: ${escapeForTerminal(oneLine(message))}\n`);
  };
  // `fill <files>…` is the second command: the empty image links of markdown files (src/cli/fill.ts).
  if (argv[0] === 'fill') return runFill(argv.slice(1), io);
  const secrets = { current: [] as readonly string[] };
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
    const { gateway, log } = await gatewayFromArgs(values, io, secrets);

    const slug = slugFromPrompt(prompt);
    const planned = await plannedOutput(values.output, io);
    checkNameLengths(planned, slug, io.cwd);
    if (planned.file !== undefined && values.overwrite !== true && (await exists(path.resolve(io.cwd, planned.file)))) {
      throw new FileError(`${planned.file} already exists. Choose another --output, or pass --overwrite to replace it.`);
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
    // The post-process stage, as in the extension (src/vscode/generation/postProcess.ts): fit, shrink, re-encode.
    const { image: processed, report } = await processImage(image, gateway.tool.size, gateway.processing ?? defaultProcessing);
    const delivered = image;
    image = processed;
    const done = describeProcessing(report);
    if (done !== '') io.stderr.write(escapeForTerminal(`note: ${done}`) + '\n');
    if (report.delivered) log.info(`Delivered ${report.delivered.width}x${report.delivered.height}; saving ${report.saved?.width}x${report.saved?.height}.`);
    progress.print('saving…');

    let target: SaveTarget;
    if (planned.file !== undefined) {
      const { file: shown, replaced } = withRealExtension(planned.file, image.extension);
      const renamed = shown !== planned.file;
      // --overwrite replaces only the file the user named: a name the real type chose is written only while free.
      const takenMessage = renamed ? renamedTakenMessage(planned.file, shown, MIME_NAMES[image.mime], replaced, values.overwrite === true) : undefined;
      if (takenMessage !== undefined && (await exists(path.resolve(io.cwd, shown)))) throw new FileError(takenMessage);
      if (replaced && report.converted) {
        io.stderr.write(escapeForTerminal(`note: the image is saved as ${MIME_NAMES[image.mime]} (--save-format), so it is saved as ${shown} instead of ${planned.file}`) + '\n');
      } else if (replaced) {
        io.stderr.write(escapeForTerminal(`note: the gateway returned a ${MIME_NAMES[delivered.mime]} image, so it is saved as ${shown} instead of ${planned.file}`) + '\n');
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
    const message = err instanceof GatewayError || err instanceof FileError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    errorLine(redactForDisplay(message, secrets.current));
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
