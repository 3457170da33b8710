/**
 * "Illustrate This Section" (issue 13): an image for the part of a markdown document the cursor is in. The prompt is
 * made from the headings above the cursor and the paragraph at it (core/markdown/sectionPrompt.ts), shown in the
 * prompt box to edit; the link goes right after that paragraph, as a paragraph of its own, tracked through the
 * user's edits while the image is made.
 */
import { l10n, window } from 'vscode';
import { isMarkdownLanguage } from '../../../core/markdown/links';
import { sectionPrompt } from '../../../core/markdown/sectionPrompt';
import { InsertionOrigin } from '../../generation/insertion';
import { askForPrompt } from '../../ui/promptInput';
import { StyleChoice } from '../../ui/styleChoice';
import { VariantChoice } from '../../ui/variantChoice';
import { generateTypedPrompt } from '../../generation/generateAtCursor';
import type { Services } from '../../services';

export async function illustrateSection(services: Services): Promise<void> {
  const editor = window.activeTextEditor;
  if (!editor || !isMarkdownLanguage(editor.document.languageId)) {
    void window.showInformationMessage(l10n.t('Open a markdown document and put the cursor in the paragraph to illustrate.'));
    return;
  }
  const { document } = editor;
  const section = sectionPrompt(document.getText(), document.offsetAt(editor.selection.active));
  if (!section) {
    void window.showInformationMessage(l10n.t('There is no paragraph to illustrate here. Put the cursor in a paragraph of text, then run this again.'));
    return;
  }
  // Tracked from now: the paragraph's end moves with whatever the user types while the prompt box is open.
  const origin = InsertionOrigin.afterParagraph(document, section.insertAt);
  try {
    await services.pipeline.checkConfigured({ document });
  } catch (err) {
    origin.dispose();
    throw err;
  }
  const styles = StyleChoice.for(document);
  const variants = VariantChoice.for(document);
  const prompt = await askForPrompt(section.prompt, services.recentPrompts.list(), services.aspects, styles, variants);
  if (prompt === undefined) {
    origin.dispose();
    return;
  }
  await generateTypedPrompt(services, prompt, origin, styles.requestStyle(), variants.count());
}
