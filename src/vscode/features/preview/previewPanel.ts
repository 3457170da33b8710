/**
 * The image preview (SPEC §7): one webview panel beside the editor that opens when a generation starts (unless
 * `cpaImage.preview.openOnGenerate` is off) without taking the keyboard from the editor, shows each partial image
 * as it streams, then the final image with its prompt, revised prompt, size, model and time taken, and the history
 * of this workspace below it. Its buttons run HistoryActions.
 *
 * The panel's state lives here, not in the webview (which is discarded while hidden, and may still be loading when a
 * fast run has already ended). Delivery never depends on guessing whether the webview is listening: every change
 * posts the whole state at once (a post to a webview that is not listening yet is simply lost), and each time the
 * webview loads it says `ready` — again and again until a state reaches it — and each `ready` is answered with the
 * whole current state. Rendering never changes what the panel shows: a render that starts before a fast run ends
 * (say, on a `ready` that comes in while the image is being saved) holds a list of the history without the run's
 * entry, and must not take that to mean the entry the run has just shown is gone ("No image yet").
 *
 * A variants run (issue 13 item 3) shows its candidates side by side, each with its own partial images, status and
 * failure, and a Use This One button once it is done; the pick goes to the run that waits for it (VariantRuns).
 * Closing the panel gives up the pick: nothing is written to the workspace.
 *
 * Requests from the webview are parsed by messages.ts and act only on entry ids of the history and generation ids of
 * runs that are going on.
 */
import { Uri, ViewColumn, commands, env, l10n, window, workspace } from 'vscode';
import type { Disposable, WebviewPanel } from 'vscode';
import { isCancellation } from '../../../core/errors';
import type { Logger } from '../../../core/types';
import { PreviewCommands, configSection, openPreviewOnGenerateSetting, previewViewType } from '../../constants';
import { describeError } from '../../ui/errorMessages';
import { fixActionLabel, runFixAction } from '../../ui/fixActionButtons';
import type { FixAction } from '../../ui/fixActions';
import { formatElapsed, formatLocalDate } from '../../ui/format';
import type { GenerationPipeline } from '../../generation/pipeline';
import type { VariantRuns } from '../../generation/variantRuns';
import { partialImageCaption, type Generation, type GenerationRegistry } from '../../generation/generations';
import { displayPath } from '../../generation/insertion';
import { quotaText, tokensText } from '../../ui/usageText';
import type { HistoryActions } from '../history/historyActions';
import type { HistoryEntry } from '../history/historyEntries';
import type { ImageHistory } from '../history/imageHistory';
import { PREVIEW_SCRIPT, previewHtml } from './html';
import { parseWebviewRequest } from './messages';
import type { CurrentView, ExtensionMessage, HistoryItemView, VariantCardView, WebviewRequest } from './messages';

export interface PreviewServices {
  extensionUri: Uri;
  pipeline: GenerationPipeline;
  registry: GenerationRegistry;
  history: ImageHistory;
  actions: HistoryActions;
  variants: VariantRuns;
  log: Logger;
  /** Edit Region… with the painter's mask (PNG bytes, not yet checked): asks the instruction and runs the edit. */
  editRegion: (uri: Uri, mask: Uint8Array) => Promise<void>;
}

interface PartialImage {
  /** 1-based, as the user counts. */
  index: number;
  caption: string;
  dataUrl: string;
}

/** One candidate of a variants run. */
interface VariantCard {
  index: number;
  generation?: Generation;
  partial?: PartialImage;
  outcome?: { kind: 'done'; entryId: string } | { kind: 'failed'; message: string } | { kind: 'cancelled' };
}

type Current =
  | { kind: 'none' }
  | { kind: 'variants'; runId: number; prompt: string; cards: VariantCard[] }
  | { kind: 'running'; generation: Generation; partial?: PartialImage }
  | { kind: 'entry'; entryId: string }
  | { kind: 'failed'; prompt: string; message: string; fixes: FixAction[] }
  | { kind: 'cancelled'; prompt: string };

export interface ShowOptions {
  /** Show this history entry at the top. */
  entryId?: string;
  /** Scroll to the history list. */
  focusHistory?: boolean;
  /** Keep the keyboard where it is (true when the panel opens by itself). */
  preserveFocus?: boolean;
}

export class ImagePreview implements Disposable {
  private panel: WebviewPanel | undefined;
  private current: Current = { kind: 'none' };
  /** The latest "Show Image History" request for this panel (0: none), sent in every state; see ViewState. */
  private focusHistoryRequest = 0;
  private renderSequence = 0;
  private rootsKey = '';
  private readonly disposables: Disposable[] = [];

  constructor(private readonly services: PreviewServices) {
    const { pipeline, registry, history } = services;
    this.disposables.push(
      // A configuration error stops a request before it starts (no URL, no key): an open panel says so, with the
      // same actions as the error notification, since its Regenerate may be what was clicked.
      pipeline.onDidRefuse(({ prompt, error }) => {
        if (!this.panel || registry.list().length > 0) return;
        this.current = failedState(prompt, error);
        void this.render();
      }),
      pipeline.onDidStart((generation) => this.started(generation)),
      pipeline.onDidProgress(({ generation, event }) => {
        const shown = this.current.kind === 'running' && this.current.generation === generation ? this.current : this.cardOf(generation);
        if (!shown) return;
        if (event.type === 'partialImage') {
          const partial: PartialImage = {
            index: event.index + 1,
            caption: partialImageCaption(event.index, event.expected),
            dataUrl: `data:${event.mime};base64,${Buffer.from(event.bytes).toString('base64')}`,
          };
          shown.partial = partial;
          this.post({ type: 'partial', generationId: generation.id, ...partial });
        }
        this.postStatus();
      }),
      // The history records the run before this runs (it subscribed first, see index.ts).
      pipeline.onDidFinish(({ generation, result, error }) => {
        const card = this.cardOf(generation);
        if (card) {
          const entry = result ? history.entryForGeneration(generation.id) : undefined;
          if (entry) card.outcome = { kind: 'done', entryId: entry.id };
          else if (result) card.outcome = { kind: 'failed', message: '' };
          else if (error === undefined || isCancellation(error)) card.outcome = { kind: 'cancelled' };
          else card.outcome = { kind: 'failed', message: describeError(error).message };
          void this.render();
          return;
        }
        if (this.current.kind !== 'running' || this.current.generation !== generation) return;
        const prompt = generation.prompt;
        const entry = result ? history.entryForGeneration(generation.id) : undefined;
        if (entry) this.current = { kind: 'entry', entryId: entry.id };
        else if (result) this.current = { kind: 'none' };
        else if (error === undefined || isCancellation(error)) this.current = { kind: 'cancelled', prompt };
        else this.current = failedState(prompt, error);
        void this.render();
      }),
      // Once a second while anything runs: the elapsed time.
      registry.onDidChange(() => this.postStatus()),
      history.onDidChange(() => {
        // An entry shown at the top that has left the history (removed, cleared) is no longer shown.
        if (this.current.kind === 'entry' && !history.get(this.current.entryId)) this.current = { kind: 'none' };
        void this.render();
      }),
      workspace.onDidChangeWorkspaceFolders(() => void this.render()),
      // Use This One is live only while the run waits for its pick.
      services.variants.onDidChangeWaiting(() => {
        if (this.current.kind === 'variants') void this.render();
      }),
    );
  }

  /** The card of `generation` when it is a candidate of the variants run on show. */
  private cardOf(generation: Generation): VariantCard | undefined {
    const current = this.current;
    if (current.kind !== 'variants' || generation.variant?.runId !== current.runId) return undefined;
    return current.cards[generation.variant.index - 1];
  }

  /** Opens (or brings forward) the panel. */
  show(options: ShowOptions = {}): void {
    const { history } = this.services;
    if (options.entryId !== undefined && history.get(options.entryId)) this.current = { kind: 'entry', entryId: options.entryId };
    else if (this.current.kind === 'none' && history.list()[0]) this.current = { kind: 'entry', entryId: (history.list()[0] as HistoryEntry).id };
    this.open(options.preserveFocus ?? false);
    // Unique across panels and sessions, so a webview never takes a new request for one it has already acted on.
    if (options.focusHistory) this.focusHistoryRequest = Math.max(Date.now(), this.focusHistoryRequest + 1);
    void this.render();
  }

  private started(generation: Generation): void {
    const variant = generation.variant;
    if (variant) {
      // The first candidate to start sets up the cards of its run; each fills its own.
      if (this.current.kind !== 'variants' || this.current.runId !== variant.runId) {
        const cards = Array.from({ length: variant.count }, (_, i): VariantCard => ({ index: i + 1 }));
        this.current = { kind: 'variants', runId: variant.runId, prompt: generation.prompt, cards };
      }
      const card = this.cardOf(generation);
      if (card) card.generation = generation;
    } else {
      this.current = { kind: 'running', generation };
    }
    const openOnGenerate = workspace.getConfiguration(configSection).get<boolean>(openPreviewOnGenerateSetting, true);
    if (openOnGenerate !== false) this.open(true);
    void this.render();
  }

  private open(preserveFocus: boolean): void {
    const existing = this.panel;
    if (existing) {
      if (!existing.visible) {
        // Never cover the editor the user is typing in: a panel in that group moves beside it.
        const inEditorGroup = existing.viewColumn !== undefined && existing.viewColumn === window.activeTextEditor?.viewColumn;
        existing.reveal(inEditorGroup ? ViewColumn.Beside : existing.viewColumn, preserveFocus);
      } else if (!preserveFocus) {
        existing.reveal(existing.viewColumn, false);
      }
      return;
    }
    const roots = this.localResourceRoots();
    this.rootsKey = rootsKey(roots);
    const panel = window.createWebviewPanel(
      previewViewType,
      l10n.t('Image Preview'),
      { viewColumn: ViewColumn.Beside, preserveFocus },
      { enableScripts: true, enableFindWidget: false, retainContextWhenHidden: false, localResourceRoots: roots },
    );
    this.attach(panel);
  }

  /**
   * A panel VS Code restored after a reload (see the serializer in index.ts): it shows the newest image of the
   * history, since a run of the last session cannot be resumed.
   */
  adopt(panel: WebviewPanel): void {
    if (this.panel) {
      panel.dispose();
      return;
    }
    const newest = this.services.history.list()[0];
    if (this.current.kind === 'none' && newest) this.current = { kind: 'entry', entryId: newest.id };
    const roots = this.localResourceRoots();
    this.rootsKey = rootsKey(roots);
    panel.webview.options = { enableScripts: true, localResourceRoots: roots };
    this.attach(panel);
  }

  private attach(panel: WebviewPanel): void {
    const { extensionUri } = this.services;
    panel.title = l10n.t('Image Preview');
    panel.iconPath = Uri.joinPath(extensionUri, 'media', 'icon.png');
    this.panel = panel;
    // Requests made for an earlier panel are not this one's.
    this.focusHistoryRequest = 0;
    // Listening before the HTML is set, so the first `ready` cannot be missed.
    panel.webview.onDidReceiveMessage((raw: unknown) => this.received(raw));
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      // Nobody can pick a variant any more: the waiting run writes nothing to the workspace.
      this.services.variants.abandonAll();
    });
    panel.webview.html = previewHtml(panel.webview, extensionUri, l10n.t('Image Preview'), env.language);
  }

  private received(raw: unknown): void {
    const request = parseWebviewRequest(raw);
    if (!request) {
      this.services.log.debug('preview: ignored a message of unknown shape from the webview');
      return;
    }
    void this.handle(request).catch((err: unknown) =>
      this.services.log.error(`preview: ${request.type} failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private async handle(request: WebviewRequest): Promise<void> {
    const { history, actions, registry } = this.services;
    switch (request.type) {
      case 'ready':
        // The webview has just loaded (or reloaded, or has not had a state yet): it gets the whole state.
        await this.render();
        return;
      case 'clearHistory':
        await actions.clear();
        return;
      case 'fix': {
        // Only an action the failed state on show offers ("Retry" is never among them: see failedState).
        const action = this.current.kind === 'failed' ? this.current.fixes[request.index] : undefined;
        if (action && action.kind !== 'retry') await runFixAction(action);
        return;
      }
      case 'cancel': {
        // Only a run that is going on, by the number this session gave it.
        registry.list().find((g) => g.id === request.generationId)?.cancel();
        return;
      }
      default:
        break;
    }
    const entry = history.get(request.entryId);
    if (!entry) {
      this.services.log.debug(`preview: ${request.type} for an unknown history entry ignored`);
      return;
    }
    switch (request.type) {
      case 'select':
        this.current = { kind: 'entry', entryId: entry.id };
        await this.render();
        return;
      // Through the commands, so a failure is reported to the user like the same command from the tree view.
      case 'insert':
        await commands.executeCommand(PreviewCommands.insertHistoryImage, entry.id);
        return;
      case 'regenerate':
        await commands.executeCommand(PreviewCommands.regenerateHistoryImage, entry.id);
        return;
      case 'copyPath':
        return actions.copyPath(entry);
      case 'reveal':
        return actions.reveal(entry);
      case 'edit':
        return actions.edit(entry);
      case 'remove':
        actions.remove(entry);
        return;
      case 'useVariant': {
        // The run waiting for this pick saves and links it; when none waits any more, it is an Insert.
        const current = this.current;
        if (current.kind === 'variants' && this.services.variants.pick(current.runId, entry.uri)) {
          this.current = { kind: 'entry', entryId: entry.id };
          await this.render();
          return;
        }
        await commands.executeCommand(PreviewCommands.insertHistoryImage, entry.id);
        return;
      }
      case 'saveToWorkspace':
        await commands.executeCommand(PreviewCommands.saveHistoryImageToWorkspace, entry.id);
        return;
      case 'editRegion':
        // The mask is judged by its bytes there, before anything is sent.
        await this.services.editRegion(Uri.parse(entry.uri), new Uint8Array(Buffer.from(request.maskBase64, 'base64')));
        return;
    }
  }

  /**
   * Posts to the webview whatever it may be doing: a message the webview cannot receive yet (still loading, or
   * discarded while hidden) is lost, which is harmless, since the webview says `ready` when it loads and gets the
   * whole state then.
   */
  private post(message: ExtensionMessage): void {
    const panel = this.panel;
    if (!panel) return;
    panel.webview.postMessage(message).then(undefined, (err: unknown) =>
      this.services.log.debug(`preview: a ${message.type} message was not delivered: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private postStatus(): void {
    if (this.current.kind === 'variants') {
      for (const card of this.current.cards) {
        if (card.generation && !card.outcome) this.post({ type: 'status', generationId: card.generation.id, status: this.statusOf(card.generation) });
      }
      return;
    }
    if (this.current.kind !== 'running') return;
    const generation = this.current.generation;
    this.post({ type: 'status', generationId: generation.id, status: this.statusOf(generation) });
  }

  private statusOf(generation: Generation): string {
    const now = this.services.registry.currentTime();
    return `${generation.describe(now)} · ${generation.elapsed(now)}`;
  }

  /**
   * Posts the whole state: the history as it is at the call (its files are checked meanwhile) and the top as it is
   * when the state is posted (the latest partial image of a run). Every change of the history calls this, and a
   * render called later drops an earlier one that finishes after it, so the last state posted holds the latest of
   * both. Rendering only reads: what the panel shows is decided by the events above, never by a list that may
   * already be outdated when its file checks come back.
   */
  private async render(): Promise<void> {
    const panel = this.panel;
    if (!panel) return;
    const sequence = ++this.renderSequence;
    this.updateResourceRoots(panel);
    const entries = this.services.history.list();
    const present = await Promise.all(entries.map((entry) => this.services.history.exists(entry)));
    if (sequence !== this.renderSequence || this.panel !== panel) return;
    const history = entries.map((entry, i) => itemView(entry, present[i] === true, panel));
    this.post({ type: 'state', state: { labels: labels(), current: this.currentView(), history, focusHistory: this.focusHistoryRequest } });
  }

  /**
   * The webview may only load images from its resource roots; an image saved outside the workspace folders adds its
   * folder. New roots reload the webview, which then says `ready` and gets the state again.
   */
  private updateResourceRoots(panel: WebviewPanel): void {
    const roots = this.localResourceRoots();
    const key = rootsKey(roots);
    if (key === this.rootsKey) return;
    this.rootsKey = key;
    panel.webview.options = { enableScripts: true, localResourceRoots: roots };
  }

  private currentView(): CurrentView {
    const current = this.current;
    switch (current.kind) {
      case 'running':
        return {
          kind: 'running',
          generationId: current.generation.id,
          prompt: current.generation.prompt,
          status: this.statusOf(current.generation),
          ...(current.partial ? { partial: current.partial } : {}),
        };
      case 'failed':
        return { kind: 'failed', prompt: current.prompt, message: current.message, fixes: current.fixes.map(fixActionLabel) };
      case 'variants':
        return {
          kind: 'variants',
          runId: current.runId,
          prompt: current.prompt,
          cards: current.cards.map((card) => this.cardView(card)),
          picking: this.services.variants.isWaiting(current.runId),
        };
      case 'entry':
      case 'cancelled':
      case 'none':
        return current;
    }
  }

  private cardView(card: VariantCard): VariantCardView {
    const { index, generation, partial, outcome } = card;
    const base = { index, ...(generation ? { generationId: generation.id } : {}) };
    switch (outcome?.kind) {
      case 'done':
        return { ...base, state: 'done', status: '', entryId: outcome.entryId };
      case 'failed':
        return { ...base, state: 'failed', status: l10n.t('Failed'), message: outcome.message };
      case 'cancelled':
        return { ...base, state: 'cancelled', status: l10n.t('Cancelled') };
      default:
        return generation
          ? { ...base, state: 'running', status: this.statusOf(generation), ...(partial ? { partial } : {}) }
          : { ...base, state: 'waiting', status: l10n.t('queued') };
    }
  }

  /** The media folder, the page script's folder, the workspace folders, and the folders of history images outside them. */
  private localResourceRoots(): Uri[] {
    const extension = this.services.extensionUri;
    const roots: Uri[] = [
      Uri.joinPath(extension, 'media'),
      Uri.joinPath(extension, ...PREVIEW_SCRIPT.slice(0, -1)),
      ...(workspace.workspaceFolders ?? []).map((f) => f.uri),
      // The stored variants, all at once: a new run's folder does not reload the webview.
      this.services.variants.root,
    ];
    const storedPrefix = `${this.services.variants.root.toString()}/`;
    for (const entry of this.services.history.list()) {
      const uri = Uri.parse(entry.uri);
      if (workspace.getWorkspaceFolder(uri) || uri.toString().startsWith(storedPrefix)) continue;
      const folder = uri.with({ path: uri.path.replace(/\/[^/]*$/, '') || '/' });
      if (!roots.some((r) => r.toString() === folder.toString())) roots.push(folder);
    }
    return roots;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function rootsKey(roots: readonly Uri[]): string {
  return roots.map((r) => r.toString()).sort().join('\n');
}

function itemView(entry: HistoryEntry, exists: boolean, panel: WebviewPanel): HistoryItemView {
  const uri = Uri.parse(entry.uri);
  const { settings } = entry;
  const tokens = tokensText(entry.usage, env.language);
  const quota = quotaText(entry.quota, Date.now(), env.language);
  // The size and the model have rows of their own; these are the other settings the image was asked with.
  const details = [
    settings.outputFormat,
    settings.quality ? l10n.t('quality {0}', settings.quality) : undefined,
    settings.background ? l10n.t('background {0}', settings.background) : undefined,
    settings.size && settings.size !== entry.size ? l10n.t('requested size {0}', settings.size) : undefined,
  ].filter((part): part is string => part !== undefined && part !== '');
  return {
    id: entry.id,
    prompt: entry.prompt,
    ...(entry.revisedPrompt ? { revisedPrompt: entry.revisedPrompt } : {}),
    ...(exists ? { src: panel.webview.asWebviewUri(uri).toString() } : {}),
    exists,
    path: displayPath(uri),
    details: details.join(' · '),
    size: entry.size ?? settings.size ?? l10n.t('not reported'),
    model: settings.model,
    created: formatLocalDate(entry.createdAt, env.language, 'medium'),
    elapsed: formatTaken(entry.elapsedMs),
    bytes: formatBytes(entry.bytes),
    ...(tokens !== undefined ? { tokens } : {}),
    ...(quota !== undefined ? { quota } : {}),
    stored: entry.stored === true,
  };
}

function formatTaken(ms: number): string {
  return ms < 60_000 ? l10n.t('{0} s', (ms / 1000).toFixed(1)) : formatElapsed(ms);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}


/** Every text the webview shows, localised here (the webview has no l10n of its own). */
function labels(): Record<string, string> {
  return {
    generating: l10n.t('Generating…'),
    waiting: l10n.t('Waiting for the first partial image…'),
    finalImage: l10n.t('Final image'),
    prompt: l10n.t('Prompt'),
    revisedPrompt: l10n.t('Revised prompt'),
    size: l10n.t('Size'),
    model: l10n.t('Model'),
    details: l10n.t('Settings'),
    timeTaken: l10n.t('Time taken'),
    savedTo: l10n.t('Saved to'),
    created: l10n.t('Created'),
    fileSize: l10n.t('File size'),
    tokens: l10n.t('Tokens'),
    quotaLeft: l10n.t('Quota left'),
    insert: l10n.t('Insert'),
    regenerate: l10n.t('Regenerate'),
    copyPath: l10n.t('Copy Path'),
    reveal: l10n.t('Reveal in Explorer'),
    edit: l10n.t('Edit…'),
    editRegion: l10n.t('Edit Region…'),
    maskTitle: l10n.t('Paint the area to change'),
    maskHint: l10n.t('Painted pixels are sent as the transparent part of the mask: only they are changed. Escape cancels, Ctrl+Z undoes.'),
    maskBrush: l10n.t('Brush'),
    maskEraser: l10n.t('Eraser'),
    maskSize: l10n.t('Brush size'),
    maskUndo: l10n.t('Undo'),
    maskClear: l10n.t('Clear'),
    maskNext: l10n.t('Next'),
    maskPaintFirst: l10n.t('Paint the area to change first.'),
    remove: l10n.t('Remove from History'),
    cancel: l10n.t('Cancel'),
    history: l10n.t('History'),
    clearHistory: l10n.t('Clear History'),
    fileDeleted: l10n.t('file deleted'),
    fileDeletedLong: l10n.t('The image file was deleted. Regenerate makes a new one with the same prompt and settings.'),
    empty: l10n.t('No image yet. Run “CPA Image: Generate Image” and the image appears here while it is made.'),
    emptyHistory: l10n.t('No images have been generated in this workspace yet.'),
    cancelled: l10n.t('Cancelled'),
    failed: l10n.t('Failed'),
    variants: l10n.t('Variants'),
    variant: l10n.t('Variant {0}'),
    useVariant: l10n.t('Use This One'),
    saveToWorkspace: l10n.t('Save to Workspace…'),
    notInWorkspace: l10n.t('not in the workspace'),
    notInWorkspaceLong: l10n.t('Kept in the extension’s storage, not in the workspace. Save to Workspace… saves it where a new image would go.'),
  };
}

/**
 * The failed state for `error`: its message and the actions that fix it, as the error notification offers them,
 * less "Retry" (the panel's own Regenerate is the retry).
 */
function failedState(prompt: string, error: unknown): Extract<Current, { kind: 'failed' }> {
  const { message, actions } = describeError(error);
  return { kind: 'failed', prompt, message, fixes: actions.filter((action) => action.kind !== 'retry') };
}
