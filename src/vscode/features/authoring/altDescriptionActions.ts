/**
 * Offers "Write Alt Text" (issue 14 item 5) as a quick fix (Ctrl+.) on every markdown image whose alt is empty or a
 * placeholder (markdownlint MD045; core/markdown/altTextImages.ts) and whose target is a local file. Remote images get
 * no action: only the palette command says why they are skipped. An image whose alt is being written is not offered
 * again.
 */
import { CodeAction, CodeActionKind, Range, l10n, languages } from 'vscode';
import type { CodeActionProvider, Disposable, TextDocument } from 'vscode';
import { findImagesNeedingAlt, type AltTextImage } from '../../../core/markdown/altTextImages';
import { skipProblem } from '../../../core/markdown/altTextWriter';
import { iconLabelText } from '../../../core/text/inertText';
import { writeAltTextCommand } from '../../constants';
import { promptExcerpt } from '../../ui/format';
import type { AltDescriptions } from './altDescriptions';
import { markdownSelector } from './altTextProviders';

const scanned = new WeakMap<TextDocument, { version: number; images: AltTextImage[] }>();

/** The images of `document` that need alt text, as it is now; scanned once per version (code actions ask on every cursor move). */
export function imagesNeedingAltOf(document: TextDocument): AltTextImage[] {
  const cached = scanned.get(document);
  if (cached && cached.version === document.version) return cached.images;
  const images = findImagesNeedingAlt(document.getText());
  scanned.set(document, { version: document.version, images });
  return images;
}

export function imageRange(document: TextDocument, image: AltTextImage): Range {
  return new Range(document.positionAt(image.start), document.positionAt(image.end));
}

export class AltDescriptionActionProvider implements CodeActionProvider {
  static readonly providedCodeActionKinds = [CodeActionKind.QuickFix];

  constructor(private readonly descriptions: AltDescriptions) {}

  provideCodeActions(document: TextDocument, range: Range): CodeAction[] {
    const start = document.offsetAt(range.start);
    const end = document.offsetAt(range.end);
    const images = imagesNeedingAltOf(document).filter(
      (image) => image.start <= end && start <= image.end && skipProblem(image) === undefined && !this.descriptions.isPending(document, image),
    );
    return images.map((image) => {
      const title =
        images.length > 1 ? l10n.t('Write Alt Text for “{0}”', iconLabelText(promptExcerpt(image.destination, 40))) : l10n.t('Write Alt Text');
      const action = new CodeAction(title, CodeActionKind.QuickFix);
      action.command = { title: l10n.t('Write Alt Text'), command: writeAltTextCommand, arguments: [document.uri, imageRange(document, image)] };
      return action;
    });
  }
}

export function registerAltDescriptionActions(descriptions: AltDescriptions): Disposable {
  return languages.registerCodeActionsProvider(markdownSelector, new AltDescriptionActionProvider(descriptions), {
    providedCodeActionKinds: AltDescriptionActionProvider.providedCodeActionKinds,
  });
}
