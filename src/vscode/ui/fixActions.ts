/**
 * Which action fixes an error, offered as a button where the error appears (issue 11, item 2): a missing or
 * bad gateway URL → "Set Up Gateway…" and the setting; no key or a rejected one → "Set API Key"; a gateway that
 * is down, slow or failing → "Retry". Which configuration problem it was is decided here too, from what was
 * resolved (the same checks, in the same order, as `toGatewaySettings`).
 *
 * No `vscode` import: the command table turns these into labelled buttons and runs them; the unit test
 * (test/unit/fixActions.test.ts) checks the mapping.
 */
import type { ResolvedConfig } from '../../core/config/config';
import { isImageModel } from '../../core/config/resolved';
import { isGatewayError } from '../../core/errors';
import type { GatewayError } from '../../core/errors';

export type FixAction =
  | { kind: 'setUpGateway' }
  | { kind: 'setApiKey' }
  /** The Settings editor filtered to this one setting (`cpaImage.<name>`). */
  | { kind: 'openSettings'; setting: string }
  /** Runs the failed command again. */
  | { kind: 'retry' };

export type ConfigurationProblem = 'noBaseUrl' | 'badBaseUrl' | 'noApiKey' | 'imageModel' | 'other';

/** Whether `url` is what `toGatewaySettings` accepts: an http(s) URL. */
function usableUrl(url: string): boolean {
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * The configuration problem a `config` error reports. With the resolved configuration the answer follows
 * toGatewaySettings' order (URL missing, URL unusable, key missing, image model); without it, the message's words.
 */
export function configurationProblem(err: Pick<GatewayError, 'message'>, resolved?: ResolvedConfig): ConfigurationProblem {
  if (resolved) {
    const url = resolved.baseUrl.value;
    if (url === undefined || url.trim() === '') return 'noBaseUrl';
    if (!usableUrl(url)) return 'badBaseUrl';
    if (resolved.apiKey.value === undefined && /API key/i.test(err.message)) return 'noApiKey';
    if (isImageModel(resolved.model.value) && err.message.includes(resolved.model.value)) return 'imageModel';
    return 'other';
  }
  if (/^No gateway URL/.test(err.message)) return 'noBaseUrl';
  if (/^The (gateway|base) URL .*(not an http|not a valid URL|must start with http)/.test(err.message)) return 'badBaseUrl';
  if (/^No API key/.test(err.message)) return 'noApiKey';
  return 'other';
}

/** The setting a configuration message names (`cpaImage.timeoutSeconds`, …), if it names exactly one. */
function namedSetting(message: string): string | undefined {
  // toGatewaySettings' own words: "The setting timeoutSeconds is …", "The size '…' is not valid".
  const checked = /^The setting ([A-Za-z]+) is /.exec(message)?.[1];
  if (checked !== undefined) return `cpaImage.${checked}`;
  if (/^The size '/.test(message)) return 'cpaImage.size';
  const names = new Set([...message.matchAll(/\bcpaImage\.([A-Za-z]+(?:\.[A-Za-z]+)*)/g)].map((m) => `cpaImage.${m[1]}`));
  return names.size === 1 ? [...names][0] : undefined;
}

const setting = (name: string): FixAction => ({ kind: 'openSettings', setting: name });

/**
 * The actions that fix `err`, most useful first. `canRetry`: the failed command can simply be run again (the
 * command table knows); "Retry" is offered only for what a second try can change (the gateway down, slow,
 * overloaded or just restarted) — never for a configuration error, which fails the same way until it is fixed.
 */
export function fixActionsFor(err: unknown, resolved: ResolvedConfig | undefined, options: { canRetry: boolean }): FixAction[] {
  if (!isGatewayError(err)) return [];
  const retry: FixAction[] = options.canRetry ? [{ kind: 'retry' }] : [];
  switch (err.kind) {
    case 'config':
      switch (configurationProblem(err, resolved)) {
        case 'noBaseUrl':
        case 'badBaseUrl':
          return [{ kind: 'setUpGateway' }, setting('cpaImage.baseUrl')];
        case 'noApiKey':
          return [{ kind: 'setApiKey' }, { kind: 'setUpGateway' }];
        case 'imageModel':
          return [setting('cpaImage.model')];
        case 'other': {
          const named = namedSetting(err.message);
          return named ? [setting(named)] : [];
        }
      }
      return [];
    case 'auth':
    case 'forbidden':
      return [{ kind: 'setApiKey' }, ...retry];
    case 'network':
      return [...retry, { kind: 'setUpGateway' }];
    case 'not_found':
      return [{ kind: 'setUpGateway' }, setting('cpaImage.model')];
    case 'timeout':
      return [...retry, setting(err.details.stoppedBy === 'totalTimeout' ? 'cpaImage.totalTimeoutSeconds' : 'cpaImage.timeoutSeconds')];
    case 'server':
    case 'rate_limited':
    case 'protocol':
      return retry;
    case 'too_large':
      return [setting('cpaImage.maxResponseSize')];
    default:
      return [];
  }
}
