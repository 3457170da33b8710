/**
 * "Cancel Image Generation" (the status bar item's click): with one generation running it is cancelled at once
 * (the click said so; a picker of one is a second click for nothing); with several, the user picks which.
 */
import { l10n, window } from 'vscode';
import type { QuickPickItem } from 'vscode';
import { iconLabelText } from '../../../core/text/inertText';
import { promptExcerpt } from '../../ui/format';
import type { Generation } from '../../generation/generations';
import type { Services } from '../../services';

interface GenerationItem extends QuickPickItem {
  generation: Generation;
}

export async function cancelGeneration(services: Services): Promise<void> {
  const { registry } = services;
  const running = registry.list();
  if (running.length === 0) {
    void window.showInformationMessage(l10n.t('No image generation is running.'));
    return;
  }
  if (running.length === 1) {
    running[0]?.cancel();
    return;
  }
  const now = registry.currentTime();
  const items: GenerationItem[] = running.map((generation) => ({
    label: iconLabelText(promptExcerpt(generation.prompt, 80)),
    description: `${generation.describe(now)} · ${generation.elapsed(now)}`,
    picked: true,
    generation,
  }));
  const chosen = await window.showQuickPick(items, {
    title: l10n.t('Cancel Image Generation'),
    placeHolder: l10n.t('Select the generations to cancel, then press Enter'),
    canPickMany: true,
    ignoreFocusOut: true,
  });
  for (const item of chosen ?? []) item.generation.cancel();
}
