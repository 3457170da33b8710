/** "Generate Image": asks for the prompt (pre-filled with the selection, recent prompts one click away). */
import { window } from 'vscode';
import { promptFromSelection } from '../../ui/format';
import { InsertionOrigin } from '../../generation/insertion';
import { generateAtCursor } from './generateAtCursor';
import { askForPrompt } from '../../ui/promptInput';
import type { Services } from '../../services';

export async function generateImage(services: Services): Promise<void> {
  // The document and selection are those of the moment the command started (SPEC §3).
  const editor = window.activeTextEditor;
  const origin = InsertionOrigin.capture(editor);
  const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
  const prompt = await askForPrompt(promptFromSelection(selected), services.recentPrompts.list());
  if (prompt === undefined) {
    origin?.dispose();
    return;
  }
  await generateAtCursor(services, prompt, origin);
}
