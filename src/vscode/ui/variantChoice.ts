/**
 * The prompt box's variants choice (issue 13 item 3), for this one prompt: 1 to 4 candidates to pick from, the
 * default from `cpaImage.variants`. Not remembered: the setting is the lasting choice,
 * and a run of four by accident would cost four images each time.
 */
import { l10n, window, workspace } from 'vscode';
import type { QuickPickItem, TextDocument } from 'vscode';
import { VARIANT_COUNTS, variantCount } from '../../core/batch/variants';
import { configSection } from '../constants';

interface CountItem extends QuickPickItem {
  count: number;
}

export class VariantChoice {
  /** What was picked for this prompt: undefined keeps the setting's count. */
  chosen: number | undefined;

  constructor(private readonly defaultCount: number) {}

  /** The default (`cpaImage.variants`, read for `document` like the other settings). */
  static for(document: TextDocument | undefined): VariantChoice {
    return new VariantChoice(variantCount(workspace.getConfiguration(configSection, document?.uri).get<unknown>('variants')));
  }

  /** How many candidates to make. */
  count(): number {
    return this.chosen ?? this.defaultCount;
  }

  /** How the choice reads in the prompt box's title (only shown above 1): `3 variants`. */
  label(): string {
    return l10n.t('{0} variants', this.count());
  }

  async pick(): Promise<void> {
    const items: CountItem[] = VARIANT_COUNTS.map((count) => ({
      label: count === 1 ? l10n.t('1 image') : l10n.t('{0} variants', count),
      ...(count === this.defaultCount ? { description: l10n.t('default (cpaImage.variants)') } : {}),
      count,
    }));
    const quickPick = window.createQuickPick<CountItem>();
    quickPick.title = l10n.t('Variants of this image');
    quickPick.placeholder = l10n.t('Each variant is its own request, all at the same time; you keep the one you pick');
    quickPick.items = items;
    quickPick.activeItems = items.filter((item) => item.count === this.count());
    quickPick.ignoreFocusOut = true;
    await new Promise<void>((resolve) => {
      quickPick.onDidAccept(() => {
        const item = quickPick.selectedItems[0] ?? quickPick.activeItems[0];
        if (item) this.chosen = item.count;
        quickPick.hide();
      });
      quickPick.onDidHide(() => {
        quickPick.dispose();
        resolve();
      });
      quickPick.show();
    });
  }
}
