/**
 * What the user reads when something fails: one localised sentence per `GatewayError` kind, built from the
 * error's details (status, the gateway's own words, reset time, the model's text, the timeout), and the actions
 * that fix it (fixActions.ts). The English `message` of the error stays the log's version.
 */
import { l10n } from 'vscode';
import type { ResolvedConfig } from '../../core/config/config';
import { isGatewayError } from '../../core/errors';
import type { GatewayError } from '../../core/errors';
import { notificationText } from '../../core/text/inertText';
import { formatSeconds } from './format';
import { SaveDismissed } from '../generation/saveImage';
import { withAttempts } from './stoppedAfter';
import { oneLineExcerpt } from '../../core/text/describe';
import { FileError } from '../../core/files/fileError';
import { configurationProblem, fixActionsFor } from './fixActions';
import type { FixAction } from './fixActions';

export interface UserFacingError {
  message: string;
  /** The actions that fix it, offered next to "Show Log" (fixActions.ts; "Retry" among them when a retry can help). */
  actions: FixAction[];
}

/**
 * Long gateway texts are cut so the notification stays readable; the log has them in full. The result is
 * untrusted text made inert for a notification (no live `[label](command:…)` link, see core/inertText.ts).
 */
function quote(text: string | undefined, max = 300): string | undefined {
  if (text === undefined) return undefined;
  const excerpt = oneLineExcerpt(text, max);
  return excerpt === '' ? undefined : notificationText(excerpt);
}

/** An error's own message (it may quote the gateway, a path or a setting) as data of a notification. */
function said(err: Error): string {
  return notificationText(err.message);
}

function duration(ms: number): string {
  if (ms < 60_000) return l10n.t('{0} s', formatSeconds(ms));
  const minutes = Math.round(ms / 6_000) / 10;
  return l10n.t('{0} min', minutes);
}

/** The configuration a failed run resolved, kept with its error so whoever shows the error can name the source. */
const configurationOfError = new WeakMap<object, ResolvedConfig>();

/** Records the configuration `err` came from (a configuration error names the setting or variable to fix); returns `err`. */
export function rememberConfiguration(err: unknown, resolved: ResolvedConfig): unknown {
  if (typeof err === 'object' && err !== null) configurationOfError.set(err, resolved);
  return err;
}

/**
 * @param resolved the configuration the failed attempt used, when known (else what was remembered with the
 * error): it tells which configuration problem `toGatewaySettings` reported (the checks run in the same order there).
 */
export function describeError(err: unknown, resolved?: ResolvedConfig): UserFacingError {
  resolved ??= typeof err === 'object' && err !== null ? configurationOfError.get(err) : undefined;
  if (err instanceof SaveDismissed) return { message: l10n.t('The image was not saved.'), actions: [] };
  if (err instanceof FileError) return { message: l10n.t('The image could not be saved: {0}', said(err)), actions: [] };
  if (!isGatewayError(err)) {
    const text = err instanceof Error ? err.message : String(err);
    return { message: l10n.t('Unexpected error: {0}', notificationText(text)), actions: [] };
  }
  const described = describeGatewayError(err, resolved);
  // "Stopped after 5 attempts: …" when the client made more than one, or an overall limit ended the generation.
  return { message: withAttempts(l10n, described.message, err), actions: fixActionsFor(err, resolved, { canRetry: true }) };
}

function describeGatewayError(err: GatewayError, resolved: ResolvedConfig | undefined): UserFacingError {
  const d = err.details;
  const words = quote(d.gatewayMessage);
  const plain = (message: string): UserFacingError => ({ message, actions: [] });
  switch (err.kind) {
    case 'config':
      return describeConfigError(err, resolved);
    case 'auth':
      return plain(l10n.t("The gateway rejected the API key (HTTP {0}). Run 'CPA Image: Set API Key' with a valid key.", d.status ?? 401));
    case 'forbidden':
      return plain(
        words
          ? l10n.t('The gateway accepted the key but refused the request (HTTP 403): {0}', words)
          : l10n.t('The gateway accepted the key but refused the request (HTTP 403). The account may not be allowed to generate images.'),
      );
    case 'not_found':
      return plain(
        words
          ? l10n.t('The gateway has no such route or model (HTTP 404): {0}. Check cpaImage.baseUrl and cpaImage.model.', words)
          : l10n.t('The gateway has no such route or model (HTTP 404). Check cpaImage.baseUrl and cpaImage.model.'),
      );
    case 'bad_request':
      return plain(
        words
          ? l10n.t('The gateway rejected the request (HTTP {0}): {1}', d.status ?? 400, words)
          : l10n.t('The gateway rejected the request (HTTP {0}).', d.status ?? 400),
      );
    case 'rate_limited':
      return plain(
        d.retryAfterMs !== undefined
          ? l10n.t('The gateway is rate limiting requests. Try again in {0}.', duration(d.retryAfterMs))
          : l10n.t('The gateway is rate limiting requests. Try again in a moment.'),
      );
    case 'usage_limit':
      return plain(
        d.resetsAt !== undefined
          ? l10n.t("The gateway's usage limit has been reached. It resets at {0}.", new Date(d.resetsAt).toLocaleString())
          : l10n.t("The gateway's usage limit has been reached. Try again later or use another key."),
      );
    case 'content_policy':
      return plain(
        words
          ? l10n.t('The image was refused by the content policy: {0}', words)
          : l10n.t('The image was refused by the content policy. Rephrase the prompt and try again.'),
      );
    case 'server':
      return plain(
        words
          ? l10n.t('The gateway failed (HTTP {0}) even after retrying: {1}', d.status ?? 500, words)
          : l10n.t('The gateway failed (HTTP {0}) even after retrying. Try again later.', d.status ?? 500),
      );
    case 'network':
      return plain(l10n.t('Could not reach the gateway: {0} Check cpaImage.baseUrl, the network and the proxy settings.', said(err)));
    case 'timeout':
      if (d.stoppedBy === 'totalTimeout' && d.timeoutMs !== undefined) {
        return plain(
          l10n.t('The image was not finished within {0}, the time allowed for one image. Raise cpaImage.totalTimeoutSeconds if the gateway is slow.', duration(d.timeoutMs)),
        );
      }
      return plain(
        d.timeoutMs !== undefined
          ? l10n.t('The gateway did not answer within {0}. Images can take several minutes; raise cpaImage.timeoutSeconds if needed.', duration(d.timeoutMs))
          : l10n.t('The gateway did not answer in time. Images can take several minutes; raise cpaImage.timeoutSeconds if needed.'),
      );
    case 'protocol':
      return plain(l10n.t("The gateway's answer could not be read: {0}", quote(d.excerpt) ?? said(err)));
    case 'no_image': {
      const text = quote(d.modelText);
      return plain(
        text
          ? l10n.t('The model answered with text instead of an image: "{0}". The gateway may not offer the image_generation tool for this model or key.', text)
          : l10n.t('The gateway finished without an image. The gateway may not offer the image_generation tool for this model or key.'),
      );
    }
    case 'not_image':
      return plain(l10n.t('The gateway sent data that is not a PNG, JPEG or WebP image: {0}', quote(d.excerpt) ?? said(err)));
    case 'too_large':
      // The core's message says whether raising cpaImage.maxResponseSize helps (it does not for one oversized event).
      return plain(l10n.t("The gateway's answer is too large: {0}", said(err)));
    case 'cancelled':
      return plain(l10n.t('The image generation was cancelled.'));
  }
}

function describeConfigError(err: GatewayError, resolved: ResolvedConfig | undefined): UserFacingError {
  const plain = (message: string): UserFacingError => ({ message, actions: [] });
  switch (configurationProblem(err, resolved)) {
    case 'noBaseUrl':
      return plain(l10n.t('No gateway URL is configured. Set cpaImage.baseUrl or the IMAGE_GEN_BASE_URL environment variable (for example http://127.0.0.1:8317/v1).'));
    case 'noApiKey':
      return plain(l10n.t("No API key is configured for the gateway. Run 'CPA Image: Set API Key' or set the IMAGE_GEN_KEY environment variable."));
    case 'imageModel':
      if (resolved) {
        return plain(
          l10n.t(
            "The model '{0}' is an image model and cannot be the request model. Images are made by a text model such as gpt-5.4 that calls the image_generation tool. Set cpaImage.model to a text model.",
            notificationText(resolved.model.value),
          ),
        );
      }
      break;
    default:
      // A bad URL keeps toGatewaySettings' words: they name the URL and where it came from.
      break;
  }
  return plain(l10n.t('The configuration is not usable: {0}', said(err)));
}

/** Everything about an error that helps in the log (never the key: details come from redacted gateway text). */
export function errorLogDetails(err: unknown): string {
  if (!isGatewayError(err)) return err instanceof Error ? (err.stack ?? err.message) : String(err);
  const { status, code, gatewayMessage, retryAfterMs, resetsAt, modelText, excerpt, timeoutMs } = err.details;
  const parts = [`kind=${err.kind}`];
  if (status !== undefined) parts.push(`status=${status}`);
  if (code !== undefined) parts.push(`code=${code}`);
  if (retryAfterMs !== undefined) parts.push(`retryAfterMs=${retryAfterMs}`);
  if (resetsAt !== undefined) parts.push(`resetsAt=${new Date(resetsAt).toISOString()}`);
  if (timeoutMs !== undefined) parts.push(`timeoutMs=${timeoutMs}`);
  if (err.details.attempts !== undefined) parts.push(`attempts=${err.details.attempts}`);
  if (err.details.stoppedBy !== undefined) parts.push(`stoppedBy=${err.details.stoppedBy}`);
  const lines = [`${err.message} (${parts.join(', ')})`];
  if (gatewayMessage !== undefined) lines.push(`  gateway said: ${gatewayMessage}`);
  if (modelText !== undefined) lines.push(`  model text: ${modelText}`);
  if (excerpt !== undefined) lines.push(`  body starts: ${excerpt}`);
  const cause = err.cause;
  if (cause instanceof Error) lines.push(`  cause: ${cause.name}: ${cause.message}`);
  return lines.join('\n');
}
