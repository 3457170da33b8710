/** "Generate Image from Selection": the selected text is the prompt; nothing is asked. */
import { l10n, window } from 'vscode';
import { generateAtCursor } from '../../generation/generateAtCursor';
import { InsertionOrigin } from '../../generation/insertion';
import type { Services } from '../../services';

export async function generateImageFromSelection(services: Services): Promise<void> {
  const editor = window.activeTextEditor;
  const prompt = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).trim() : '';
  if (!editor || prompt === '') {
    void window.showInformationMessage(l10n.t('Select the text that describes the image first.'));
    return;
  }
  const origin = InsertionOrigin.capture(editor);
  await generateAtCursor(services, prompt, origin);
}
