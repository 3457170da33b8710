/**
 * One generation from prompt to placed image (SPEC §3, §4, §7): resolve the configuration, run the client
 * under a cancellable progress notification and the status bar, save the image, place the link, and report.
 * Several may run at once; each has its own AbortController, so cancelling one stops its HTTP request at once
 * and leaves no file and no edit.
 *
 * API (shared with the preview panel, the history, Edit Image, the markdown code action and the agent tool):
 *
 *   runner.run(job): Promise<GenerationResult | undefined>
 *     undefined when cancelled, failed (already reported to the user) or the save dialog was dismissed.
 *   runner.runOrThrow(job, token?): Promise<GenerationResult>
 *     the same run, but failures (and a dismissed save dialog) are thrown as GatewayError, never shown;
 *     `token` cancels it. For the agent tool.
 *   GenerationJob = { prompt; inputImages?; origin?; place?; saveNextTo?; destination?; quiet?; settingsOverride? }
 *     - origin: where the link goes by default (InsertionOrigin.capture); always disposed by the runner.
 *     - place(saved, image): replaces the default insertion (its outcome is reported as usual).
 *     - saveNextTo: save as `<base>-edit.<ext>` (then `-edit-2`, …) next to that file instead of the pattern.
 *     - destination: a workspace-relative file path chosen by the caller; contained, never overwriting.
 *     - quiet: no end notification.
 *     - settingsOverride: wins over the user's settings for this run; a key present with the value
 *       `undefined` clears that setting (Regenerate passes all of GenerationSettings).
 *   GenerationResult = { id; uri; image; outcome; prompt; settings: GenerationSettings; startedAt; elapsedMs;
 *                        documentUri? (the origin's document) }
 *   overrideFor(result.settings) gives the settingsOverride that repeats a run exactly (Regenerate).
 *   Events: onDidStart(Generation), onDidProgress({ generation, event }) (client events plus a `saving` phase),
 *           onDidFinish({ generation, result?, error? }) (neither: the save dialog was dismissed).
 *   Subscribers: history/imageHistory.ts records every result; preview/previewPanel.ts shows the runs.
 */
import { EventEmitter, ProgressLocation, commands, l10n, window, workspace } from 'vscode';
import type { CancellationToken, Disposable, Event, Uri } from 'vscode';
import type { ImageClient } from '../core/client';
import type { UserSettings } from '../core/config';
import { GatewayError, isCancellation, throwIfAborted } from '../core/errors';
import { notificationText } from '../core/inertText';
import type { GatewaySettings, GeneratedImage, InputImage, Logger, OutputFormat, ProgressEvent } from '../core/types';
import type { ConfigurationService, LoadedConfiguration } from './configuration';
import { Commands } from './constants';
import { describeError, errorLogDetails } from './errorMessages';
import { hostOf, promptExcerpt } from './format';
import type { Generation, GenerationRegistry } from './generations';
import { displayPath } from './insertion';
import type { InsertOutcome, InsertionOrigin } from './insertion';
import type { RecentPrompts } from './recentPrompts';
import { saveGeneratedImage } from './saveImage';

export interface RunnerServices {
  log: Logger;
  configuration: ConfigurationService;
  registry: GenerationRegistry;
  recentPrompts: RecentPrompts;
  /** The client is loaded on first use: it pulls in undici, which activation should not pay for. */
  client: () => Promise<ImageClient>;
  showLog: () => void;
}

export interface GenerationJob {
  prompt: string;
  /** Edit Image: sent as input_image data URLs. */
  inputImages?: InputImage[];
  /** Where the link goes by default; disposed by the runner. */
  origin?: InsertionOrigin;
  /** Replaces the default insertion (e.g. fill an empty markdown link target). */
  place?: (saved: Uri, image: GeneratedImage) => Promise<InsertOutcome>;
  /** Save as a new file next to this one (`<base>-edit.<ext>`, then -2, -3…) instead of the destination pattern. */
  saveNextTo?: Uri;
  /** A workspace-relative file path chosen by the caller, still contained in the workspace and never overwriting. */
  destination?: string;
  /** No end notification (the agent tool reports to the model instead). */
  quiet?: boolean;
  /** Wins over the user's settings; a key present with the value undefined clears that setting. */
  settingsOverride?: Partial<UserSettings>;
}

/** The settings that shaped the image: what Regenerate passes back as `settingsOverride`. */
export interface GenerationSettings {
  model: string;
  outputFormat: OutputFormat;
  size?: string;
  quality?: string;
  background?: string;
}

export interface GenerationResult {
  id: number;
  uri: Uri;
  image: GeneratedImage;
  outcome: InsertOutcome;
  prompt: string;
  settings: GenerationSettings;
  /** Epoch ms. */
  startedAt: number;
  /** From start to the placed image. */
  elapsedMs: number;
  /** The document the generation started from, when there was one. */
  documentUri?: Uri;
}

export interface GenerationProgress {
  generation: Generation;
  event: ProgressEvent;
}

export interface GenerationFinish {
  generation: Generation;
  result?: GenerationResult;
  error?: unknown;
}

/** `settingsOverride` for a run that repeats `settings` exactly (unset values stay unset). */
export function overrideFor(settings: GenerationSettings): Partial<UserSettings> {
  return {
    model: settings.model,
    outputFormat: settings.outputFormat,
    size: settings.size,
    quality: settings.quality,
    background: settings.background,
  };
}

export class GenerationRunner implements Disposable {
  private readonly startEmitter = new EventEmitter<Generation>();
  private readonly progressEmitter = new EventEmitter<GenerationProgress>();
  private readonly finishEmitter = new EventEmitter<GenerationFinish>();

  readonly onDidStart: Event<Generation> = this.startEmitter.event;
  readonly onDidProgress: Event<GenerationProgress> = this.progressEmitter.event;
  readonly onDidFinish: Event<GenerationFinish> = this.finishEmitter.event;

  constructor(private readonly services: RunnerServices) {}

  /** Runs `job`; failures are shown to the user. Undefined when cancelled, failed or the save dialog was dismissed. */
  run(job: GenerationJob): Promise<GenerationResult | undefined> {
    return this.execute(job, undefined, false);
  }

  /** Runs `job`; failures are thrown (GatewayError), not shown. `token` cancels the run. */
  async runOrThrow(job: GenerationJob, token?: CancellationToken): Promise<GenerationResult> {
    const result = await this.execute(job, token, true);
    if (!result) throw new GatewayError('file', 'The image was not saved: the save dialog was dismissed.');
    return result;
  }

  private async execute(job: GenerationJob, token: CancellationToken | undefined, throwErrors: boolean): Promise<GenerationResult | undefined> {
    const { log, configuration, registry } = this.services;
    const { prompt, origin } = job;
    let loaded: LoadedConfiguration | undefined;
    let generation: Generation | undefined;
    let onToken: Disposable | undefined;
    try {
      if (token?.isCancellationRequested) throw new GatewayError('cancelled', 'The image generation was cancelled.');
      loaded = await configuration.load(origin?.document.uri ?? job.saveNextTo, job.settingsOverride);
      const gateway = configuration.gatewaySettings(loaded);
      void this.services.recentPrompts.remember(prompt);
      const running = registry.start(prompt);
      generation = running;
      onToken = token?.onCancellationRequested(() => running.cancel());
      this.startEmitter.fire(running);
      log.info(
        `#${running.id} generating: model ${gateway.model} at ${hostOf(gateway.baseUrl)}, ` +
          `${gateway.stream ? 'streaming' : 'not streaming'}, format ${gateway.tool.outputFormat}` +
          `${job.inputImages?.length ? `, editing ${job.inputImages.length} image(s)` : ''}; prompt: ${promptExcerpt(prompt, 200)}`,
      );
      const settingsLoaded = loaded;
      const result = await window.withProgress(
        {
          location: ProgressLocation.Notification,
          cancellable: true,
          title: l10n.t('Generating image “{0}”', notificationText(promptExcerpt(prompt))),
        },
        (progress, progressToken) => {
          const onCancel = progressToken.onCancellationRequested(() => running.cancel());
          const report = () => {
            const now = registry.currentTime();
            progress.report({ message: `${running.describe(now)} · ${running.elapsed(now)}` });
          };
          const ticking = registry.onDidChange(report);
          report();
          return this.generateAndPlace(running, gateway, settingsLoaded, job).finally(() => {
            ticking.dispose();
            onCancel.dispose();
          });
        },
      );
      if (!result && !throwErrors) void window.showWarningMessage(l10n.t('The image was not saved.'));
      this.finishEmitter.fire({ generation: running, ...(result ? { result } : {}) });
      return result;
    } catch (err) {
      if (generation) this.finishEmitter.fire({ generation, error: err });
      if (throwErrors) {
        log.info(`${generation ? `#${generation.id} ` : ''}${isCancellation(err) ? 'cancelled' : `failed: ${errorLogDetails(err)}`}`);
        throw err;
      }
      this.reportFailure(err, generation, loaded);
      return undefined;
    } finally {
      onToken?.dispose();
      if (generation) registry.finish(generation);
      origin?.dispose();
    }
  }

  private async generateAndPlace(
    generation: Generation,
    gateway: GatewaySettings,
    loaded: LoadedConfiguration,
    job: GenerationJob,
  ): Promise<GenerationResult | undefined> {
    const { log, registry } = this.services;
    const { prompt, origin } = job;
    const signal = generation.signal;
    const client = await this.services.client();
    throwIfAborted(signal);
    const image = await client.generate(
      gateway,
      { prompt, ...(job.inputImages?.length ? { inputImages: job.inputImages } : {}) },
      {
        signal,
        onProgress: (event) => {
          generation.update(event, registry.currentTime());
          logProgress(log, generation.id, event);
          this.progressEmitter.fire({ generation, event });
        },
      },
    );
    log.info(
      `#${generation.id} received ${image.mime} (${image.bytes.length} bytes${image.size ? `, ${image.size}` : ''}) ` +
        `after ${(image.elapsedMs / 1000).toFixed(1)} s in ${image.attempts} attempt(s)`,
    );
    if (image.revisedPrompt) log.debug(`#${generation.id} revised prompt: ${image.revisedPrompt}`);
    throwIfAborted(signal);

    generation.setPhase('saving');
    this.progressEmitter.fire({ generation, event: { type: 'phase', phase: 'saving' } });
    const saved = await saveGeneratedImage({
      image,
      prompt,
      ...(origin ? { document: origin.document } : {}),
      ...(loaded.settings.destination !== undefined ? { destinationPattern: loaded.settings.destination } : {}),
      ...(job.saveNextTo ? { saveNextTo: job.saveNextTo } : {}),
      ...(job.destination !== undefined ? { destination: job.destination } : {}),
      signal,
    });
    if (!saved) {
      log.info(`#${generation.id} the save dialog was dismissed; the image was not saved`);
      return undefined;
    }
    log.info(`#${generation.id} saved ${saved.uri.toString(true)} (destination from ${saved.patternSource})`);
    for (const note of saved.notes ?? []) log.warn(`#${generation.id} ${note}`);

    // From here on the file exists: the run completes even if cancel is pressed now.
    let outcome: InsertOutcome;
    if (job.place) outcome = await job.place(saved.uri, image);
    else if (origin) outcome = await origin.insert(saved.uri, prompt, loaded.settings.insertFormat, loaded.settings.insertPosition);
    else outcome = { kind: 'none' };
    if (outcome.kind !== 'none') log.info(`#${generation.id} ${outcome.kind} link: ${outcome.text}`);
    if (!job.quiet) this.announce(saved.uri, outcome);
    return {
      id: generation.id,
      uri: saved.uri,
      image,
      outcome,
      prompt,
      settings: {
        model: gateway.model,
        outputFormat: gateway.tool.outputFormat,
        ...(gateway.tool.size !== undefined ? { size: gateway.tool.size } : {}),
        ...(gateway.tool.quality !== undefined ? { quality: gateway.tool.quality } : {}),
        ...(gateway.tool.background !== undefined ? { background: gateway.tool.background } : {}),
      },
      startedAt: generation.startedAt,
      elapsedMs: Math.max(0, registry.currentTime() - generation.startedAt),
      ...(origin ? { documentUri: origin.document.uri } : {}),
    };
  }

  private announce(uri: Uri, outcome: InsertOutcome): void {
    const openImage = l10n.t('Open Image');
    const reveal = l10n.t('Reveal in Explorer');
    // A folder or file name is data: `[Sign in again](command:…)` as a folder name must not become a link.
    const where = notificationText(displayPath(uri));
    const message =
      outcome.kind === 'copied'
        ? l10n.t('Saved {0}. The document was closed, so the link was copied to the clipboard.', where)
        : l10n.t('Saved {0}', where);
    const actions = outcome.kind === 'copied' ? [openImage] : [openImage, reveal];
    void window.showInformationMessage(message, ...actions).then((choice) => {
      if (choice === openImage) void commands.executeCommand('vscode.open', uri);
      else if (choice === reveal) revealImage(uri);
    });
  }

  private reportFailure(err: unknown, generation: Generation | undefined, loaded: LoadedConfiguration | undefined): void {
    const { log } = this.services;
    const label = generation ? `#${generation.id} ` : '';
    if (isCancellation(err)) {
      log.info(`${label}cancelled`);
      window.setStatusBarMessage(l10n.t('Image generation cancelled.'), 4000);
      return;
    }
    log.error(`${label}failed: ${errorLogDetails(err)}`);
    void showError(err, loaded, this.services.showLog);
  }

  dispose(): void {
    this.startEmitter.dispose();
    this.progressEmitter.dispose();
    this.finishEmitter.dispose();
  }
}

/** The one error notification of a failed command: the localised message, "Show Log", and "Set API Key" when it helps. */
export async function showError(err: unknown, loaded: LoadedConfiguration | undefined, showLog: () => void): Promise<void> {
  const { message, offerSetApiKey } = describeError(err, loaded?.resolved);
  const showLogAction = l10n.t('Show Log');
  const setKeyAction = l10n.t('Set API Key');
  const choice = await window.showErrorMessage(message, ...(offerSetApiKey ? [setKeyAction, showLogAction] : [showLogAction]));
  if (choice === showLogAction) showLog();
  else if (choice === setKeyAction) await commands.executeCommand(Commands.setApiKey);
}

/** The explorer when the image is in the workspace, else the OS file manager, else just open it. */
export function revealImage(uri: Uri): void {
  if (workspace.getWorkspaceFolder(uri)) void commands.executeCommand('revealInExplorer', uri);
  else if (uri.scheme === 'file') void commands.executeCommand('revealFileInOS', uri);
  else void commands.executeCommand('vscode.open', uri);
}

function logProgress(log: Logger, id: number, event: ProgressEvent): void {
  switch (event.type) {
    case 'phase':
      log.debug(`#${id} ${event.phase}`);
      break;
    case 'partialImage':
      log.debug(`#${id} partial image ${event.index + 1}${event.expected ? `/${event.expected}` : ''} (${event.bytes.length} bytes)`);
      break;
    case 'retry':
      log.warn(`#${id} retry ${event.attempt} in ${(event.delayMs / 1000).toFixed(1)} s (${event.reason}): ${event.message}`);
      break;
    case 'text':
      log.trace(`#${id} model text: ${event.text}`);
      break;
  }
}
