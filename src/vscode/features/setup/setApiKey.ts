/**
 * "Set API Key": stores the key in SecretStorage only, confirms with its last four characters and offers
 * "Check Connection" (a saved key is only half the answer: the gateway still has to accept it). The password
 * box is shared with Set Up Gateway…, where an empty answer keeps the key already there.
 */
import { commands, l10n, window } from 'vscode';
import { keyHint } from '../../../core/errors';
import { notificationText } from '../../../core/text/inertText';
import { Commands } from '../../constants';
import type { Services } from '../../services';

export async function setApiKey(services: Services): Promise<void> {
  const outcome = await askAndStoreApiKey(services);
  if (outcome.kind !== 'saved') return;
  const check = l10n.t('Check Connection');
  const choice = await window.showInformationMessage(l10n.t('API key saved ({0}).', notificationText(outcome.hint)), check);
  if (choice === check) await commands.executeCommand(Commands.checkConnection);
}

export type ApiKeyOutcome = { kind: 'saved'; hint: string } | { kind: 'kept' } | { kind: 'cancelled' };

/**
 * The password box. `current`: the hint of a key that is already in use (stored or from the environment); with it,
 * an empty answer keeps that key instead of being refused.
 */
export async function askAndStoreApiKey(services: Services, options: { current?: string; step?: string } = {}): Promise<ApiKeyOutcome> {
  const { current } = options;
  const key = await window.showInputBox({
    title: options.step !== undefined ? l10n.t('Set Up Gateway ({0}): API key', options.step) : l10n.t('Set API Key'),
    prompt: current !== undefined
      ? l10n.t("The gateway's API key, kept in VS Code's secret storage. Leave it empty to keep the current key ({0}).", notificationText(current))
      : l10n.t("The gateway's API key. It is kept in VS Code's secret storage, never in settings or logs."),
    placeHolder: l10n.t('Paste the API key'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => {
      const trimmed = value.trim();
      if (trimmed === '') return current !== undefined ? undefined : l10n.t('Enter a key, or press Escape to cancel.');
      if (/\s/.test(trimmed)) return l10n.t('An API key has no spaces or line breaks.');
      return undefined;
    },
  });
  if (key === undefined) return { kind: 'cancelled' };
  if (key.trim() === '') return current !== undefined ? { kind: 'kept' } : { kind: 'cancelled' };
  await services.apiKeys.set(key);
  const hint = keyHint(key.trim());
  services.log.info(`API key stored in SecretStorage (${hint})`);
  return { kind: 'saved', hint };
}
