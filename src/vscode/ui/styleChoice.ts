/**
 * The prompt box's style choice (issue 13 item 5), for this one image: the default (the document's front matter
 * `image-style`, else `cpaImage.style` for the document's folder, else none), no style, or any style of the catalog
 * (the built-in ones and `cpaImage.styles`). Not remembered: the default already says what the document wants.
 */
import { l10n, window, workspace } from 'vscode';
import type { QuickPickItem, TextDocument } from 'vscode';
import { frontMatterStyle, normaliseStyleName, styleCatalog } from '../../core/prompt/styles';
import { iconLabelText } from '../../core/text/inertText';
import { configSection } from '../constants';

interface StyleItem extends QuickPickItem {
  /** undefined: the default; `none`: no style; else a style's name. */
  choice: string | undefined;
}

export class StyleChoice {
  /** What was picked for this image: undefined keeps the default. */
  chosen: string | undefined;

  constructor(
    private readonly styles: ReadonlyMap<string, string>,
    /** The default's name (undefined: none) and where it comes from. */
    private readonly defaultStyle: { name: string | undefined; source: 'front matter' | 'setting' | 'none' },
  ) {}

  /** The catalog and the default for `document` (its folder's settings, its front matter). */
  static for(document: TextDocument | undefined): StyleChoice {
    const config = workspace.getConfiguration(configSection, document?.uri);
    const { styles } = styleCatalog(config.get<unknown>('styles'));
    const fromFrontMatter = document ? frontMatterStyle(document.getText()) : undefined;
    const setting = normaliseStyleName(config.get<string>('style') ?? '');
    if (fromFrontMatter !== undefined) return new StyleChoice(styles, { name: fromFrontMatter, source: 'front matter' });
    if (setting !== '' && setting !== 'none') return new StyleChoice(styles, { name: setting, source: 'setting' });
    return new StyleChoice(styles, { name: undefined, source: 'none' });
  }

  /** The name sent with the request: undefined lets the pipeline apply the default (front matter, then setting). */
  requestStyle(): string | undefined {
    return this.chosen;
  }

  /** How the current choice reads in the prompt box's title: `watercolor`, `no style`. */
  label(): string {
    const name = this.chosen ?? this.defaultStyle.name;
    return name === undefined || name === 'none' ? l10n.t('no style') : iconLabelText(name);
  }

  async pick(): Promise<void> {
    const { name, source } = this.defaultStyle;
    const defaultLabel =
      source === 'front matter'
        ? l10n.t('Default: {0} (the front matter)', iconLabelText(name ?? ''))
        : source === 'setting'
          ? l10n.t('Default: {0} (cpaImage.style)', iconLabelText(name ?? ''))
          : l10n.t('Default: no style (cpaImage.style)');
    const items: StyleItem[] = [
      { label: defaultLabel, choice: undefined },
      { label: l10n.t('No style'), choice: 'none' },
      ...[...this.styles].map(([styleName, text]) => ({ label: iconLabelText(styleName), detail: iconLabelText(text), choice: styleName })),
    ];
    const quickPick = window.createQuickPick<StyleItem>();
    quickPick.title = l10n.t('Style of this image');
    quickPick.placeholder = l10n.t('Added to the prompt as sent; add your own in cpaImage.styles');
    quickPick.items = items;
    quickPick.activeItems = items.filter((item) => item.choice === this.chosen);
    quickPick.ignoreFocusOut = true;
    await new Promise<void>((resolve) => {
      quickPick.onDidAccept(() => {
        const item = quickPick.selectedItems[0] ?? quickPick.activeItems[0];
        if (item) this.chosen = item.choice;
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
