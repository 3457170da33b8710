/**
 * The images whose alt text is being written (Write Alt Text, issue 14 item 5). Each one tracks its alt through the
 * user's edits while the model answers (InsertionTracker, as the alt-text fills track their targets), and at the end
 * writes only the alt — `![](diagram.png)` becomes `![A bar chart …](diagram.png)` — when the image is still there
 * with the same alt and target. If the user changed the alt meanwhile, their words win: nothing is overwritten, the
 * alt text goes to the clipboard and the user is told. The code action asks this registry so an image being
 * described is not offered twice.
 */
import { EventEmitter, Range, WorkspaceEdit, env, l10n, window, workspace } from 'vscode';
import type { Disposable, Event, TextDocument } from 'vscode';
import { findImagesNeedingAlt, type AltTextImage } from '../../../core/markdown/altTextImages';
import { notificationText } from '../../../core/text/inertText';
import { InsertionTracker } from '../../generation/insertTracker';

/** How many times the alt is looked up again when VS Code refuses an edit made on a version just replaced. */
const MAX_EDIT_ATTEMPTS = 3;

/** Alts write one at a time: two answers of a run that arrive together would otherwise edit the same version. */
let writing: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(write: () => Promise<T>): Promise<T> {
  const result = writing.then(write, write);
  writing = result.catch(() => undefined);
  return result;
}

export class AltDescription implements Disposable {
  private readonly tracker: InsertionTracker;
  private readonly subscription: Disposable;
  private disposed = false;

  constructor(
    readonly document: TextDocument,
    readonly image: AltTextImage,
    private readonly onDispose: (description: AltDescription) => void,
  ) {
    this.tracker = new InsertionTracker(image.altStart, image.altEnd);
    this.subscription = workspace.onDidChangeTextDocument((e) => {
      if (e.document === this.document && e.contentChanges.length > 0) this.tracker.apply(e.contentChanges);
    });
  }

  /** Whether `image`, found in `document` now, is the one this description is for. */
  matches(document: TextDocument, image: AltTextImage): boolean {
    return (
      document === this.document &&
      !this.tracker.edited &&
      image.altStart === this.tracker.start &&
      image.altEnd === this.tracker.end &&
      image.rawAlt === this.image.rawAlt &&
      image.rawDestination === this.image.rawDestination
    );
  }

  /**
   * Writes `alt` (already inert and escaped) into the image's alt. True when written; false when the image or its
   * alt changed meanwhile (the alt text is then on the clipboard and the user was told).
   */
  async place(alt: string): Promise<boolean> {
    if (await oneAtATime(() => this.fillAlt(alt))) return true;
    await env.clipboard.writeText(alt);
    void window.showWarningMessage(
      l10n.t('The image changed while its alt text was written, so it was left as it is. The alt text was copied to the clipboard: {0}', notificationText(alt)),
    );
    return false;
  }

  private async fillAlt(alt: string): Promise<boolean> {
    const document = this.document;
    if (document.isClosed) return false;
    for (let attempt = 0; attempt < MAX_EDIT_ATTEMPTS; attempt++) {
      const current = findImagesNeedingAlt(document.getText()).find((image) => this.matches(document, image));
      if (!current) return false;
      const edit = new WorkspaceEdit();
      edit.replace(document.uri, new Range(document.positionAt(current.altStart), document.positionAt(current.altEnd)), alt);
      if (await workspace.applyEdit(edit)) return true;
    }
    return false;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.subscription.dispose();
    this.onDispose(this);
  }
}

export class AltDescriptions implements Disposable {
  private readonly running = new Set<AltDescription>();
  private readonly changeEmitter = new EventEmitter<void>();

  /** Fires when a description starts or ends. */
  readonly onDidChange: Event<void> = this.changeEmitter.event;

  /** Starts tracking `image` of `document`; undefined when its alt is already being written. */
  start(document: TextDocument, image: AltTextImage): AltDescription | undefined {
    if (this.isPending(document, image)) return undefined;
    const description = new AltDescription(document, image, (done) => {
      this.running.delete(done);
      this.changeEmitter.fire();
    });
    this.running.add(description);
    this.changeEmitter.fire();
    return description;
  }

  isPending(document: TextDocument, image: AltTextImage): boolean {
    for (const description of this.running) if (description.matches(document, image)) return true;
    return false;
  }

  dispose(): void {
    for (const description of [...this.running]) description.dispose();
    this.changeEmitter.dispose();
  }
}
