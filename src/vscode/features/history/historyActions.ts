/**
 * What the user can do with an image of the history, from the preview panel or the tree view: insert it again,
 * regenerate it with the same prompt and settings, copy its path, reveal it, edit it, forget it, and save a variant
 * kept in the extension's storage into the workspace (Save to Workspace…; Insert does that first for such an entry).
 *
 * Insert goes into the document the generation started from when a tab still shows it, else into the text editor
 * the user was in last, else to the clipboard — with the same link format as the normal insert (InsertionOrigin).
 */
import { Uri, commands, env, l10n, window, workspace } from 'vscode';
import type { Disposable, TextDocument, TextEditor } from 'vscode';
import { iconLabelText, notificationText } from '../../../core/text/inertText';
import type { Logger } from '../../../core/types';
import type { ConfigurationService } from '../../configuration';
import { editImageCommand } from '../../constants';
import { announceSaved, revealImage } from '../../generation/announce';
import type { GenerationPipeline } from '../../generation/pipeline';
import type { VariantRuns } from '../../generation/variantRuns';
import { InsertionOrigin, displayPath, isOpenInAnyTab, linkText } from '../../generation/insertion';
import type { HistoryEntry } from './historyEntries';
import type { ImageHistory } from './imageHistory';

export interface HistoryActionServices {
  pipeline: GenerationPipeline;
  history: ImageHistory;
  configuration: ConfigurationService;
  variants: VariantRuns;
  log: Logger;
}

export class HistoryActions implements Disposable {
  /** The text editor the user was in last: the webview takes the focus when its buttons are clicked. */
  private lastEditor: TextEditor | undefined = window.activeTextEditor;
  private readonly subscription: Disposable;

  constructor(private readonly services: HistoryActionServices) {
    this.subscription = window.onDidChangeActiveTextEditor((editor) => {
      if (editor) this.lastEditor = editor;
    });
  }

  /** Inserts the entry's link (see the file comment for where it goes). */
  async insert(entry: HistoryEntry): Promise<void> {
    const { history, configuration, log } = this.services;
    let uri = Uri.parse(entry.uri);
    if (!(await history.exists(entry))) {
      void window.showWarningMessage(l10n.t('The image file no longer exists: {0}', notificationText(displayPath(uri))));
      return;
    }
    const editor = await this.targetEditor(entry);
    // A variant in the extension's storage is saved into the workspace first: a link never points into the storage.
    if (entry.stored) uri = await this.services.variants.saveToWorkspace(uri, entry.prompt, editor?.document ?? (await this.documentOf(entry)));
    const { settings } = await configuration.load(editor?.document.uri);
    if (!editor) {
      const link = linkText(uri, entry.prompt, settings.insertFormat);
      await env.clipboard.writeText(link);
      log.info(`history ${entry.id}: no open editor, link copied: ${link}`);
      void window.showInformationMessage(l10n.t('No text editor is open, so the link was copied to the clipboard.'));
      return;
    }
    const origin = InsertionOrigin.capture(editor);
    try {
      const outcome = await origin?.insert(uri, entry.prompt, settings.insertFormat, settings.insertPosition);
      if (!outcome || outcome.kind === 'none') return;
      log.info(`history ${entry.id}: ${outcome.kind} link: ${outcome.text}`);
      if (outcome.kind === 'copied') {
        void window.showInformationMessage(l10n.t('The document was closed, so the link was copied to the clipboard.'));
        return;
      }
      // Back to the document, so the user can go on writing after the link.
      await window.showTextDocument(editor.document, { preserveFocus: false, preview: false, ...(editor.viewColumn ? { viewColumn: editor.viewColumn } : {}) });
      window.setStatusBarMessage(l10n.t('Inserted the link into {0}', iconLabelText(displayPath(editor.document.uri))), 4000);
    } finally {
      origin?.dispose();
    }
  }

  /** A new image with the entry's prompt and settings, saved where that document's images go (not inserted). */
  async regenerate(entry: HistoryEntry): Promise<void> {
    let document: TextDocument | undefined;
    if (entry.documentUri) {
      try {
        document = await workspace.openTextDocument(Uri.parse(entry.documentUri));
      } catch {
        // The document is gone: the image goes where images go without a document.
      }
    }
    // The new image shows in the preview with its own Insert; a second link in the document is the user's call.
    const output = await this.services.pipeline.run({ prompt: entry.prompt, ...(document ? { document } : {}), repeat: entry.settings });
    announceSaved(output.uri, { kind: 'none' }, output.processing);
  }

  /**
   * Save to Workspace…: a variant kept in the extension's storage is saved where a new image for its document goes
   * (same destination and name rules, never overwriting); the entry then points at that file. No link is inserted.
   */
  async saveToWorkspace(entry: HistoryEntry): Promise<void> {
    const uri = Uri.parse(entry.uri);
    if (!entry.stored) {
      void window.showInformationMessage(l10n.t('This image is already in the workspace: {0}', notificationText(displayPath(uri))));
      return;
    }
    if (!(await this.services.history.exists(entry))) {
      void window.showWarningMessage(l10n.t('The image file no longer exists: {0}', notificationText(displayPath(uri))));
      return;
    }
    const saved = await this.services.variants.saveToWorkspace(uri, entry.prompt, await this.documentOf(entry));
    announceSaved(saved, { kind: 'none' });
  }

  /** The document the entry's generation started from, when it can still be opened. */
  private async documentOf(entry: HistoryEntry): Promise<TextDocument | undefined> {
    if (!entry.documentUri) return undefined;
    try {
      return await workspace.openTextDocument(Uri.parse(entry.documentUri));
    } catch {
      // The document is gone: the image goes where images go without a document.
      return undefined;
    }
  }

  async copyPath(entry: HistoryEntry): Promise<void> {
    const uri = Uri.parse(entry.uri);
    const text = uri.scheme === 'file' ? uri.fsPath : uri.toString(true);
    await env.clipboard.writeText(text);
    window.setStatusBarMessage(l10n.t('Copied {0}', iconLabelText(text)), 4000);
  }

  async reveal(entry: HistoryEntry): Promise<void> {
    if (!(await this.services.history.exists(entry))) {
      void window.showWarningMessage(l10n.t('The image file no longer exists: {0}', notificationText(displayPath(Uri.parse(entry.uri)))));
      return;
    }
    revealImage(Uri.parse(entry.uri));
  }

  /** Edit Image… on the entry's file (the command saves the result as a new file next to it). */
  async edit(entry: HistoryEntry): Promise<void> {
    const uri = Uri.parse(entry.uri);
    if (!(await this.services.history.exists(entry))) {
      void window.showWarningMessage(l10n.t('The image file no longer exists: {0}', notificationText(displayPath(uri))));
      return;
    }
    // The command reports its own failures (commandTable.ts).
    await commands.executeCommand(editImageCommand, uri);
  }

  remove(entry: HistoryEntry): void {
    this.services.history.remove(entry.id);
  }

  /** "Clear Image History", after a modal confirmation; the image files stay. */
  async clear(): Promise<void> {
    const { history } = this.services;
    if (history.list().length === 0) {
      void window.showInformationMessage(l10n.t('The image history is empty.'));
      return;
    }
    const clear = l10n.t('Clear History');
    const choice = await window.showWarningMessage(
      l10n.t('Clear the image history of this workspace ({0} images)?', history.list().length),
      { modal: true, detail: l10n.t('The image files are kept.') },
      clear,
    );
    if (choice === clear) history.clear();
  }

  /** The entry's document when a tab still shows it, else the last text editor that is still open. */
  private async targetEditor(entry: HistoryEntry): Promise<TextEditor | undefined> {
    if (entry.documentUri) {
      const key = entry.documentUri;
      const visible = window.visibleTextEditors.find((e) => e.document.uri.toString() === key);
      if (visible) return visible;
      const document = workspace.textDocuments.find((d) => d.uri.toString() === key);
      if (document && isOpenInAnyTab(document)) {
        const tab = window.tabGroups.all.find((group) => group.tabs.some((t) => tabShows(t.input, key)));
        return window.showTextDocument(document, { preserveFocus: false, preview: false, ...(tab ? { viewColumn: tab.viewColumn } : {}) });
      }
    }
    const last = this.lastEditor;
    if (last && isOpenInAnyTab(last.document)) {
      return window.visibleTextEditors.find((e) => e.document === last.document) ??
        window.showTextDocument(last.document, { preserveFocus: false, preview: false });
    }
    return undefined;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

function tabShows(input: unknown, key: string): boolean {
  if (typeof input !== 'object' || input === null) return false;
  const uri = (input as { uri?: unknown }).uri;
  return uri instanceof Uri && uri.toString() === key;
}

/** The history commands that act on one entry take its id (from the tree view or the panel). */
export function entryFromArgument(history: ImageHistory, arg: unknown): HistoryEntry | undefined {
  return typeof arg === 'string' ? history.get(arg) : undefined;
}

