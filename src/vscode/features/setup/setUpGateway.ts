/**
 * "Set Up Gateway…": the first run in three steps — the base URL (checked as it is typed, `http://` offered when
 * the scheme is missing), the API key (password box, SecretStorage), then Check Connection, whose result comes
 * with what to do next: "Generate Image" when it worked, "Retry" / "Open Settings" when it did not.
 *
 * The URL goes to the USER settings only: `cpaImage.baseUrl` has application scope, because the key is sent to
 * it and an opened workspace must not choose where the key goes.
 */
import { ConfigurationTarget, InputBoxValidationSeverity, commands, l10n, window, workspace } from 'vscode';
import type { InputBoxValidationMessage } from 'vscode';
import { checkBaseUrlInput } from '../../../core/config/baseUrlInput';
import type { BaseUrlCheck } from '../../../core/config/baseUrlInput';
import { isCancellation, keyHint } from '../../../core/errors';
import { notificationText } from '../../../core/text/inertText';
import { redactUrlCredentials } from '../../../core/text/redaction';
import { Commands, configSection } from '../../constants';
import { describeError } from '../../ui/errorMessages';
import { fixActionLabel, runFixAction } from '../../ui/fixActionButtons';
import type { Services } from '../../services';
import { connectionSummary, probeConnection } from './checkConnection';
import { askAndStoreApiKey } from './setApiKey';

const baseUrlSetting = 'baseUrl';
const example = 'http://127.0.0.1:8317/v1';

export async function setUpGateway(services: Services): Promise<void> {
  const settings = workspace.getConfiguration(configSection);
  const current = settings.inspect<string>(baseUrlSetting)?.globalValue ?? '';
  const answer = await window.showInputBox({
    title: l10n.t('Set Up Gateway (1/2): base URL'),
    prompt: l10n.t("The address of the OpenAI-compatible gateway, with or without /v1. It is saved in your user settings (cpaImage.baseUrl)."),
    placeHolder: example,
    value: current,
    ignoreFocusOut: true,
    validateInput: (value) => baseUrlMessage(checkBaseUrlInput(value)),
  });
  if (answer === undefined) return;
  const check = checkBaseUrlInput(answer);
  // The box refuses everything else; an accepted `noScheme` answer means "yes, with http://".
  if (check.kind !== 'ok' && check.kind !== 'noScheme') return;
  await settings.update(baseUrlSetting, check.url, ConfigurationTarget.Global);
  services.log.info(`Set Up Gateway: cpaImage.baseUrl = ${redactUrlCredentials(check.url)} (user settings)`);

  const { resolved } = await services.configuration.load(window.activeTextEditor?.document.uri);
  const inUse = resolved.apiKey.value;
  const key = await askAndStoreApiKey(services, { step: '2/2', ...(inUse !== undefined ? { current: keyHint(inUse) } : {}) });
  if (key.kind === 'cancelled') return;
  await checkAndOfferNext(services);
}

/** The message under the URL box: an error blocks Enter, the `http://` offer does not. */
function baseUrlMessage(check: BaseUrlCheck): InputBoxValidationMessage | string | undefined {
  switch (check.kind) {
    case 'ok':
      return undefined;
    case 'noScheme':
      return {
        message: l10n.t('No http:// or https:// at the start: press Enter to use {0}', notificationText(check.url)),
        severity: InputBoxValidationSeverity.Info,
      };
    case 'empty':
      return l10n.t('Enter the gateway address, for example {0}', example);
    case 'spaces':
      return l10n.t('A URL has no spaces.');
    case 'badScheme':
      return l10n.t('The gateway is reached over http:// or https://, not {0}.', notificationText(`${check.scheme}:`));
    case 'noHost':
      return l10n.t('The URL has no host name, for example {0}', example);
    case 'badPort':
      return l10n.t('The port {0} is not a number from 1 to 65535.', notificationText(check.port));
    case 'invalid':
      return l10n.t('This is not a valid URL, for example {0}', example);
  }
}

/** Check Connection, then "Generate Image" on success or "Retry" / "Open Settings" (and "Set API Key" for a rejected key). */
async function checkAndOfferNext(services: Services): Promise<void> {
  for (;;) {
    try {
      const result = await probeConnection(services);
      if (result === undefined) return;
      const generate = l10n.t('Generate Image');
      const choice = await window.showInformationMessage(
        result.modelsRoute
          ? l10n.t('The gateway is set up: {0} answered and accepted the key ({1} models).', result.shownHost, result.models)
          : connectionSummary(result),
        generate,
      );
      if (choice === generate) await commands.executeCommand(Commands.generate);
      return;
    } catch (err) {
      if (isCancellation(err)) return;
      services.log.warn(`Set Up Gateway: the connection check failed: ${err instanceof Error ? err.message : String(err)}`);
      const { message, actions } = describeError(err);
      const retry = l10n.t('Retry');
      const openSettings = l10n.t('Open Settings');
      const setKey = actions.find((action) => action.kind === 'setApiKey');
      const showLog = l10n.t('Show Log');
      const choice = await window.showErrorMessage(message, retry, openSettings, ...(setKey ? [fixActionLabel(setKey)] : []), showLog);
      if (choice === retry) continue;
      if (choice === openSettings) await runFixAction({ kind: 'openSettings', setting: `${configSection}.${baseUrlSetting}` });
      else if (choice === showLog) services.showLog();
      else if (setKey && choice === fixActionLabel(setKey)) {
        const stored = await askAndStoreApiKey(services, { step: '2/2' });
        if (stored.kind === 'saved') continue;
      }
      return;
    }
  }
}
