/**
 * "Check Connection": a cheap authenticated request (GET /v1/models) that tells whether the gateway answers and
 * accepts the key. A gateway without that route (many have none: it answers 404) is reachable all the same; that is
 * said as such, not as a failure, and the key is then checked by the first generation instead.
 */
import { ProgressLocation, l10n, window } from 'vscode';
import { GatewayError, isCancellation } from '../../../core/errors';
import { notificationText } from '../../../core/text/inertText';
import type { LoadedConfiguration } from '../../configuration';
import { rememberConfiguration } from '../../ui/errorMessages';
import { hostOf } from '../../ui/format';
import type { Services } from '../../services';

export interface ConnectionCheck {
  /** The gateway's host, made inert for a notification. */
  shownHost: string;
  models: number;
  /** False when the gateway answered 404 for /v1/models: reachable, but the key was not checked. */
  modelsRoute: boolean;
}

/** What the check found, for a notification. */
export function connectionSummary(result: ConnectionCheck): string {
  return result.modelsRoute
    ? l10n.t('Connected to {0}: the gateway answered and accepted the key ({1} models).', result.shownHost, result.models)
    : l10n.t(
        'Connected to {0}: the gateway answered, but it has no /v1/models route (many gateways have none), so the key was not checked; the first image will check it. If generating says "not found", check the path of the base URL.',
        result.shownHost,
      );
}

export async function checkConnection(services: Services): Promise<void> {
  const result = await probeConnection(services);
  if (result === undefined) return;
  void window.showInformationMessage(connectionSummary(result));
}

/**
 * The check itself, under a cancellable progress notification. Resolves undefined when the user cancelled (not a
 * failure: nothing to say); throws the failure with the configuration it used remembered, so the message names
 * the source to fix (Set Up Gateway… shows it with its own buttons, the command table with the error's).
 */
export async function probeConnection(services: Services): Promise<ConnectionCheck | undefined> {
  const { log, configuration } = services;
  let loaded: LoadedConfiguration | undefined;
  let shownHost = '';
  try {
    loaded = await configuration.load(window.activeTextEditor?.document.uri);
    const gateway = configuration.gatewaySettings(loaded);
    const host = hostOf(gateway.baseUrl);
    // The URL comes from a setting (possibly the workspace's): data in the progress title and the notification.
    shownHost = notificationText(host);
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
    return { shownHost, models: result.models.length, modelsRoute: true };
  } catch (err) {
    if (isCancellation(err)) return undefined;
    if (err instanceof GatewayError && err.kind === 'not_found' && err.status === 404) {
      log.info('Check connection: the gateway has no /v1/models route (404); it answered, so it is reachable');
      return { shownHost, models: 0, modelsRoute: false };
    }
    throw loaded ? rememberConfiguration(err, loaded.resolved) : err;
  }
}
