/**
 * Offers "Generate Image from Alt Text" on every image link with an empty or missing target in markdown-like
 * documents: a CodeLens above the link and a quick fix (Ctrl+.) on it. A link whose image is being generated shows
 * "Generating image…" instead, which cancels on click.
 */
import { CodeAction, CodeActionKind, CodeLens, Disposable, EventEmitter, Range, l10n, languages } from 'vscode';
import type { CodeActionProvider, CodeLensProvider, DocumentSelector, Event, TextDocument } from 'vscode';
import { findEmptyImageLinks, markdownLanguageIds } from '../../../core/markdown/emptyImageLinks';
import type { EmptyImageLink } from '../../../core/markdown/emptyImageLinks';
import { iconLabelText } from '../../../core/text/inertText';
import { Commands, generateFromAltTextCommand } from '../../constants';
import { promptExcerpt } from '../../ui/format';
import type { AltTextFills } from './altTextFills';

export const markdownSelector: DocumentSelector = markdownLanguageIds.map((language) => ({ language }));

const scanned = new WeakMap<TextDocument, { version: number; links: EmptyImageLink[] }>();

/** The empty image links of `document` as it is now; scanned once per version (code actions ask on every cursor move). */
export function emptyLinksOf(document: TextDocument): EmptyImageLink[] {
  const cached = scanned.get(document);
  if (cached && cached.version === document.version) return cached.links;
  const links = findEmptyImageLinks(document.getText());
  scanned.set(document, { version: document.version, links });
  return links;
}

function linkRange(document: TextDocument, link: EmptyImageLink): Range {
  return new Range(document.positionAt(link.start), document.positionAt(link.end));
}

/** The title of the action for `link`; with several links on a line, each names its alt text. */
function actionTitle(link: EmptyImageLink, sharesLine: boolean): string {
  return sharesLine
    ? l10n.t('Generate Image from Alt Text “{0}”', iconLabelText(promptExcerpt(link.prompt, 30)))
    : l10n.t('Generate Image from Alt Text');
}

/** Which links share their first line with another link. */
function sharedLines(document: TextDocument, links: readonly EmptyImageLink[]): Set<number> {
  const counts = new Map<number, number>();
  for (const link of links) {
    const line = document.positionAt(link.start).line;
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return new Set([...counts].filter(([, count]) => count > 1).map(([line]) => line));
}

export class AltTextCodeLensProvider implements CodeLensProvider, Disposable {
  private readonly changeEmitter = new EventEmitter<void>();
  private readonly subscription: Disposable;
  readonly onDidChangeCodeLenses: Event<void> = this.changeEmitter.event;

  constructor(private readonly fills: AltTextFills) {
    this.subscription = fills.onDidChange(() => this.changeEmitter.fire());
  }

  provideCodeLenses(document: TextDocument): CodeLens[] {
    const links = emptyLinksOf(document);
    const shared = sharedLines(document, links);
    return links.map((link) => {
      const range = linkRange(document, link);
      const fill = this.fills.fillFor(document, link);
      if (fill?.state === 'queued') {
        // Not clickable: a queued link has no request to cancel yet; the run's notification cancels the whole run.
        return new CodeLens(range, { title: `$(clock) ${l10n.t('Queued for generation')}`, tooltip: l10n.t('Waiting for a free slot; Cancel in the progress notification stops the whole run.'), command: '' });
      }
      if (fill?.state === 'generating' || fill?.state === 'partial') {
        return new CodeLens(range, {
          title: `$(loading~spin) ${fill.state === 'partial' ? l10n.t('Generating image… (partial image received)') : l10n.t('Generating image…')}`,
          tooltip: l10n.t('Click to cancel.'),
          command: Commands.cancelGeneration,
        });
      }
      const failed = fill?.state === 'failed';
      return new CodeLens(range, {
        title: failed
          ? `$(error) ${l10n.t('Image failed: Generate Again from Alt Text')}`
          : `$(sparkle) ${actionTitle(link, shared.has(range.start.line))}`,
        tooltip: l10n.t('Generate an image from “{0}” and fill in the link target', iconLabelText(promptExcerpt(link.prompt, 80))),
        command: generateFromAltTextCommand,
        arguments: [document.uri, range],
      });
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}

export class AltTextCodeActionProvider implements CodeActionProvider {
  static readonly providedCodeActionKinds = [CodeActionKind.QuickFix];

  constructor(private readonly fills: AltTextFills) {}

  provideCodeActions(document: TextDocument, range: Range): CodeAction[] {
    const start = document.offsetAt(range.start);
    const end = document.offsetAt(range.end);
    const links = emptyLinksOf(document).filter(
      (link) => link.start <= end && start <= link.end && !this.fills.isPending(document, link),
    );
    return links.map((link) => {
      const action = new CodeAction(actionTitle(link, links.length > 1), CodeActionKind.QuickFix);
      action.command = {
        title: l10n.t('Generate Image from Alt Text'),
        command: generateFromAltTextCommand,
        arguments: [document.uri, linkRange(document, link)],
      };
      return action;
    });
  }
}

/** Registers the CodeLens and the quick fix for markdown-like documents. */
export function registerAltTextProviders(fills: AltTextFills): Disposable {
  const lenses = new AltTextCodeLensProvider(fills);
  return Disposable.from(
    lenses,
    languages.registerCodeLensProvider(markdownSelector, lenses),
    languages.registerCodeActionsProvider(markdownSelector, new AltTextCodeActionProvider(fills), {
      providedCodeActionKinds: AltTextCodeActionProvider.providedCodeActionKinds,
    }),
  );
}
