/**
 * The document a generation started from and the place its link goes: captured when the command starts,
 * tracked through the user's edits while the image is made (see insertTracker.ts for the rules), and used
 * at the end to insert the link — or, if the document was closed meanwhile, to put it on the clipboard.
 */
import * as path from 'node:path';
import { EndOfLine, Range, Selection, TabInputText, TabInputTextDiff, WorkspaceEdit, env, window, workspace } from 'vscode';
import type { Disposable, TextDocument, TextEditor, Uri } from 'vscode';
import { altFromPrompt, formatInsertion } from '../../core/markdown/links';
import { InsertionTracker, insertionText, selectionAfterInsertion } from './insertTracker';
import type { InsertionFormat } from '../../core/markdown/links';
import type { InsertPosition } from '../settings';

const posix = path.posix;

export type InsertOutcome =
  | { kind: 'inserted'; text: string }
  | { kind: 'copied'; text: string }
  | { kind: 'none' };

export class InsertionOrigin implements Disposable {
  private readonly tracker: InsertionTracker;
  private readonly subscription: Disposable;

  private constructor(
    readonly document: TextDocument,
    start: number,
    end: number,
    /** The link goes on a paragraph of its own (a blank line before it) instead of after the text on its line. */
    private readonly ownParagraph = false,
  ) {
    this.tracker = new InsertionTracker(start, end);
    this.subscription = workspace.onDidChangeTextDocument((e) => {
      if (e.document === this.document) this.tracker.apply(e.contentChanges);
    });
  }

  /** Captures the active editor's document and primary selection; undefined when no text editor is active. */
  static capture(editor: TextEditor | undefined): InsertionOrigin | undefined {
    if (!editor) return undefined;
    const { document, selection } = editor;
    return new InsertionOrigin(document, document.offsetAt(selection.start), document.offsetAt(selection.end));
  }

  /**
   * A document without an editor's selection (Regenerate from the history): the run saves where images of this
   * document go; the place, the start of the document, is used only when nothing replaces the insertion.
   */
  static forDocument(document: TextDocument): InsertionOrigin {
    return new InsertionOrigin(document, 0, 0);
  }

  /**
   * Right after a paragraph that ends at `offset` (Illustrate This Section): the link is inserted there as a
   * paragraph of its own, tracked through the user's edits like any other insertion point.
   */
  static afterParagraph(document: TextDocument, offset: number): InsertionOrigin {
    return new InsertionOrigin(document, offset, offset, true);
  }

  get languageId(): string {
    return this.document.languageId;
  }

  /**
   * Inserts the link for `imageUri` at the tracked place. When the document is no longer open in any editor
   * tab (or the edit is refused), the text goes to the clipboard instead so nothing is lost.
   */
  async insert(imageUri: Uri, prompt: string, format: InsertionFormat, position: InsertPosition): Promise<InsertOutcome> {
    const document = this.document;
    const link = linkText(imageUri, prompt, format, document);

    if (!isOpenInAnyTab(document)) {
      await env.clipboard.writeText(link);
      return { kind: 'copied', text: link };
    }
    const target = this.tracker.target(position);
    const length = document.getText().length;
    const start = document.positionAt(Math.min(target.start, length));
    const end = document.positionAt(Math.min(target.end, length));
    const replacing = target.end > target.start;
    const previous = target.start > 0 ? document.getText(new Range(document.positionAt(target.start - 1), start)) : undefined;
    const eol = document.eol === EndOfLine.CRLF ? '\r\n' : '\n';
    const text = this.ownParagraph ? `${eol}${eol}${link}` : insertionText(link, previous, replacing);
    const edit = new WorkspaceEdit();
    edit.replace(document.uri, new Range(start, end), text);
    // The selections of the editors showing the document, before the edit: VS Code would grow them over the link.
    const startOffset = document.offsetAt(start);
    const endOffset = document.offsetAt(end);
    const editors = window.visibleTextEditors
      .filter((editor) => editor.document === document)
      .map((editor) => ({ editor, before: editor.selections.map((s) => ({ anchor: document.offsetAt(s.anchor), active: document.offsetAt(s.active) })) }));
    if (await workspace.applyEdit(edit)) {
      for (const { editor, before } of editors) {
        editor.selections = before.map((s) => {
          const after = selectionAfterInsertion(s, { start: startOffset, end: endOffset, length: text.length });
          return new Selection(document.positionAt(after.anchor), document.positionAt(after.active));
        });
      }
      return { kind: 'inserted', text };
    }
    await env.clipboard.writeText(link);
    return { kind: 'copied', text: link };
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

/**
 * The paths a link for `imageUri` is made relative to: the document's (when it is a saved file on the same file
 * system; an untitled document has no folder) and the workspace folder's (when it shares the image's scheme). The
 * one place that decides it, for links inserted into a document and for the link the agent tool hands the model.
 */
export function linkBase(imageUri: Uri, documentUri?: Uri): { documentPath?: string; workspaceFolderPath?: string } {
  const sameFileSystem =
    documentUri !== undefined &&
    documentUri.scheme !== 'untitled' &&
    imageUri.scheme === documentUri.scheme &&
    imageUri.authority === documentUri.authority;
  const folder = workspace.getWorkspaceFolder(imageUri) ?? workspace.workspaceFolders?.[0];
  return {
    ...(documentUri && sameFileSystem ? { documentPath: documentUri.path } : {}),
    ...(folder && folder.uri.scheme === imageUri.scheme ? { workspaceFolderPath: folder.uri.path } : {}),
  };
}

/**
 * The link (or path) for `imageUri` as it would be inserted into `document`; without a document, the path
 * relative to the workspace folder (what goes to the clipboard when there is nowhere to insert).
 */
export function linkText(imageUri: Uri, prompt: string, format: InsertionFormat, document?: TextDocument): string {
  return formatInsertion({
    format,
    ...(document ? { languageId: document.languageId } : {}),
    imagePath: imageUri.path,
    ...linkBase(imageUri, document?.uri),
    alt: altFromPrompt(prompt),
  });
}

/** A closed tab may leave its document alive for a while; what counts for the user is whether a tab shows it. */
export function isOpenInAnyTab(document: TextDocument): boolean {
  if (document.isClosed) return false;
  const key = document.uri.toString();
  return window.tabGroups.all.some((group) =>
    group.tabs.some((tab) => {
      const input = tab.input;
      if (input instanceof TabInputText) return input.uri.toString() === key;
      if (input instanceof TabInputTextDiff) return input.modified.toString() === key;
      return false;
    }),
  );
}

/** `images/foo.png` for the notification: relative to its workspace folder, else the file name's path. */
export function displayPath(uri: Uri): string {
  const folder = workspace.getWorkspaceFolder(uri);
  if (folder) return posix.relative(folder.uri.path, uri.path);
  return uri.scheme === 'file' ? uri.fsPath : uri.path;
}
