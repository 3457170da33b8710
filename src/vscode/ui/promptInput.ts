/**
 * Asks for the prompt: an input box (pre-filled with the selection) with a "Recent prompts" button that
 * lists the last 20 prompts; picking one puts it back in the box to use as is or to edit. An input box,
 * rather than a quick pick that mixes typed text and history, means Enter always uses exactly what was typed.
 * With `aspects`, an "Aspect" button picks the size of this image (Auto, 1:1, 3:2, …); the box's title shows the
 * choice, which is remembered for the next time. With `styles`, a "Style" button picks the style of this image
 * (ui/styleChoice.ts); the title shows it too. With `variants`, a "Variants" button picks how many candidates to make
 * (ui/variantChoice.ts); the title shows the count when it is above 1.
 */
import { ThemeIcon, l10n, window } from 'vscode';
import type { QuickInputButton, QuickPickItem } from 'vscode';
import { iconLabelText } from '../../core/text/inertText';
import { ASPECTS, sizeOfAspect, type Aspect, type AspectMemory } from './aspectChoice';
import type { StyleChoice } from './styleChoice';
import type { VariantChoice } from './variantChoice';

/** A recent prompt as a quick-pick row: the label shows it with icons made inert, `prompt` keeps it exact. */
interface RecentPromptItem extends QuickPickItem {
  prompt: string;
}

/** Resolves to the trimmed prompt, or undefined when the box was dismissed or left empty. */
export async function askForPrompt(
  initial: string,
  recent: readonly string[],
  aspects?: AspectMemory,
  styles?: StyleChoice,
  variants?: VariantChoice,
): Promise<string | undefined> {
  let value = initial;
  for (;;) {
    const answer = await showPromptBox(value, recent, aspects, styles, variants);
    if (answer.kind === 'done') return answer.prompt;
    if (answer.kind === 'variants' && variants) {
      await variants.pick();
      value = answer.value;
      continue;
    }
    if (answer.kind === 'style' && styles) {
      await styles.pick();
      value = answer.value;
      continue;
    }
    if (answer.kind === 'aspect' && aspects) {
      const chosen = await pickAspect(aspects.current);
      if (chosen !== undefined) await aspects.choose(chosen);
      value = answer.value;
      continue;
    }
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

type BoxAnswer = { kind: 'done'; prompt: string | undefined } | { kind: 'recent' | 'aspect' | 'style' | 'variants'; value: string };

/** `Auto (setting)`, `3:2 · 1536×1024`: how an aspect reads in the title and the list. */
export function aspectLabel(aspect: Aspect): string {
  const size = sizeOfAspect(aspect);
  return size === undefined ? l10n.t('Auto (cpaImage.size)') : `${aspect} · ${size.replace('x', '×')}`;
}

interface AspectItem extends QuickPickItem {
  aspect: Aspect;
}

async function pickAspect(current: Aspect): Promise<Aspect | undefined> {
  const items: AspectItem[] = ASPECTS.map((aspect) => ({ label: aspectLabel(aspect), aspect, picked: aspect === current }));
  const quickPick = window.createQuickPick<AspectItem>();
  quickPick.title = l10n.t('Aspect of this image');
  quickPick.placeholder = l10n.t('The size is sent to the gateway and the image is fitted to it (cpaImage.fit)');
  quickPick.items = items;
  quickPick.activeItems = items.filter((item) => item.aspect === current);
  quickPick.ignoreFocusOut = true;
  return new Promise((resolve) => {
    let chosen: Aspect | undefined;
    quickPick.onDidAccept(() => {
      chosen = quickPick.selectedItems[0]?.aspect ?? quickPick.activeItems[0]?.aspect;
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      quickPick.dispose();
      resolve(chosen);
    });
    quickPick.show();
  });
}

function showPromptBox(
  value: string,
  recent: readonly string[],
  aspects: AspectMemory | undefined,
  styles: StyleChoice | undefined,
  variants: VariantChoice | undefined,
): Promise<BoxAnswer> {
  return new Promise((resolve) => {
    const box = window.createInputBox();
    const recentButton: QuickInputButton = { iconPath: new ThemeIcon('history'), tooltip: l10n.t('Recent prompts') };
    const aspectButton: QuickInputButton = { iconPath: new ThemeIcon('screen-normal'), tooltip: l10n.t('Aspect of this image') };
    const styleButton: QuickInputButton = { iconPath: new ThemeIcon('symbol-color'), tooltip: l10n.t('Style of this image') };
    const variantsButton: QuickInputButton = { iconPath: new ThemeIcon('layers'), tooltip: l10n.t('Variants of this image') };
    let answer: BoxAnswer = { kind: 'done', prompt: undefined };
    const shown = [
      ...(aspects ? [aspectLabel(aspects.current)] : []),
      ...(styles ? [styles.label()] : []),
      ...(variants && variants.count() > 1 ? [variants.label()] : []),
    ];
    box.title = shown.length > 0 ? l10n.t('Generate Image — {0}', shown.join(' · ')) : l10n.t('Generate Image');
    box.prompt = recent.length > 0
      ? l10n.t('Describe the image, then press Enter. The history button lists your recent prompts.')
      : l10n.t('Describe the image, then press Enter.');
    box.placeholder = l10n.t('e.g. a watercolor fox reading a book under a lamp');
    box.value = value;
    box.ignoreFocusOut = true;
    box.buttons = [
      ...(aspects ? [aspectButton] : []),
      ...(styles ? [styleButton] : []),
      ...(variants ? [variantsButton] : []),
      ...(recent.length > 0 ? [recentButton] : []),
    ];
    const subscriptions = [
      box.onDidAccept(() => {
        const prompt = box.value.trim();
        answer = { kind: 'done', prompt: prompt === '' ? undefined : prompt };
        box.hide();
      }),
      box.onDidTriggerButton((button) => {
        const kind =
          button === recentButton ? 'recent' : button === aspectButton ? 'aspect' : button === styleButton ? 'style' : button === variantsButton ? 'variants' : undefined;
        if (kind === undefined) return;
        answer = { kind, value: box.value };
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
