/**
 * Maps VS Code settings (`cpaImage.*`, `http.*`) to the core's `UserSettings`, read at call time.
 *
 * Only `import type` from vscode-shaped interfaces: the mapping takes any object with `get`/`inspect`, so the
 * unit tests drive it with a fake configuration and the extension passes `workspace.getConfiguration(...)`.
 */
import type { UserSettings } from '../core/config/config';
import type { ProxySettings } from '../core/types';
import { settingValueForTrust, type InspectedSetting } from '../core/config/workspaceTrust';
import { trimmedString } from '../core/json';
import type { InsertionFormat } from '../core/markdown/links';

/** The part of `vscode.WorkspaceConfiguration` this file reads. */
export interface ConfigurationReader {
  get<T>(section: string): T | undefined;
  inspect<T>(section: string): InspectedSetting<T> | undefined;
}

export type InsertPosition = 'afterSelection' | 'replaceSelection';

export interface ExtensionSettings {
  /** What the core resolves and validates (SPEC §2). */
  user: UserSettings;
  /** `cpaImage.destination`, undefined when empty (then `markdown.copyFiles.destination` or the default applies). */
  destination?: string;
  insertFormat: InsertionFormat;
  insertPosition: InsertPosition;
}

/**
 * Settings that decide where the API key is sent. A workspace's `.vscode/settings.json` must never set them
 * (SPEC §2): the manifest gives them `application` scope, and as defence in depth only their user value
 * (`globalValue`) is read here, whatever `get()` would merge in from the workspace.
 *
 * Why `application` and not `machine`: in any remote window (SSH, WSL, containers, code-server) VS Code drops
 * `machine`-scoped values from the local user settings, so a base URL set in the user's settings would
 * silently vanish there (seen in code-server). `application` values come from the local user settings in
 * every window, and a workspace can set neither.
 */
export const keyRoutingSettings = ['baseUrl', 'userAgent', 'version', 'originator', 'sessionId'] as const;
type KeyRoutingSetting = (typeof keyRoutingSettings)[number];

const insertFormats: readonly InsertionFormat[] = ['auto', 'markdown', 'html', 'path'];
const insertPositions: readonly InsertPosition[] = ['afterSelection', 'replaceSelection'];

/** VS Code reports an unset nullable number as `null`; anything that is not a finite number counts as unset. */
function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function userScopeString(config: ConfigurationReader, key: KeyRoutingSetting): string | undefined {
  return trimmedString(config.inspect<string>(key)?.globalValue);
}

/** `http.proxy`, `http.noProxy` (an array in current VS Code, a string in some older setups), `http.proxyStrictSSL`. */
export function readProxySettings(http: ConfigurationReader): ProxySettings {
  const proxyUrl = trimmedString(http.get<unknown>('proxy'));
  const rawNoProxy = http.get<unknown>('noProxy');
  const noProxyList = Array.isArray(rawNoProxy)
    ? rawNoProxy.map(trimmedString).filter((v): v is string => v !== undefined)
    : (trimmedString(rawNoProxy)?.split(',').map((v) => v.trim()).filter((v) => v !== '') ?? []);
  const strictSsl = http.get<unknown>('proxyStrictSSL');
  return {
    ...(proxyUrl !== undefined ? { proxyUrl } : {}),
    ...(noProxyList.length > 0 ? { noProxy: noProxyList.join(',') } : {}),
    strictSsl: strictSsl !== false,
  };
}

/** True when some scope (user, workspace, folder, language) sets the key, not just the manifest's default. */
function isSet(inspected: InspectedSetting | undefined): boolean {
  if (inspected === undefined) return false;
  const { defaultValue: _default, defaultLanguageValue: _defaultLanguage, ...scopes } = inspected;
  return Object.values(scopes).some((value) => value !== undefined);
}

/**
 * `cpaImage.maxResponseSize`, in MiB. Its first name, `cpaImage.maxResponseMiB`, read "Max Response Mi B" on the
 * Settings page (VS Code makes the title from the key); it is deprecated and still honoured where it is set and the
 * new name is not, so nobody's limit changes by the rename.
 */
function responseCapMiB(config: ConfigurationReader): number | undefined {
  if (!isSet(config.inspect('maxResponseSize')) && isSet(config.inspect('maxResponseMiB'))) return numberOrUndefined(config.get<unknown>('maxResponseMiB'));
  return numberOrUndefined(config.get<unknown>('maxResponseSize'));
}

/**
 * @param config `workspace.getConfiguration('cpaImage', documentUri)`
 * @param http `workspace.getConfiguration('http')`
 */
export function readExtensionSettings(config: ConfigurationReader, http: ConfigurationReader): ExtensionSettings {
  const str = (key: string) => trimmedString(config.get<unknown>(key));
  const num = (key: string) => numberOrUndefined(config.get<unknown>(key));
  const stream = config.get<unknown>('stream');
  const isStreaming = typeof stream === 'boolean' ? stream : undefined;

  const user: UserSettings = {};
  const set = <K extends keyof UserSettings>(key: K, value: UserSettings[K] | undefined) => {
    if (value !== undefined) user[key] = value;
  };
  for (const key of keyRoutingSettings) set(key, userScopeString(config, key));
  set('model', str('model'));
  set('outputFormat', str('outputFormat'));
  set('stream', isStreaming);
  // Partial images only exist in a stream; a non-streaming request with partial_images would ask for nothing.
  if (isStreaming === true) set('partialImages', num('partialImages'));
  set('size', str('size'));
  set('quality', str('quality'));
  set('background', str('background'));
  set('outputCompression', num('outputCompression'));
  set('moderation', str('moderation'));
  set('instructions', str('instructions'));
  set('timeoutSeconds', num('timeoutSeconds'));
  set('maxRateLimitWaitSeconds', num('maxRateLimitWaitSeconds'));
  set('textFallbackRetries', num('textFallbackRetries'));
  set('transientRetries', num('transientRetries'));
  // The overall budget (issue 9) costs time and quota but never decides where the key goes: read like the
  // retry counts above, with VS Code's merged value (a workspace may lower or raise it).
  set('maxAttempts', num('maxAttempts'));
  set('totalTimeoutSeconds', num('totalTimeoutSeconds'));
  set('maxResponseMiB', responseCapMiB(config));
  // The saved image (issue 12): fitted to the asked size, re-encoded, downscaled.
  set('fit', str('fit'));
  set('saveFormat', str('save.format'));
  set('saveQuality', num('save.quality'));
  set('saveMaxWidth', num('save.maxWidth'));
  set('saveMaxHeight', num('save.maxHeight'));
  const metadata = config.get<unknown>('save.metadata');
  if (typeof metadata === 'boolean') user.saveMetadata = metadata;
  // Styles (issue 13 item 5): only words added to the prompt, so a folder or workspace may set them.
  set('style', str('style'));
  const styles = config.get<unknown>('styles');
  if (styles !== undefined && styles !== null) user.styles = styles;
  const phrase = config.get<unknown>('sizeInPrompt');
  if (typeof phrase === 'boolean') user.sizePhrase = phrase;
  // The route and the Images route's model (issue 14): which endpoint of the same gateway, never where the key goes.
  // Only a value someone set counts, so the manifest's default leaves IMAGE_GEN_API / IMAGE_GEN_IMAGE_MODEL their say.
  for (const key of ['api', 'imageModel'] as const) if (isSet(config.inspect(key))) set(key, str(key));
  user.proxy = readProxySettings(http);

  const insertFormat = config.get<unknown>('insertFormat');
  const insertPosition = config.get<unknown>('insertPosition');
  const destination = str('destination');
  return {
    user,
    ...(destination !== undefined ? { destination } : {}),
    insertFormat: insertFormats.find((f) => f === insertFormat) ?? 'auto',
    insertPosition: insertPositions.find((p) => p === insertPosition) ?? 'afterSelection',
  };
}

export interface CopyFilesDestinationSetting {
  /** Glob → destination, only the string destinations; undefined when unset or not a map. */
  map?: Record<string, string>;
  /** The workspace set the setting, and it was ignored because the workspace is not trusted. */
  ignoredWorkspaceValue: boolean;
}

/**
 * `markdown.copyFiles.destination`: a map from document globs to destinations; anything else counts as unset.
 * It is the markdown extension's setting, so VS Code does not drop its workspace value in Restricted Mode; in an
 * untrusted workspace only the user's value counts (`settingValueForTrust`), since its globs and transforms run
 * as regular expressions on the extension host.
 */
export function readCopyFilesDestination(markdown: ConfigurationReader, isTrusted: boolean): CopyFilesDestinationSetting {
  const key = 'copyFiles.destination';
  const { value: raw, ignoredWorkspaceValue } = settingValueForTrust(
    isTrusted ? undefined : markdown.inspect<unknown>(key),
    isTrusted ? markdown.get<unknown>(key) : undefined,
    isTrusted,
  );
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ignoredWorkspaceValue };
  const map: Record<string, string> = {};
  for (const [glob, dest] of Object.entries(raw)) {
    if (typeof dest === 'string' && dest.trim() !== '') map[glob] = dest;
  }
  return Object.keys(map).length > 0 ? { map, ignoredWorkspaceValue } : { ignoredWorkspaceValue };
}
