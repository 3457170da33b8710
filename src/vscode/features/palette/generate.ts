/**
 * "Generate Image": checks the configuration first (a missing URL or key is reported with its fix before any
 * prompt is typed), then asks for the prompt — pre-filled with the selection, else with the prompt of a run that
 * failed (kept until one succeeds), recent prompts one click away.
 */
import { window } from 'vscode';
import { promptFromSelection } from '../../ui/format';
import { InsertionOrigin } from '../../generation/insertion';
import { generateTypedPrompt } from '../../generation/generateAtCursor';
import { askForPrompt } from '../../ui/promptInput';
import { StyleChoice } from '../../ui/styleChoice';
import { VariantChoice } from '../../ui/variantChoice';
import type { Services } from '../../services';

export async function generateImage(services: Services): Promise<void> {
  // The document and selection are those of the moment the command started (SPEC §3).
  const editor = window.activeTextEditor;
  const origin = InsertionOrigin.capture(editor);
  const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
  try {
    await services.pipeline.checkConfigured(editor ? { document: editor.document } : {});
  } catch (err) {
    origin?.dispose();
    throw err;
  }
  const initial = promptFromSelection(selected) || services.recentPrompts.draft || '';
  const styles = StyleChoice.for(editor?.document);
  const variants = VariantChoice.for(editor?.document);
  const prompt = await askForPrompt(initial, services.recentPrompts.list(), services.aspects, styles, variants);
  if (prompt === undefined) {
    origin?.dispose();
    return;
  }
  await generateTypedPrompt(services, prompt, origin, styles.requestStyle(), variants.count());
}
