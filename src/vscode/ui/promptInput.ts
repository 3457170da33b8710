/**
 * Asks for the prompt: an input box (pre-filled with the selection) with a "Recent prompts" button that
 * lists the last 20 prompts; picking one puts it back in the box to use as is or to edit. An input box,
 * rather than a quick pick that mixes typed text and history, means Enter always uses exactly what was typed.
 */
import { ThemeIcon, l10n, window } from 'vscode';
import type { QuickInputButton, QuickPickItem } from 'vscode';
import { iconLabelText } from '../../core/text/inertText';

/** A recent prompt as a quick-pick row: the label shows it with icons made inert, `prompt` keeps it exact. */
interface RecentPromptItem extends QuickPickItem {
  prompt: string;
}

/** Resolves to the trimmed prompt, or undefined when the box was dismissed or left empty. */
export async function askForPrompt(initial: string, recent: readonly string[]): Promise<string | undefined> {
  let value = initial;
  for (;;) {
    const answer = await showPromptBox(value, recent);
    if (answer.kind === 'done') return answer.prompt;
    const items: RecentPromptItem[] = recent.map((prompt) => ({ label: iconLabelText(prompt), prompt }));
    const picked = await window.showQuickPick(items, {
      title: l10n.t('Recent prompts'),
      placeHolder: l10n.t('Pick a prompt to reuse; you can edit it before generating'),
      ignoreFocusOut: true,
      matchOnDetail: true,
    });
    value = picked?.prompt ?? answer.value;
  }
}

type BoxAnswer = { kind: 'done'; prompt: string | undefined } | { kind: 'recent'; value: string };

function showPromptBox(value: string, recent: readonly string[]): Promise<BoxAnswer> {
  return new Promise((resolve) => {
    const box = window.createInputBox();
    const recentButton: QuickInputButton = { iconPath: new ThemeIcon('history'), tooltip: l10n.t('Recent prompts') };
    let answer: BoxAnswer = { kind: 'done', prompt: undefined };
    box.title = l10n.t('Generate Image');
    box.prompt = recent.length > 0
      ? l10n.t('Describe the image, then press Enter. The history button lists your recent prompts.')
      : l10n.t('Describe the image, then press Enter.');
    box.placeholder = l10n.t('e.g. a watercolor fox reading a book under a lamp');
    box.value = value;
    box.ignoreFocusOut = true;
    if (recent.length > 0) box.buttons = [recentButton];
    const subscriptions = [
      box.onDidAccept(() => {
        const prompt = box.value.trim();
        answer = { kind: 'done', prompt: prompt === '' ? undefined : prompt };
        box.hide();
      }),
      box.onDidTriggerButton((button) => {
        if (button !== recentButton) return;
        answer = { kind: 'recent', value: box.value };
        box.hide();
      }),
      box.onDidHide(() => {
        for (const s of subscriptions) s.dispose();
        box.dispose();
        resolve(answer);
      }),
    ];
    box.show();
  });
}
