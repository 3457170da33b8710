/**
 * "Check Connection": a cheap authenticated request (GET /v1/models) that tells whether the gateway answers and
 * accepts the key. A gateway without that route (many have none: it answers 404) is reachable all the same; that is
 * said as such, not as a failure, and the key is then checked by the first generation instead. It also says which
 * image routes the gateway offers (issue 14): the Responses route when it lists a text model, the Images route when it
 * lists an image model or answers the free probe (POST /v1/images/generations with `{}`, refused for its missing
 * prompt without reaching the upstream). Whether the Responses route's image tool works is known only from an image.
 */
import { ProgressLocation, l10n, window } from 'vscode';
import { GatewayError, isCancellation } from '../../../core/errors';
import { notificationText } from '../../../core/text/inertText';
import { isImageModel } from '../../../core/config/resolved';
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
  /** The image routes the gateway offers, as far as a free check can tell. */
  routes: OfferedRoutes;
}

/** `responses`: a text model is listed (or no list to tell otherwise); `images`: an image model is listed or the probe answered. */
export interface OfferedRoutes {
  responses: boolean;
  images: boolean;
}

/** The routes in words, for the notification. */
export function routesText(routes: OfferedRoutes): string {
  if (routes.responses && routes.images) return l10n.t('it offers both image routes, Responses (a text model with the image_generation tool) and Images (/v1/images)');
  if (routes.images) return l10n.t('it offers the Images route (/v1/images) and lists no text model for the Responses route; set cpaImage.api to images');
  return l10n.t('it offers the Responses route (a text model with the image_generation tool) but not the Images route (/v1/images)');
}

/** What the check found, for a notification. */
export function connectionSummary(result: ConnectionCheck): string {
  const summary = result.modelsRoute
    ? l10n.t('Connected to {0}: the gateway answered and accepted the key ({1} models).', result.shownHost, result.models)
    : l10n.t(
        'Connected to {0}: the gateway answered, but it has no /v1/models route (many gateways have none), so the key was not checked; the first image will check it. If generating says "not found", check the path of the base URL.',
        result.shownHost,
      );
  return l10n.t('{0} Routes: {1}.', summary, routesText(result.routes));
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
      async (_progress, token) => {
        const controller = new AbortController();
        const onCancel = token.onCancellationRequested(() => controller.abort());
        try {
          let models: string[] | undefined;
          let status = 0;
          try {
            ({ models, status } = await client.checkConnection(gateway, { signal: controller.signal }));
          } catch (err) {
            if (!(err instanceof GatewayError && err.kind === 'not_found' && err.status === 404)) throw err;
          }
          const images = await client.imagesRouteOffered(gateway, { signal: controller.signal, ...(models ? { models } : {}) });
          return { models, status, images };
        } finally {
          onCancel.dispose();
        }
      },
    );
    // With no list to tell, the Responses route is taken to be there (it is the gateway's main route).
    const responses = result.models === undefined || result.models.some((id) => !isImageModel(id));
    const routes = { responses, images: result.images };
    if (result.models === undefined) {
      log.info('Check connection: the gateway has no /v1/models route (404); it answered, so it is reachable');
    } else {
      log.info(`Check connection: ${host} answered HTTP ${result.status} with ${result.models.length} models`);
    }
    log.info(`Check connection: routes offered: Responses ${routes.responses ? 'yes' : 'no'}, Images ${routes.images ? 'yes' : 'no'}`);
    return { shownHost, models: result.models?.length ?? 0, modelsRoute: result.models !== undefined, routes };
  } catch (err) {
    if (isCancellation(err)) return undefined;
    throw loaded ? rememberConfiguration(err, loaded.resolved) : err;
  }
}
