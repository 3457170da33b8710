/** "Clear API Key": removes the key from SecretStorage and says which key, if any, is used now. */
import { l10n, window } from 'vscode';
import { keyHint } from '../../../core/errors';
import { notificationText } from '../../../core/text/inertText';
import type { Services } from '../../services';

export async function clearApiKey(services: Services): Promise<void> {
  const stored = await services.apiKeys.get();
  if (stored === undefined) {
    void window.showInformationMessage(l10n.t('No API key is stored in VS Code.'));
    return;
  }
  await services.apiKeys.clear();
  services.log.info('API key removed from SecretStorage');
  const { resolved } = await services.configuration.load(window.activeTextEditor?.document.uri);
  const fallback = resolved.apiKey.value;
  void window.showInformationMessage(
    fallback === undefined
      ? l10n.t('API key removed.')
      : l10n.t('API key removed. The key from {0} ({1}) is used now.', notificationText(resolved.apiKey.source), notificationText(keyHint(fallback))),
  );
}
