/** "Check Connection": a cheap authenticated request (GET /v1/models) that tells whether the gateway answers and accepts the key. */
import { ProgressLocation, l10n, window } from 'vscode';
import { isCancellation } from '../../../core/errors';
import { notificationText } from '../../../core/text/inertText';
import type { LoadedConfiguration } from '../../configuration';
import { rememberConfiguration } from '../../ui/errorMessages';
import { hostOf } from '../../ui/format';
import type { Services } from '../../services';

export interface ConnectionCheck {
  /** The gateway's host, made inert for a notification. */
  shownHost: string;
  models: number;
}

export async function checkConnection(services: Services): Promise<void> {
  const result = await probeConnection(services);
  if (result === undefined) return;
  void window.showInformationMessage(
    l10n.t('Connected to {0}: the gateway answered and accepted the key ({1} models).', result.shownHost, result.models),
  );
}

/**
 * The check itself, under a cancellable progress notification. Resolves undefined when the user cancelled (not a
 * failure: nothing to say); throws the failure with the configuration it used remembered, so the message names
 * the source to fix (Set Up Gateway… shows it with its own buttons, the command table with the error's).
 */
export async function probeConnection(services: Services): Promise<ConnectionCheck | undefined> {
  const { log, configuration } = services;
  let loaded: LoadedConfiguration | undefined;
  try {
    loaded = await configuration.load(window.activeTextEditor?.document.uri);
    const gateway = configuration.gatewaySettings(loaded);
    const host = hostOf(gateway.baseUrl);
    // The URL comes from a setting (possibly the workspace's): data in the progress title and the notification.
    const shownHost = notificationText(host);
    const client = await services.client();
    const result = await window.withProgress(
      { location: ProgressLocation.Notification, cancellable: true, title: l10n.t('Checking the connection to {0}…', shownHost) },
      (_progress, token) => {
        const controller = new AbortController();
        const onCancel = token.onCancellationRequested(() => controller.abort());
        return client.checkConnection(gateway, { signal: controller.signal }).finally(() => onCancel.dispose());
      },
    );
    log.info(`Check connection: ${host} answered HTTP ${result.status} with ${result.models.length} models`);
    return { shownHost, models: result.models.length };
  } catch (err) {
    if (isCancellation(err)) return undefined;
    throw loaded ? rememberConfiguration(err, loaded.resolved) : err;
  }
}
