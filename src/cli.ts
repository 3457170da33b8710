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
import { slugFromPrompt, variantPath } from './core/files/destination';
import { GatewayError, isCancellation } from './core/errors';
import { redactForDisplay } from './core/text/redaction';
import { escapeForTerminal } from './core/text/terminalText';
import { defaultProcessing, describeProcessing, processImage } from './core/image/process';
import { EXIT_CANCELLED, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, NAME, UsageError, type CliIo } from './cli/contract';
import { HELP, parseCommandLine, readPrompt, variantCount, versionString } from './cli/args';
import { softwareName, withProvenance } from './core/image/provenance';
import { gatewayFromArgs } from './cli/gateway';
import { checkFolderUsable, checkNameLengths, plannedOutput, withRealExtension } from './cli/files';
import { MIME_NAMES, oneLine, progressPrinter, renamedTakenMessage, usageLine } from './cli/output';
import { type SaveTarget, exists, saveAtomically } from './cli/save';
import { FileError } from './core/files/fileError';
import { runFill } from './cli/fill';
import { runAlt } from './cli/alt';
import { readEditFiles } from './cli/editFiles';
import { routeSwitchLine } from './cli/output';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const errorLine = (message: string): void => {
    io.stderr.write(`${NAME}: ${escapeForTerminal(oneLine(message))}\n`);
  };
  // `fill <files>…` is the second command: the empty image links of markdown files (src/cli/fill.ts).
  if (argv[0] === 'fill') return runFill(argv.slice(1), io);
  // `alt <files>…`: alt text for the images of markdown files that have none (src/cli/alt.ts).
  if (argv[0] === 'alt') return runAlt(argv.slice(1), io);
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
    // The edit's files are read and checked before any request (issue 14).
    const edit = await readEditFiles(values, io);
    const verbose = values.verbose === true;
    const { gateway, log } = await gatewayFromArgs(values, io, secrets);

    const slug = slugFromPrompt(prompt);
    const variants = variantCount(values);
    const planned = await plannedOutput(values.output, io);
    checkNameLengths(planned, slug, io.cwd);
    if (planned.file !== undefined && values.overwrite !== true && (await exists(path.resolve(io.cwd, planned.file)))) {
      throw new FileError(`${planned.file} already exists. Choose another --output, or pass --overwrite to replace it.`);
    }
    // The other candidates' names were not named by the user: never written over, --overwrite or not.
    for (let variant = 2; planned.file !== undefined && variant <= variants; variant++) {
      const name = variantName(planned.file, variant);
      if (await exists(path.resolve(io.cwd, name))) throw new FileError(`${name} already exists (--variants ${variants} writes ${planned.file}, ${variantName(planned.file, 2)}, …). Choose another --output.`);
    }
    const plannedDir = planned.file !== undefined ? path.dirname(planned.file) : (planned.dir ?? '');
    await checkFolderUsable(path.resolve(io.cwd, plannedDir), values.output ?? plannedDir);

    // SPEC §6: progress lines while streaming; a terminal or --verbose shows them for non-streaming runs too.
    const showProgress = values.quiet !== true && (verbose || gateway.stream || io.stderr.isTTY === true);
    const client = new ImageClient({ logger: log });

    /** One candidate: its own request, post-process and save. Several run at once; their lines carry their number. */
    const generateAndSave = async (variant: number): Promise<string> => {
      const label = variants > 1 ? `[${variant}/${variants}] ` : '';
      const note = (text: string): void => void io.stderr.write(escapeForTerminal(`${label}note: ${text}`) + '\n');
      const progress = progressPrinter((l) => (showProgress ? io.stderr.write(`${label}${l}`) : undefined), () => Date.now());
      let image = await client.generate(gateway, { prompt, ...edit }, { ...(io.signal ? { signal: io.signal } : {}), onProgress: (e) => progress.onProgress(e) });
      // `auto` left the Responses route: one line says so, whatever --quiet says (it changes what the next run should ask).
      if (image.routeSwitch) io.stderr.write(escapeForTerminal(`${label}${routeSwitchLine(image.routeSwitch)}`) + '\n');
      log.info(`${label}Received ${MIME_NAMES[image.mime]}, ${image.bytes.length} bytes in ${image.elapsedMs} ms (${image.attempts} attempt${image.attempts === 1 ? '' : 's'}).`);
      if (image.revisedPrompt) log.info(`${label}Revised prompt: ${image.revisedPrompt}`);
      // Issue 13 item 6: what the image cost, and the plan quota left when the gateway passed the Codex headers on.
      log.info(`${label}${usageLine(image, Date.now())}`);
      // The post-process stage, as in the extension (src/vscode/generation/postProcess.ts): fit, shrink, re-encode.
      const { image: processed, report } = await processImage(image, gateway.tool.size, gateway.processing ?? defaultProcessing);
      const delivered = image;
      // Provenance in the file (unless --no-metadata): a container edit after the pixels are final.
      image = withProvenance(processed, prompt, gateway, softwareName('CLI'));
      const done = describeProcessing(report);
      if (done !== '') note(done);
      if (report.delivered) log.info(`${label}Delivered ${report.delivered.width}x${report.delivered.height}; saving ${report.saved?.width}x${report.saved?.height}.`);
      progress.print('saving…');

      let target: SaveTarget;
      if (planned.file !== undefined) {
        const named = variantName(planned.file, variant);
        const { file: shown, replaced } = withRealExtension(named, image.extension);
        const renamed = shown !== named;
        // --overwrite replaces only the file the user named: a name the real type chose, or another candidate's, is written only while free.
        const overwrite = values.overwrite === true && !renamed && variant === 1;
        const takenMessage = renamed ? renamedTakenMessage(named, shown, MIME_NAMES[image.mime], replaced, values.overwrite === true) : undefined;
        if (takenMessage !== undefined && (await exists(path.resolve(io.cwd, shown)))) throw new FileError(takenMessage);
        if (replaced && report.converted) {
          note(`the image is saved as ${MIME_NAMES[image.mime]} (--save-format), so it is saved as ${shown} instead of ${named}`);
        } else if (replaced) {
          note(`the gateway returned a ${MIME_NAMES[delivered.mime]} image, so it is saved as ${shown} instead of ${named}`);
        } else if (renamed) {
          note(`${named} has no image extension, so the ${MIME_NAMES[image.mime]} image is saved as ${shown}`);
        }
        target = { file: path.resolve(io.cwd, shown), shown, unique: false, overwrite, ...(takenMessage !== undefined ? { takenMessage } : {}) };
      } else {
        const name = `${variant === 1 ? slug : `${slug}-${variant}`}.${image.extension}`;
        const dir = planned.dir ?? '';
        const shown = dir === '' ? path.resolve(io.cwd, name) : path.join(dir, name);
        target = { file: path.resolve(io.cwd, dir, name), shown, unique: true, overwrite: false };
      }
      const saved = await saveAtomically(image.bytes, target, io);
      log.info(`${label}Saved ${saved.file}`);
      return saved.shown;
    };

    let outcomes: PromiseSettledResult<string>[];
    try {
      outcomes = await Promise.allSettled(Array.from({ length: variants }, (_, i) => generateAndSave(i + 1)));
    } finally {
      await (client as { close?: () => Promise<void> }).close?.().catch(() => undefined);
    }
    // Every saved path on stdout, in the candidates' order; with one candidate, its error is the run's.
    for (const outcome of outcomes) if (outcome.status === 'fulfilled') io.stdout.write(`${escapeForTerminal(outcome.value)}\n`);
    const failures = outcomes.flatMap((outcome, i) => (outcome.status === 'rejected' ? [{ variant: i + 1, error: outcome.reason as unknown }] : []));
    if (variants === 1 && failures[0]) throw failures[0].error;
    for (const { variant, error } of failures) {
      if (isCancellation(error) || io.signal?.aborted) continue;
      errorLine(`candidate ${variant} of ${variants}: ${redactForDisplay(failureMessage(error), secrets.current)}`);
    }
    if (failures.length > 0) {
      if (io.signal?.aborted || failures.every(({ error }) => isCancellation(error))) throw failures[0]?.error;
      errorLine(`${failures.length} of ${variants} candidates failed; ${variants - failures.length} saved.`);
      return EXIT_FAILURE;
    }
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
    errorLine(redactForDisplay(failureMessage(err), secrets.current));
    return EXIT_FAILURE;
  }
}

/** What the user reads for a failure: our own errors' words; anything else is named unexpected. */
function failureMessage(err: unknown): string {
  return err instanceof GatewayError || err instanceof FileError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
}

/** The file of candidate `variant`: the named file itself for the first, `name-2.png`, `name-3.png`, … for the others. */
function variantName(file: string, variant: number): string {
  return variantPath(file, variant);
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
