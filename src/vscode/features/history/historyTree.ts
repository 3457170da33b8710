/**
 * "CPA Image History" in the Explorer: the history of this workspace, newest first, each image as its own icon,
 * an entry whose file was deleted marked so (it can still be regenerated). Choosing an entry shows it in the
 * preview panel; Insert and Regenerate are on the entry's context menu and inline.
 */
import { EventEmitter, MarkdownString, ThemeIcon, TreeItem, TreeItemCollapsibleState, Uri, env, l10n, window } from 'vscode';
import type { Disposable, Event, TreeDataProvider, TreeView } from 'vscode';
import { markdownText, treeItemText } from '../../../core/text/inertText';
import { PreviewCommands, historyViewId } from '../../constants';
import { formatLocalDate, promptExcerpt } from '../../ui/format';
import { displayPath } from '../../generation/insertion';
import { quotaLine, tokensText } from '../../ui/usageText';
import type { ImageHistory } from './imageHistory';

/** The elements are entry ids. */
class HistoryTreeData implements TreeDataProvider<string>, Disposable {
  private readonly changeEmitter = new EventEmitter<string | undefined>();
  readonly onDidChangeTreeData: Event<string | undefined> = this.changeEmitter.event;
  private readonly subscription: Disposable;

  constructor(private readonly history: ImageHistory) {
    this.subscription = history.onDidChange(() => this.changeEmitter.fire(undefined));
  }

  getChildren(element?: string): string[] {
    return element === undefined ? this.history.list().map((e) => e.id) : [];
  }

  async getTreeItem(id: string): Promise<TreeItem> {
    const entry = this.history.get(id);
    if (!entry) return new TreeItem(l10n.t('(removed)'), TreeItemCollapsibleState.None);
    const uri = Uri.parse(entry.uri);
    const exists = await this.history.exists(entry);
    const item = new TreeItem(treeItemText(promptExcerpt(entry.prompt, 60)), TreeItemCollapsibleState.None);
    item.id = entry.id;
    const date = formatLocalDate(entry.createdAt, env.language, 'short');
    item.description = exists ? date : `${l10n.t('file deleted')} · ${date}`;
    item.iconPath = exists ? uri : new ThemeIcon('circle-slash');
    // Untrusted, no theme icons; the prompt, the path and the settings are data and go in only through appendText.
    const tooltip = new MarkdownString(undefined, false);
    tooltip.isTrusted = false;
    tooltip.appendText(markdownText(entry.prompt));
    tooltip.appendMarkdown('\n\n');
    tooltip.appendText(`${markdownText(displayPath(uri))}${exists ? '' : ` (${l10n.t('file deleted')})`}`);
    tooltip.appendMarkdown('\n\n');
    tooltip.appendText(
      markdownText([entry.size ?? entry.settings.size, entry.settings.outputFormat, entry.settings.model].filter(Boolean).join(' · ')),
    );
    // What the image cost and the quota left after it, when the gateway said (issue 13 item 6).
    for (const line of [tokensText(entry.usage, env.language), quotaLine(entry.quota, Date.now(), env.language)]) {
      if (line === undefined) continue;
      tooltip.appendMarkdown('\n\n');
      tooltip.appendText(markdownText(line));
    }
    item.tooltip = tooltip;
    item.contextValue = exists ? 'cpaImage.historyEntry' : 'cpaImage.historyEntry.deleted';
    item.command = { command: PreviewCommands.showPreview, title: l10n.t('Show Image Preview'), arguments: [entry.id] };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}

export function createHistoryTreeView(history: ImageHistory): { view: TreeView<string>; disposable: Disposable } {
  const data = new HistoryTreeData(history);
  // An empty history shows the view's welcome content (package.json `viewsWelcome`).
  const view: TreeView<string> = window.createTreeView(historyViewId, { treeDataProvider: data, showCollapseAll: false });
  return {
    view,
    disposable: {
      dispose: () => {
        view.dispose();
        data.dispose();
      },
    },
  };
}
