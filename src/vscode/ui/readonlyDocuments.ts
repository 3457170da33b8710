/**
 * Read-only documents under the `cpa-image:` scheme (the resolved configuration): shown in an editor or, for
 * markdown, rendered in VS Code's markdown preview; never dirty, never asking to be saved when closed.
 */
import { EventEmitter, Uri, commands, window, workspace } from 'vscode';
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

  /** Shows `content` as `cpa-image:/<name>` in a text editor (the name's extension picks the language, e.g. `.md`). */
  async show(name: string, content: string): Promise<void> {
    const document = await workspace.openTextDocument(this.put(name, content));
    await window.showTextDocument(document, { preview: true });
  }

  /**
   * Shows markdown `content` rendered, in VS Code's markdown preview (which runs no script and no `command:` link
   * of a document it does not trust), or as text where the built-in markdown extension is disabled.
   */
  async showRendered(name: string, content: string): Promise<void> {
    const uri = this.put(name, content);
    const available = await commands.getCommands(true);
    if (!available.includes('markdown.showPreview')) return this.show(name, content);
    await commands.executeCommand('markdown.showPreview', uri);
  }

  private put(name: string, content: string): Uri {
    const uri = Uri.from({ scheme: readonlyDocumentScheme, path: `/${name}` });
    this.contents.set(uri.toString(), content);
    this.changeEmitter.fire(uri);
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.changeEmitter.dispose();
  }
}
