/**
 * The empty image links whose image is being generated (SPEC §7, markdown authoring). Each fill tracks its
 * link's target through the user's edits while the image is made (InsertionTracker, the same rules as the normal
 * insertion), and at the end fills in only that target — `()` becomes `(images/fox.png)`, a missing target gets
 * `(images/fox.png)` after the `]` — when the link is still there and still empty. The CodeLens asks this registry
 * which links are in progress and in which state, so a link shows "Generating…" (or, in a Generate All Missing
 * Images run, "Queued", "Partial image", "Failed") and cannot be started twice.
 */
import { EventEmitter, Range, WorkspaceEdit, env, l10n, window, workspace } from 'vscode';
import type { Disposable, Event, TextDocument, Uri } from 'vscode';
import { filledTarget, findEmptyImageLinks, markdownImageDestination } from '../../../core/markdown/emptyImageLinks';
import type { EmptyImageLink } from '../../../core/markdown/emptyImageLinks';
import { notificationText } from '../../../core/text/inertText';
import { isOpenInAnyTab, linkBase } from '../../generation/insertion';
import type { InsertOutcome } from '../../generation/insertion';
import { InsertionTracker } from '../../generation/insertTracker';

/** Where a fill is: the CodeLens shows it. A failed fill stays (showing "Failed") until its run is over. */
export type FillState = 'queued' | 'generating' | 'partial' | 'failed';

/** How many times a fill looks its target up again when VS Code refuses an edit made on a version just replaced. */
const MAX_EDIT_ATTEMPTS = 3;

/**
 * Fills write one at a time: two images of a run that arrive together would otherwise both edit the same version
 * of the document, and VS Code refuses the second edit.
 */
let writing: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(write: () => Promise<T>): Promise<T> {
  const result = writing.then(write, write);
  writing = result.catch(() => undefined);
  return result;
}

export class AltTextFill implements Disposable {
  private readonly tracker: InsertionTracker;
  private currentState: FillState;
  private readonly subscription: Disposable;
  private disposed = false;

  constructor(
    readonly document: TextDocument,
    readonly link: EmptyImageLink,
    private readonly onChange: () => void,
    private readonly onDispose: (fill: AltTextFill) => void,
    initialState: FillState = 'generating',
  ) {
    this.currentState = initialState;
    this.tracker = new InsertionTracker(link.targetStart, link.targetEnd);
    this.subscription = workspace.onDidChangeTextDocument((e) => {
      if (e.document === this.document && e.contentChanges.length > 0) {
        this.tracker.apply(e.contentChanges);
        this.onChange();
      }
    });
  }

  /** Where the link's target is now, after the edits made since the generation started. */
  get targetStart(): number {
    return this.tracker.start;
  }

  get targetEnd(): number {
    return this.tracker.end;
  }

  get state(): FillState {
    return this.currentState;
  }

  /** Whether the image is still to come (queued or being made); a failed fill can be started again. */
  get isPending(): boolean {
    return this.currentState !== 'failed';
  }

  setState(state: FillState): void {
    if (this.disposed || state === this.currentState) return;
    this.currentState = state;
    this.onChange();
  }

  /** Whether `link`, found in `document` now, is the one this fill is for. */
  matches(document: TextDocument, link: EmptyImageLink): boolean {
    return document === this.document && link.targetStart === this.tracker.start && link.targetEnd === this.tracker.end;
  }

  /**
   * Fills in the target with the image's path relative to the document. When the link is gone or was given a
   * target meanwhile, nothing is overwritten: the link goes to the clipboard and the user is told why.
   *
   * `saveUnshown`: a batch over files the user never opened (the Explorer's folder) fills them too, and saves a
   * document it changed that is in no tab and had no unsaved changes of the user's.
   */
  async place(imageUri: Uri, options: { saveUnshown?: boolean } = {}): Promise<InsertOutcome> {
    const document = this.document;
    const destination = markdownImageDestination({ imagePath: imageUri.path, ...linkBase(imageUri, document.uri) });
    const fullLink = `![${this.link.rawAlt}]${filledTarget(destination)}`;

    // Decided, written and saved one fill at a time: another fill of the same run that has just written an unshown
    // document leaves it dirty until its save, and must not make this one think the user has unsaved changes there.
    const placed = await oneAtATime(async (): Promise<string | 'unshown' | undefined> => {
      const unshown = !isOpenInAnyTab(document);
      const saveAfter = options.saveUnshown === true && unshown && !document.isClosed && !document.isDirty;
      if (unshown && !saveAfter) return 'unshown';
      const written = await this.fillTarget(destination);
      if (written !== undefined && saveAfter) await document.save();
      return written;
    });
    if (placed === 'unshown') {
      await env.clipboard.writeText(fullLink);
      return { kind: 'copied', text: fullLink };
    }
    if (placed !== undefined) return { kind: 'inserted', text: placed };
    await env.clipboard.writeText(fullLink);
    void window.showWarningMessage(
      l10n.t('The image link changed while the image was generated, so it was left as it is. Its new link was copied to the clipboard: {0}', notificationText(fullLink)),
    );
    return { kind: 'none' };
  }

  /**
   * Writes `(destination)` into the target as it is now; the link written, or undefined when the link is gone or
   * no longer empty. An edit made against a version that changed just before it lands (the user typed, another
   * fill of the same run was written) is refused by VS Code: the target is then looked up again, a few times.
   */
  private async fillTarget(destination: string): Promise<string | undefined> {
    const document = this.document;
    for (let attempt = 0; attempt < MAX_EDIT_ATTEMPTS; attempt++) {
      const current = findEmptyImageLinks(document.getText()).find((link) => this.matches(document, link));
      if (!current) return undefined;
      const edit = new WorkspaceEdit();
      const range = new Range(document.positionAt(current.targetStart), document.positionAt(current.targetEnd));
      edit.replace(document.uri, range, filledTarget(destination));
      if (await workspace.applyEdit(edit)) return `![${current.rawAlt}]${filledTarget(destination)}`;
    }
    return undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.subscription.dispose();
    this.onDispose(this);
  }
}

export class AltTextFills implements Disposable {
  private readonly fills = new Set<AltTextFill>();
  private readonly changeEmitter = new EventEmitter<void>();

  /** Fires when a fill starts, ends, or its link moves: the CodeLenses are then refreshed. */
  readonly onDidChange: Event<void> = this.changeEmitter.event;

  /**
   * Starts tracking `link` of `document`; undefined when that link is already being generated. A failed fill of
   * the same link (a batch's, still shown) gives way to the new one.
   */
  start(document: TextDocument, link: EmptyImageLink, initialState: FillState = 'generating'): AltTextFill | undefined {
    const existing = this.fillFor(document, link);
    if (existing?.isPending) return undefined;
    existing?.dispose();
    const fill = new AltTextFill(
      document,
      link,
      () => this.changeEmitter.fire(),
      (done) => {
        this.fills.delete(done);
        this.changeEmitter.fire();
      },
      initialState,
    );
    this.fills.add(fill);
    this.changeEmitter.fire();
    return fill;
  }

  isPending(document: TextDocument, link: EmptyImageLink): boolean {
    return this.fillFor(document, link)?.isPending === true;
  }

  /** The fill tracking `link` of `document`, pending or failed. */
  fillFor(document: TextDocument, link: EmptyImageLink): AltTextFill | undefined {
    for (const fill of this.fills) if (fill.matches(document, link)) return fill;
    return undefined;
  }

  dispose(): void {
    for (const fill of [...this.fills]) fill.dispose();
    this.changeEmitter.dispose();
  }
}
