/**
 * One status bar item for all running generations: `$(sync~spin) CPA Image: partial image 1/2 · 0:12`
 * for one, `$(sync~spin) CPA Image: 2 generations · 0:40` for several. Clicking it cancels (through the
 * cancelGeneration command: the one running at once, a picker only when several run).
 *
 * Its tooltip also holds what this session spent (issue 13 item 6): the images made, their tokens, and the plan
 * quota left as last reported. Between generations, once an image was made, the item stays with that total
 * (`$(graph) 1,601 tokens`, without the "CPA Image:" of a running generation) and opens the history.
 */
import { MarkdownString, StatusBarAlignment, commands, env, l10n, window } from 'vscode';
import type { Disposable, StatusBarItem } from 'vscode';
import { markdownText } from '../../core/text/inertText';
import { addToTally, emptyTally, type UsageTally } from '../../core/gateway/usage';
import type { QuotaStatus } from '../../core/gateway/quota';
import { Commands, PreviewCommands, generatingContextKey } from '../constants';
import { promptExcerpt } from './format';
import { quotaLine, tallyLabel, tallyText } from './usageText';
import type { GenerationRegistry } from '../generation/generations';
import type { GenerationPipeline } from '../generation/pipeline';

export class GenerationStatusBar implements Disposable {
  private readonly item: StatusBarItem;
  private readonly subscriptions: Disposable[];
  private wasGenerating = false;
  /** Images made in this session and the tokens their answers reported. */
  private tally: UsageTally = emptyTally;
  /** The plan quota the latest answer that carried the Codex headers reported. */
  private quota: QuotaStatus | undefined;

  constructor(
    private readonly registry: GenerationRegistry,
    pipeline: GenerationPipeline,
  ) {
    this.item = window.createStatusBarItem('cpaImage.generation', StatusBarAlignment.Left, 100);
    this.item.name = l10n.t('CPA Image generation');
    this.item.command = Commands.cancelGeneration;
    this.subscriptions = [
      registry.onDidChange(() => this.render()),
      pipeline.onDidFinish(({ result }) => {
        if (!result) return;
        this.tally = addToTally(this.tally, result.image.usage);
        if (result.image.quota) this.quota = result.image.quota;
        this.render();
      }),
    ];
  }

  private render(): void {
    const running = this.registry.list();
    const generating = running.length > 0;
    if (generating !== this.wasGenerating) {
      this.wasGenerating = generating;
      void commands.executeCommand('setContext', generatingContextKey, generating);
    }
    if (!generating) {
      this.renderIdle();
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
    this.appendSession(tooltip);
    tooltip.appendText(l10n.t('Click to cancel.'));
    this.item.command = Commands.cancelGeneration;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  /** Between generations: hidden until an image was made in this session, then the session's total. */
  private renderIdle(): void {
    if (this.tally.images === 0) {
      this.item.hide();
      return;
    }
    this.item.text = `$(graph) ${tallyLabel(this.tally, env.language)}`;
    const tooltip = new MarkdownString(undefined, false);
    tooltip.isTrusted = false;
    this.appendSession(tooltip);
    tooltip.appendText(l10n.t('Click to show the image history.'));
    this.item.command = PreviewCommands.showHistory;
    this.item.tooltip = tooltip;
    this.item.show();
  }

  /** `This session: 1 image · 1,601 tokens` and the quota line; the plan type is the gateway's word (inertText). */
  private appendSession(tooltip: MarkdownString): void {
    if (this.tally.images === 0) return;
    tooltip.appendText(l10n.t('This session: {0}', tallyText(this.tally, env.language)));
    tooltip.appendMarkdown('\n\n');
    const quota = quotaLine(this.quota, Date.now(), env.language);
    if (quota === undefined) return;
    tooltip.appendText(markdownText(quota));
    tooltip.appendMarkdown('\n\n');
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.item.dispose();
  }
}
