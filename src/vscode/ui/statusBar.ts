/**
 * One status bar item for all running generations: `$(sync~spin) CPA Image: partial image 1/2 · 0:12`
 * for one, `$(sync~spin) CPA Image: 2 generations · 0:40` for several. Clicking it cancels (through the
 * cancelGeneration command: the one running at once, a picker only when several run).
 */
import { MarkdownString, StatusBarAlignment, commands, l10n, window } from 'vscode';
import type { Disposable, StatusBarItem } from 'vscode';
import { markdownText } from '../../core/text/inertText';
import { Commands, generatingContextKey } from '../constants';
import { promptExcerpt } from './format';
import type { GenerationRegistry } from '../generation/generations';

export class GenerationStatusBar implements Disposable {
  private readonly item: StatusBarItem;
  private readonly subscription: Disposable;
  private wasGenerating = false;

  constructor(private readonly registry: GenerationRegistry) {
    this.item = window.createStatusBarItem('cpaImage.generation', StatusBarAlignment.Left, 100);
    this.item.name = l10n.t('CPA Image generation');
    this.item.command = Commands.cancelGeneration;
    this.subscription = registry.onDidChange(() => this.render());
  }

  private render(): void {
    const running = this.registry.list();
    const generating = running.length > 0;
    if (generating !== this.wasGenerating) {
      this.wasGenerating = generating;
      void commands.executeCommand('setContext', generatingContextKey, generating);
    }
    if (!generating) {
      this.item.hide();
      return;
    }
    const now = this.registry.currentTime();
    const oldest = running[0];
    if (oldest === undefined) return;
    this.item.text =
      running.length === 1
        ? `$(sync~spin) ${l10n.t('CPA Image: {0} · {1}', oldest.describe(now), oldest.elapsed(now))}`
        : `$(sync~spin) ${l10n.t('CPA Image: {0} generations · {1}', running.length, oldest.elapsed(now))}`;
    // Untrusted (no command link can run), no theme icons, and the prompt only through appendText (core/inertText.ts).
    const tooltip = new MarkdownString(undefined, false);
    tooltip.isTrusted = false;
    for (const generation of running) {
      tooltip.appendText(`${markdownText(promptExcerpt(generation.prompt, 60))} — ${generation.describe(now)} · ${generation.elapsed(now)}`);
      tooltip.appendMarkdown('\n\n');
    }
    tooltip.appendText(l10n.t('Click to cancel.'));
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
