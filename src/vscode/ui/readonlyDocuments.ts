/**
 * Read-only documents under the `cpa-image:` scheme (the resolved configuration): shown in an editor,
 * never dirty, never asking to be saved when closed.
 */
import { EventEmitter, Uri, window, workspace } from 'vscode';
import type { Disposable, TextDocumentContentProvider } from 'vscode';
import { readonlyDocumentScheme } from '../constants';

export class ReadonlyDocuments implements TextDocumentContentProvider, Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changeEmitter = new EventEmitter<Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly registration: Disposable;

  constructor() {
    this.registration = workspace.registerTextDocumentContentProvider(readonlyDocumentScheme, this);
  }

  provideTextDocumentContent(uri: Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  /** Shows `content` as `cpa-image:/<name>` (the name's extension picks the language, e.g. `.md`). */
  async show(name: string, content: string): Promise<void> {
    const uri = Uri.from({ scheme: readonlyDocumentScheme, path: `/${name}` });
    this.contents.set(uri.toString(), content);
    this.changeEmitter.fire(uri);
    const document = await workspace.openTextDocument(uri);
    await window.showTextDocument(document, { preview: true });
  }

  dispose(): void {
    this.registration.dispose();
    this.changeEmitter.dispose();
  }
}
