/**
 * One generation from prompt to inserted link (SPEC §3, §4): resolve the configuration, run the client
 * under a cancellable progress notification and the status bar, save the image, insert the link at the
 * tracked place, and report. Several may run at once; each has its own AbortController, so cancelling one
 * stops its HTTP request at once and leaves no file and no edit.
 */
import { ProgressLocation, commands, l10n, window, workspace } from 'vscode';
import type { Uri } from 'vscode';
import type { ImageClient } from '../core/client';
import { isCancellation, throwIfAborted } from '../core/errors';
import type { GatewaySettings, Logger, ProgressEvent } from '../core/types';
import type { ConfigurationService, LoadedConfiguration } from './configuration';
import { Commands } from './constants';
import { describeError, errorLogDetails } from './errorMessages';
import { hostOf, promptExcerpt } from './format';
import type { Generation, GenerationRegistry } from './generations';
import { InsertionOrigin, displayPath } from './insertion';
import type { InsertOutcome } from './insertion';
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

export class GenerationRunner {
  constructor(private readonly services: RunnerServices) {}

  /**
   * Runs one generation for `prompt`. `origin` is the editor state captured when the command started
   * (undefined without a text editor); it is disposed here.
   */
  async run(prompt: string, origin: InsertionOrigin | undefined): Promise<void> {
    const { log, configuration, registry } = this.services;
    let loaded: LoadedConfiguration | undefined;
    let generation: Generation | undefined;
    try {
      loaded = await configuration.load(origin?.document.uri);
      const gateway = configuration.gatewaySettings(loaded);
      void this.services.recentPrompts.remember(prompt);
      const running = registry.start(prompt);
      generation = running;
      log.info(
        `#${running.id} generating: model ${gateway.model} at ${hostOf(gateway.baseUrl)}, ` +
          `${gateway.stream ? 'streaming' : 'not streaming'}, format ${gateway.tool.outputFormat}; prompt: ${promptExcerpt(prompt, 200)}`,
      );
      await window.withProgress(
        {
          location: ProgressLocation.Notification,
          cancellable: true,
          title: l10n.t('Generating image “{0}”', promptExcerpt(prompt)),
        },
        (progress, token) => {
          const onCancel = token.onCancellationRequested(() => running.cancel());
          const report = () => {
            const now = registry.currentTime();
            progress.report({ message: `${running.describe(now)} · ${running.elapsed(now)}` });
          };
          const ticking = registry.onDidChange(report);
          report();
          return this.generateAndPlace(running, gateway, loaded as LoadedConfiguration, prompt, origin).finally(() => {
            ticking.dispose();
            onCancel.dispose();
          });
        },
      );
    } catch (err) {
      this.reportFailure(err, generation, loaded);
    } finally {
      if (generation) registry.finish(generation);
      origin?.dispose();
    }
  }

  private async generateAndPlace(
    generation: Generation,
    gateway: GatewaySettings,
    loaded: LoadedConfiguration,
    prompt: string,
    origin: InsertionOrigin | undefined,
  ): Promise<void> {
    const { log, registry } = this.services;
    const signal = generation.signal;
    const client = await this.services.client();
    throwIfAborted(signal);
    const image = await client.generate(gateway, { prompt }, {
      signal,
      onProgress: (event) => {
        generation.update(event, registry.currentTime());
        logProgress(log, generation.id, event);
      },
    });
    log.info(
      `#${generation.id} received ${image.mime} (${image.bytes.length} bytes${image.size ? `, ${image.size}` : ''}) ` +
        `after ${(image.elapsedMs / 1000).toFixed(1)} s in ${image.attempts} attempt(s)`,
    );
    if (image.revisedPrompt) log.debug(`#${generation.id} revised prompt: ${image.revisedPrompt}`);
    throwIfAborted(signal);

    generation.setPhase('saving');
    const saved = await saveGeneratedImage({
      image,
      prompt,
      ...(origin ? { document: origin.document } : {}),
      ...(loaded.settings.destination !== undefined ? { destinationPattern: loaded.settings.destination } : {}),
      signal,
    });
    if (!saved) {
      log.info(`#${generation.id} the save dialog was dismissed; the image was not saved`);
      void window.showWarningMessage(l10n.t('The image was not saved.'));
      return;
    }
    log.info(`#${generation.id} saved ${saved.uri.toString(true)} (destination from ${saved.patternSource})`);

    // From here on the file exists: the run completes even if cancel is pressed now.
    const outcome: InsertOutcome = origin
      ? await origin.insert(saved.uri, prompt, loaded.settings.insertFormat, loaded.settings.insertPosition)
      : { kind: 'none' };
    if (outcome.kind !== 'none') log.info(`#${generation.id} ${outcome.kind} link: ${outcome.text}`);
    this.announce(saved.uri, outcome);
  }

  private announce(uri: Uri, outcome: InsertOutcome): void {
    const openImage = l10n.t('Open Image');
    const reveal = l10n.t('Reveal in Explorer');
    const where = displayPath(uri);
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

function revealImage(uri: Uri): void {
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
