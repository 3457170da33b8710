/** "Set API Key": stores the key in SecretStorage only, and confirms with its last four characters. */
import { l10n, window } from 'vscode';
import { keyHint } from '../../../core/errors';
import { notificationText } from '../../../core/text/inertText';
import type { Services } from '../../services';

export async function setApiKey(services: Services): Promise<void> {
  const key = await window.showInputBox({
    title: l10n.t('Set API Key'),
    prompt: l10n.t("The gateway's API key. It is kept in VS Code's secret storage, never in settings or logs."),
    placeHolder: l10n.t('Paste the API key'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => {
      const trimmed = value.trim();
      if (trimmed === '') return l10n.t('Enter a key, or press Escape to cancel.');
      if (/\s/.test(trimmed)) return l10n.t('An API key has no spaces or line breaks.');
      return undefined;
    },
  });
  if (key === undefined || key.trim() === '') return;
  await services.apiKeys.set(key);
  services.log.info(`API key stored in SecretStorage (${keyHint(key.trim())})`);
  void window.showInformationMessage(l10n.t('API key saved ({0}).', notificationText(keyHint(key.trim()))));
}
