/**
 * One generation, the same for every feature: resolve the settings → generate → post-process → save.
 * It shows the run's progress (a cancellable notification and the status bar through the registry), throws
 * on failure and returns what was made; where the result goes next (a link at the cursor, an alt-text target,
 * nothing) and what is announced is the calling feature's business (see ../features/).
 *
 *   pipeline.run(request, token?) → { id, uri, image, settings, prompt, startedAt, elapsedMs, documentUri?, placement }
 *     throws GatewayError (the gateway, the configuration, the destination), SaveDismissed (the user closed the
 *     save dialog), or a cancellation (GatewayError 'cancelled': the notification's Cancel, the status bar,
 *     `token`). A failed or cancelled run leaves no file.
 *   Events, for the history and the preview: onDidStart(Generation), onDidProgress({ generation, event }) (client
 *   events plus a `saving` phase), onDidFinish({ generation, result? , error? }).
 */
import { EventEmitter, ProgressLocation, l10n, window } from 'vscode';
import type { CancellationToken, Disposable, Event, TextDocument, Uri } from 'vscode';
import type { ImageClient } from '../../core/gateway/client';
import { GatewayError, throwIfAborted } from '../../core/errors';
import { generationSettingsOf } from '../../core/config/generationSettings';
import { notificationText } from '../../core/text/inertText';
import type { GenerationSettings } from '../../core/config/generationSettings';
import type { GatewaySettings, GeneratedImage, InputImage, Logger, ProgressEvent } from '../../core/types';
import type { ConfigurationService, LoadedConfiguration } from '../configuration';
import { rememberConfiguration } from '../ui/errorMessages';
import { hostOf, promptExcerpt } from '../ui/format';
import type { Generation, GenerationRegistry, VariantSlot } from './generations';
import type { RecentPrompts } from '../ui/recentPrompts';
import { SaveDismissed, saveGeneratedImage, saveIntoStorage } from './saveImage';
import type { InsertionFormat } from '../../core/markdown/links';
import type { InsertPosition } from '../settings';
import { postProcess } from './postProcess';
import type { ProcessReport } from '../../core/image/process';
import { frontMatterStyle } from '../../core/prompt/styles';

export interface PipelineServices {
  log: Logger;
  configuration: ConfigurationService;
  registry: GenerationRegistry;
  recentPrompts: RecentPrompts;
  /** The client is loaded on first use: it pulls in undici, which activation should not pay for. */
  client: () => Promise<ImageClient>;
}

/** Where the saved file goes. */
export type SaveTarget =
  /** `cpaImage.destination`, else `markdown.copyFiles.destination`, else `images/` (a save dialog with no folder). */
  | { kind: 'destination' }
  /** A new file next to this one (`<base>-<suffix>.<ext>`, then -2, …; suffix `edit` unless given): Edit Image, Regenerate from File. */
  | { kind: 'nextTo'; file: Uri; suffix?: string }
  /** A workspace-relative file path chosen by the caller (the agent tool), still contained and never overwriting. */
  | { kind: 'path'; path: string }
  /** `<folder>/<name>.<ext>` in the extension's storage, not the workspace: a variant until it is picked (generateVariants.ts). */
  | { kind: 'stored'; folder: Uri; name: string };

export interface GenerationRequest {
  prompt: string;
  /** Edit Image: sent as input_image data URLs. */
  inputImages?: InputImage[];
  /** A PNG whose transparent pixels mark where the first input image is edited (issue 14); sent on either route. */
  mask?: InputImage;
  /** The document the image is for: its folder's settings apply and its images folder is used. */
  document?: TextDocument;
  /** Default: `{ kind: 'destination' }`. */
  saveTo?: SaveTarget;
  /** Regenerate: these image settings exactly, instead of today's. */
  repeat?: GenerationSettings;
  /** The size asked in the prompt box for this request (`WxH`), instead of `cpaImage.size`. */
  size?: string;
  /** The style chosen in the prompt box for this request (a name, or `none`), instead of the front matter's or cpaImage.style. */
  style?: string;
  /**
   * `none`: no notification of its own for this run — a batch (Generate All Missing Images) shows one overall
   * notification for all its runs instead. Default `notification`.
   */
  progress?: 'notification' | 'none';
  /** Each client event of this run (partial images, retries), for a caller that shows per-run state. */
  onProgress?: (event: ProgressEvent) => void;
  /** This run is one candidate of a variants run: the preview shows the candidates side by side. */
  variant?: VariantSlot;
  /** Called once the run has started, with its generation (a variants run cancels all its runs when one is cancelled). */
  onStart?: (generation: Generation) => void;
  /**
   * Called once the gateway has answered with the image, before it is post-processed and saved: a batch
   * (Generate All Missing Images) frees its request slot then, so the next request does not wait for this file.
   */
  onDelivered?: () => void;
  /**
   * Candidate `candidate` (2–4) of several made from one prompt at once (the agent tool's `variants`): saved as
   * `name-<candidate>.png` beside candidate 1's `name.png`, so parallel candidates never race for one name.
   */
  candidate?: number;
}

/** How the document wants links written, read with the run's settings (for the feature that places the link). */
export interface Placement {
  insertFormat: InsertionFormat;
  insertPosition: InsertPosition;
}

export interface GenerationOutput {
  id: number;
  uri: Uri;
  image: GeneratedImage;
  prompt: string;
  settings: GenerationSettings;
  placement: Placement;
  /** Epoch ms. */
  startedAt: number;
  /** From the start to the saved file. */
  elapsedMs: number;
  /** The document the generation was for, when there was one. */
  documentUri?: Uri;
  /** What the post-process stage did: real sizes, fit, format (for the "Saved …" notification). */
  processing?: ProcessReport;
  /** Saved into the extension's storage (SaveTarget `stored`), not the workspace. */
  stored?: true;
  /** The candidate of a variants run this was. */
  variant?: VariantSlot;
}

export interface GenerationProgress {
  generation: Generation;
  event: ProgressEvent;
}

export interface GenerationFinish {
  generation: Generation;
  result?: GenerationOutput;
  error?: unknown;
}

/** A request refused before anything started: the configuration is missing or wrong (no URL, no key, …). */
export interface GenerationRefusal {
  prompt: string;
  error: unknown;
}

export class GenerationPipeline implements Disposable {
  private readonly refuseEmitter = new EventEmitter<GenerationRefusal>();
  private readonly startEmitter = new EventEmitter<Generation>();
  private readonly progressEmitter = new EventEmitter<GenerationProgress>();
  private readonly finishEmitter = new EventEmitter<GenerationFinish>();

  readonly onDidRefuse: Event<GenerationRefusal> = this.refuseEmitter.event;
  readonly onDidStart: Event<Generation> = this.startEmitter.event;
  readonly onDidProgress: Event<GenerationProgress> = this.progressEmitter.event;
  readonly onDidFinish: Event<GenerationFinish> = this.finishEmitter.event;

  constructor(private readonly services: PipelineServices) {}

  async run(request: GenerationRequest, token?: CancellationToken): Promise<GenerationOutput> {
    const { log, registry } = this.services;
    if (token?.isCancellationRequested) throw new GatewayError('cancelled', 'The image generation was cancelled.');
    // Remembered before anything can fail: a prompt typed before a configuration error is one click away after the fix.
    void this.services.recentPrompts.remember(request.prompt);
    let settings: Awaited<ReturnType<GenerationPipeline['resolveSettings']>>;
    try {
      settings = await this.resolveSettings(request);
    } catch (err) {
      this.refuseEmitter.fire({ prompt: request.prompt, error: err });
      throw err;
    }
    const { loaded, gateway } = settings;
    const generation = registry.start(request.prompt, request.variant);
    const onToken = token?.onCancellationRequested(() => generation.cancel());
    request.onStart?.(generation);
    this.startEmitter.fire(generation);
    log.info(
      `#${generation.id} generating: model ${gateway.model} at ${hostOf(gateway.baseUrl)}, ` +
        `${gateway.stream ? 'streaming' : 'not streaming'}, format ${gateway.tool.outputFormat}` +
        `${request.inputImages?.length ? `, editing ${request.inputImages.length} image(s)` : ''}; prompt: ${promptExcerpt(request.prompt, 200)}`,
    );
    try {
      const work = async (): Promise<GenerationOutput> => {
        const delivered = await this.generate(generation, gateway, request);
        request.onDelivered?.();
        const { image, report } = await postProcess(delivered, gateway, log, request.prompt, (request.inputImages?.length ?? 0) > 0);
        throwIfAborted(generation.signal);
        const uri = await this.save(generation, image, request, loaded);
        return {
          id: generation.id,
          uri,
          image,
          prompt: request.prompt,
          settings: generationSettingsOf(gateway),
          placement: { insertFormat: loaded.settings.insertFormat, insertPosition: loaded.settings.insertPosition },
          startedAt: generation.startedAt,
          elapsedMs: Math.max(0, registry.currentTime() - generation.startedAt),
          ...(request.document ? { documentUri: request.document.uri } : {}),
          processing: report,
          ...(request.saveTo?.kind === 'stored' ? { stored: true as const } : {}),
          ...(request.variant ? { variant: request.variant } : {}),
        };
      };
      const result = request.progress === 'none' ? await work() : await this.withProgress(generation, request.prompt, work);
      this.finishEmitter.fire({ generation, result });
      return result;
    } catch (err) {
      this.finishEmitter.fire({ generation, error: err });
      throw err;
    } finally {
      onToken?.dispose();
      registry.finish(generation);
    }
  }

  /**
   * Throws the configuration error `run` would throw for this request, without starting anything: a command
   * checks it BEFORE asking for a prompt, so nobody types a prompt for a gateway that is not set up.
   */
  async checkConfigured(request: Pick<GenerationRequest, 'document' | 'saveTo'>): Promise<void> {
    await this.resolveSettings({ prompt: '', ...request });
  }

  /** The settings for the request's document (Regenerate's repeated ones win); config errors carry them along. */
  private async resolveSettings(request: GenerationRequest): Promise<{ loaded: LoadedConfiguration; gateway: GatewaySettings }> {
    const { configuration } = this.services;
    const scope = request.document?.uri ?? (request.saveTo?.kind === 'nextTo' ? request.saveTo.file : undefined);
    // The style: the prompt box's choice for this request, else the document's front matter, else cpaImage.style.
    const style = request.style ?? (request.document ? frontMatterStyle(request.document.getText()) : undefined);
    const loaded = await configuration.load(scope, request.repeat, request.size, style);
    try {
      return { loaded, gateway: configuration.gatewaySettings(loaded) };
    } catch (err) {
      // The message says which source to fix ("the key from IMAGE_GEN_KEY is empty"): it needs what was resolved.
      throw rememberConfiguration(err, loaded.resolved);
    }
  }

  /** The cancellable notification that follows the run; its Cancel stops the request at once. */
  private withProgress<T>(generation: Generation, prompt: string, task: () => Promise<T>): Thenable<T> {
    const { registry } = this.services;
    return window.withProgress(
      { location: ProgressLocation.Notification, cancellable: true, title: l10n.t('Generating image “{0}”', notificationText(promptExcerpt(prompt))) },
      (progress, progressToken) => {
        const onCancel = progressToken.onCancellationRequested(() => generation.cancel());
        const report = () => {
          const now = registry.currentTime();
          progress.report({ message: `${generation.describe(now)} · ${generation.elapsed(now)}` });
        };
        const ticking = registry.onDidChange(report);
        report();
        return task().finally(() => {
          ticking.dispose();
          onCancel.dispose();
        });
      },
    );
  }

  private async generate(generation: Generation, gateway: GatewaySettings, request: GenerationRequest): Promise<GeneratedImage> {
    const { log, registry } = this.services;
    const signal = generation.signal;
    const client = await this.services.client();
    throwIfAborted(signal);
    const image = await client.generate(
      gateway,
      {
        prompt: request.prompt,
        ...(request.inputImages?.length ? { inputImages: request.inputImages } : {}),
        ...(request.inputImages?.length && request.mask ? { mask: request.mask } : {}),
      },
      {
        signal,
        onProgress: (event) => {
          generation.update(event, registry.currentTime());
          logProgress(log, generation.id, event);
          this.progressEmitter.fire({ generation, event });
          request.onProgress?.(event);
        },
      },
    );
    log.info(
      `#${generation.id} received ${image.mime} (${image.bytes.length} bytes${image.size ? `, ${image.size}` : ''}) ` +
        `after ${(image.elapsedMs / 1000).toFixed(1)} s in ${image.attempts} attempt(s)`,
    );
    if (image.revisedPrompt) log.debug(`#${generation.id} revised prompt: ${image.revisedPrompt}`);
    if (image.routeSwitch) this.announceRouteSwitch(generation.id, image.routeSwitch);
    throwIfAborted(signal);
    return image;
  }

  /**
   * `auto` made the image on the Images route (issue 14): logged every time, said in a notification once per session
   * (a batch would otherwise say it for every image), with the setting that goes there directly.
   */
  private announceRouteSwitch(id: number, change: NonNullable<GeneratedImage['routeSwitch']>): void {
    this.services.log.warn(`#${id} the Responses route has no image tool (${change.reason}); the image was made on the Images route (${change.imageModel})`);
    if (this.routeSwitchShown) return;
    this.routeSwitchShown = true;
    const why =
      change.reason === 'tool_not_found'
        ? l10n.t("it said Tool choice 'image_generation' not found")
        : change.reason === 'tool_forbidden'
          ? l10n.t('it refused the image_generation tool (403)')
          : l10n.t('it answered with text, not an image');
    void window.showInformationMessage(
      l10n.t(
        "The gateway's Responses route has no image tool ({0}), so the image was made on its Images route (model {1}). Set cpaImage.api to images to go there directly.",
        why,
        notificationText(change.imageModel),
      ),
    );
  }

  private routeSwitchShown = false;

  private async save(generation: Generation, image: GeneratedImage, request: GenerationRequest, loaded: LoadedConfiguration): Promise<Uri> {
    const { log } = this.services;
    generation.setPhase('saving');
    this.progressEmitter.fire({ generation, event: { type: 'phase', phase: 'saving' } });
    const target = request.saveTo ?? { kind: 'destination' };
    if (target.kind === 'stored') {
      const uri = await saveIntoStorage(target.folder, target.name, image, generation.signal);
      log.info(`#${generation.id} stored ${uri.toString(true)} (a variant, not in the workspace until it is picked)`);
      return uri;
    }
    const saved = await saveGeneratedImage({
      image,
      prompt: request.prompt,
      ...(request.document ? { document: request.document } : {}),
      ...(loaded.settings.destination !== undefined ? { destinationPattern: loaded.settings.destination } : {}),
      ...(target.kind === 'nextTo' ? { saveNextTo: target.file, ...(target.suffix !== undefined ? { saveNextToSuffix: target.suffix } : {}) } : {}),
      ...(target.kind === 'path' ? { destination: target.path } : {}),
      ...(request.candidate !== undefined ? { variant: request.candidate } : {}),
      signal: generation.signal,
    });
    if (!saved) {
      log.info(`#${generation.id} the save dialog was dismissed; the image was not saved`);
      throw new SaveDismissed();
    }
    log.info(`#${generation.id} saved ${saved.uri.toString(true)} (destination from ${saved.patternSource})`);
    for (const note of saved.notes ?? []) log.warn(`#${generation.id} ${note}`);
    return saved.uri;
  }

  dispose(): void {
    this.refuseEmitter.dispose();
    this.startEmitter.dispose();
    this.progressEmitter.dispose();
    this.finishEmitter.dispose();
  }
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
