/**
 * SPEC §2: where each setting comes from. `resolveConfig` walks the resolution chain and remembers which
 * source won, so "Show Resolved Configuration" and `--verbose` can tell the user; `toGatewaySettings`
 * validates the result and turns it into what the client needs. Nothing here reads the process
 * environment or the disk itself: the caller passes `env`, the SecretStorage value and the OpenClaw
 * information in, which keeps this file pure and testable.
 */

import type { FitMode, GatewaySettings, ImageApi, ImageProcessing, ImageStyle, OutputFormat, ProxySettings, SaveFormat } from '../types';
import { GatewayError, keyHint } from '../errors';
import { redactUrlCredentials } from '../text/redaction';
import type { OpenClawInfo } from './openclaw';
import { isImageModel, type Resolved } from './resolved';
import { trimmedString } from '../json';
import { normaliseStyleName, styleCatalog } from '../prompt/styles';

/** What the user configured (VS Code settings, or command-line flags). Every field is optional. */
export interface UserSettings {
  baseUrl?: string;
  model?: string;
  /** `png`, `jpeg` (`jpg` is accepted) or `webp`; anything else is reported by `toGatewaySettings`. */
  outputFormat?: string;
  stream?: boolean;
  partialImages?: number;
  size?: string;
  quality?: string;
  background?: string;
  outputCompression?: number;
  moderation?: string;
  instructions?: string;
  userAgent?: string;
  version?: string;
  originator?: string;
  sessionId?: string;
  timeoutSeconds?: number;
  maxRateLimitWaitSeconds?: number;
  textFallbackRetries?: number;
  transientRetries?: number;
  /** Requests in all for one generation, every kind of retry included (1–20). */
  maxAttempts?: number;
  /** Time for one generation in all, attempts and waits, in seconds. */
  totalTimeoutSeconds?: number;
  maxResponseMiB?: number;
  proxy?: ProxySettings;
  /** `crop` (default), `contain` or `none` (issue 12). */
  fit?: string;
  /** `original` (default), `webp`, `png` or `jpeg`. */
  saveFormat?: string;
  /** 1–100, default 80. */
  saveQuality?: number;
  /** Downscale limits in pixels; unset (or null) means none. */
  saveMaxWidth?: number;
  saveMaxHeight?: number;
  /** Write provenance (prompt, model, settings) into the saved file (default true). */
  saveMetadata?: boolean;
  /** State the asked size in the prompt too (default true). */
  sizePhrase?: boolean;
  /** The style's name (`cpaImage.style`, the prompt box, front matter, `--style`); empty or `none`: no style. */
  style?: string;
  /** The user's styles (`cpaImage.styles`): name → text, added to the built-in ones. */
  styles?: unknown;
  /** The exact style text, which wins over the name's (Regenerate repeats the text an image was made with). */
  styleText?: string;
  /** The route: `responses` (default), `images` or `auto` (issue 14). */
  api?: string;
  /** The Images route's model (default gpt-image-2); must be an image model. */
  imageModel?: string;
}

/** A value together with a human-readable description of where it came from. */
export interface ResolvedConfig {
  baseUrl: Resolved<string | undefined>;
  apiKey: Resolved<string | undefined>;
  model: Resolved<string>;
  outputFormat: Resolved<OutputFormat>;
  userAgent: Resolved<string>;
  version: Resolved<string>;
  originator: Resolved<string>;
  sessionId: Resolved<string>;
  /** The route (cpaImage.api, --api, IMAGE_GEN_API), and the Images route's model (cpaImage.imageModel, --image-model, IMAGE_GEN_IMAGE_MODEL). */
  api: Resolved<ImageApi>;
  imageModel: Resolved<string>;
  /**
   * Values that were set but unusable (e.g. `IMAGE_GEN_OUTPUT_FORMAT=gif`). Resolution itself never
   * throws so that "Show Resolved Configuration" always works; `toGatewaySettings` reports the first one.
   */
  problems?: readonly string[];
}

/**
 * The defaults of SPEC §1/§2/§5. The identity values mimic the Codex CLI as the seed script did:
 * version `0.122.0`, originator `codex_cli_rs`, session `test-session`, and a codex-tui user agent of
 * the same version (the form CPA itself used in 2026, see research/gateway.md §2.2). CPA recognises
 * these as a Codex client and then reports in-stream failures as `response.failed`.
 */
export const defaultSettings = {
  model: 'gpt-5.4',
  outputFormat: 'png' as OutputFormat,
  instructions: 'you are a helpful assistant',
  stream: false,
  userAgent: 'codex-tui/0.122.0 (Mac OS 26.0.1; arm64) iTerm.app/3.6.5 (codex-tui; 0.122.0)',
  version: '0.122.0',
  originator: 'codex_cli_rs',
  sessionId: 'test-session',
  timeoutSeconds: 600,
  maxRateLimitWaitSeconds: 30,
  textFallbackRetries: 2,
  transientRetries: 3,
  rateLimitRetries: 3,
  maxAttempts: 5,
  totalTimeoutSeconds: 900,
  maxResponseMiB: 64,
  fit: 'crop' as FitMode,
  saveFormat: 'original' as SaveFormat,
  saveQuality: 80,
  api: 'responses' as ImageApi,
  imageModel: 'gpt-image-2',
} as const;

/** Names of the settings that can win a resolution, used for the source label. */
type ResolvedSettingName = 'baseUrl' | 'model' | 'outputFormat' | 'userAgent' | 'version' | 'originator' | 'sessionId' | 'api' | 'imageModel';

export interface ResolveInputs {
  settings: UserSettings;
  env: Record<string, string | undefined>;
  /** The key from VS Code's SecretStorage, when there is one. */
  secretKey?: string;
  openclaw?: OpenClawInfo;
  /**
   * How a winning setting is named in the source label. Default `setting cpaImage.<name>`; the command-line
   * tool passes its flag names instead.
   */
  describeSetting?: (name: ResolvedSettingName) => string;
}

const BASE_URL_ENV = ['IMAGE_GEN_BASE_URL', 'OTCBOT_BASE_URL', 'CPA_BASE_URL', 'OPENAI_BASE_URL'] as const;
const API_KEY_ENV = ['IMAGE_GEN_KEY', 'OTCBOT_API_KEY', 'CPA_API_KEY', 'OPENAI_API_KEY'] as const;
const MODEL_ENV = ['IMAGE_GEN_MODEL', 'OTCBOT_IMAGE_MODEL', 'CPA_MODEL'] as const;
const OUTPUT_FORMAT_ENV = 'IMAGE_GEN_OUTPUT_FORMAT';
const API_ENV = 'IMAGE_GEN_API';
const IMAGE_MODEL_ENV = 'IMAGE_GEN_IMAGE_MODEL';
const IMAGE_APIS: readonly ImageApi[] = ['responses', 'images', 'auto'];
const IDENTITY_ENV = {
  sessionId: 'CPA_SESSION_ID',
  userAgent: 'CPA_USER_AGENT',
  version: 'CPA_VERSION',
  originator: 'CPA_ORIGINATOR',
} as const;

/** The OpenClaw provider whose models the seed's users route through the gateway. */
const OPENCLAW_PROVIDER_PREFIX = 'otcbot/';

function defaultDescribeSetting(name: ResolvedSettingName): string {
  return `setting cpaImage.${name}`;
}

/** The first candidate that is set, in order. */
function firstSet(candidates: readonly (() => Resolved<string> | undefined)[]): Resolved<string> | undefined {
  for (const candidate of candidates) {
    const found = candidate();
    if (found) return found;
  }
  return undefined;
}

function fromSetting(value: unknown, source: string): () => Resolved<string> | undefined {
  return () => {
    const v = trimmedString(value);
    return v === undefined ? undefined : { value: v, source };
  };
}

function fromEnv(env: Record<string, string | undefined>, name: string): () => Resolved<string> | undefined {
  return fromSetting(env[name], `environment ${name}`);
}

function fromOpenClaw(found: Resolved<string> | undefined): () => Resolved<string> | undefined {
  return () => {
    const v = trimmedString(found?.value);
    return v === undefined || !found ? undefined : { value: v, source: found.source };
  };
}

/** `otcbot/gpt-5.4` → `gpt-5.4`; anything that is not an otcbot text model → undefined. */
function openClawTextModel(ref: string): string | undefined {
  const trimmed = ref.trim();
  if (!trimmed.toLowerCase().startsWith(OPENCLAW_PROVIDER_PREFIX)) return undefined;
  const model = trimmed.slice(OPENCLAW_PROVIDER_PREFIX.length).trim();
  if (model === '' || isImageModel(model)) return undefined;
  return model;
}

/** Normalises `png`/`jpeg`/`jpg`/`webp` in any case; undefined for anything else. */
export function parseOutputFormat(value: string): OutputFormat | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'png' || v === 'jpeg' || v === 'webp') return v;
  if (v === 'jpg') return 'jpeg';
  return undefined;
}

export function resolveConfig(inputs: ResolveInputs): ResolvedConfig {
  const { settings, env, openclaw } = inputs;
  const describe = inputs.describeSetting ?? defaultDescribeSetting;
  const problems: string[] = [];

  const baseUrl = firstSet([
    fromSetting(settings.baseUrl, describe('baseUrl')),
    ...BASE_URL_ENV.map((name) => fromEnv(env, name)),
    fromOpenClaw(openclaw?.baseUrl),
  ]);

  const apiKey = firstSet([
    fromSetting(inputs.secretKey, 'SecretStorage'),
    ...API_KEY_ENV.map((name) => fromEnv(env, name)),
    fromOpenClaw(openclaw?.apiKey),
  ]);

  const openClawModel = (): Resolved<string> | undefined => {
    const ref = openclaw?.defaultModel;
    const model = ref ? openClawTextModel(ref.value) : undefined;
    return model === undefined || !ref ? undefined : { value: model, source: ref.source };
  };
  const model = firstSet([
    fromSetting(settings.model, describe('model')),
    ...MODEL_ENV.map((name) => fromEnv(env, name)),
    openClawModel,
  ]) ?? { value: defaultSettings.model, source: 'default' };

  const outputFormat = resolveOutputFormat(settings, env, describe, problems);
  const api = resolveApi(settings, env, describe, problems);
  const imageModel = firstSet([fromSetting(settings.imageModel, describe('imageModel')), fromEnv(env, IMAGE_MODEL_ENV)]) ?? {
    value: defaultSettings.imageModel,
    source: 'default',
  };

  const identity = (name: keyof typeof IDENTITY_ENV): Resolved<string> =>
    firstSet([fromSetting(settings[name], describe(name)), fromEnv(env, IDENTITY_ENV[name])]) ?? {
      value: defaultSettings[name],
      source: 'default',
    };

  return {
    baseUrl: baseUrl ?? { value: undefined, source: 'not set' },
    apiKey: apiKey ?? { value: undefined, source: 'not set' },
    model,
    outputFormat,
    userAgent: identity('userAgent'),
    version: identity('version'),
    originator: identity('originator'),
    sessionId: identity('sessionId'),
    api,
    imageModel,
    ...(problems.length > 0 ? { problems } : {}),
  };
}

/** `responses`, `images` or `auto` in any case, from the setting or IMAGE_GEN_API; a set but unknown value is a problem. */
function resolveApi(
  settings: UserSettings,
  env: Record<string, string | undefined>,
  describe: (name: ResolvedSettingName) => string,
  problems: string[],
): Resolved<ImageApi> {
  const candidates: Resolved<string | undefined>[] = [
    { value: trimmedString(settings.api), source: describe('api') },
    { value: trimmedString(env[API_ENV]), source: `environment ${API_ENV}` },
  ];
  for (const candidate of candidates) {
    if (candidate.value === undefined) continue;
    const api = IMAGE_APIS.find((a) => a === candidate.value?.toLowerCase());
    if (api) return { value: api, source: candidate.source };
    problems.push(`The route '${candidate.value}' (from ${candidate.source}) is not known. Use responses, images or auto.`);
    return { value: defaultSettings.api, source: 'default' };
  }
  return { value: defaultSettings.api, source: 'default' };
}

function resolveOutputFormat(
  settings: UserSettings,
  env: Record<string, string | undefined>,
  describe: (name: ResolvedSettingName) => string,
  problems: string[],
): Resolved<OutputFormat> {
  const candidates: Resolved<string | undefined>[] = [
    { value: trimmedString(settings.outputFormat), source: describe('outputFormat') },
    { value: trimmedString(env[OUTPUT_FORMAT_ENV]), source: `environment ${OUTPUT_FORMAT_ENV}` },
  ];
  for (const candidate of candidates) {
    if (candidate.value === undefined) continue;
    const format = parseOutputFormat(candidate.value);
    if (format) return { value: format, source: candidate.source };
    // A set but invalid value is not silently replaced by a lower source: the user meant something.
    problems.push(
      `The output format '${candidate.value}' (from ${candidate.source}) is not supported. Use png, jpeg or webp.`,
    );
    return { value: defaultSettings.outputFormat, source: 'default' };
  }
  return { value: defaultSettings.outputFormat, source: 'default' };
}

/** Hides the password of a `user:pass@host` URL so a base URL can be shown or quoted in an error. */
function displayUrl(url: string): string {
  return redactUrlCredentials(url);
}

function checkedNumber(
  value: number | undefined,
  fallback: number,
  name: string,
  rule: { min: number; max?: number; integer?: boolean; exclusiveMin?: boolean },
): number {
  // VS Code reports an unset number as null; treat it like undefined.
  if (value === undefined || (value as unknown) === null) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule.exclusiveMin ? value > rule.min : value >= rule.min) &&
    (rule.max === undefined || value <= rule.max) &&
    (!rule.integer || Number.isInteger(value));
  if (!ok) {
    const range =
      rule.max !== undefined
        ? `from ${rule.min} to ${rule.max}`
        : rule.exclusiveMin
          ? `greater than ${rule.min}`
          : `${rule.min} or more`;
    throw new GatewayError(
      'config',
      `The setting ${name} is ${String(value)}; it must be ${rule.integer ? 'a whole number ' : 'a number '}${range}.`,
    );
  }
  return value;
}

/** `1024x1024`, `1536X1024` or `auto`; the gateway decides what it accepts beyond the shape. */
function checkedSize(size: string | undefined): string | undefined {
  const v = trimmedString(size);
  if (v === undefined) return undefined;
  const lower = v.toLowerCase();
  if (lower === 'auto' || /^\d{1,5}x\d{1,5}$/.test(lower)) return lower;
  throw new GatewayError('config', `The size '${v}' is not valid. Use WIDTHxHEIGHT such as 1024x1024, or auto.`);
}

const FIT_MODES: readonly FitMode[] = ['crop', 'contain', 'none'];
const SAVE_FORMATS: readonly SaveFormat[] = ['original', 'webp', 'png', 'jpeg'];

/** cpaImage.fit and cpaImage.save.* checked; throws `GatewayError('config')` naming the setting and what it accepts. */
export function toImageProcessing(settings: UserSettings): ImageProcessing {
  const fitValue = trimmedString(settings.fit)?.toLowerCase();
  const fit = fitValue === undefined ? defaultSettings.fit : FIT_MODES.find((f) => f === fitValue);
  if (fit === undefined) throw new GatewayError('config', `The fit '${String(settings.fit)}' is not valid. Use crop, contain or none.`);
  const formatValue = trimmedString(settings.saveFormat)?.toLowerCase();
  const format = formatValue === undefined ? defaultSettings.saveFormat : SAVE_FORMATS.find((f) => f === (formatValue === 'jpg' ? 'jpeg' : formatValue));
  if (format === undefined) {
    throw new GatewayError('config', `The save format '${String(settings.saveFormat)}' is not valid. Use original, webp, png or jpeg.`);
  }
  const quality = checkedNumber(settings.saveQuality, defaultSettings.saveQuality, 'save.quality', { min: 1, max: 100, integer: true });
  const limit = (value: number | undefined, name: string): number | undefined =>
    value == null ? undefined : checkedNumber(value, 0, name, { min: 1, max: 65535, integer: true });
  const maxWidth = limit(settings.saveMaxWidth, 'save.maxWidth');
  const maxHeight = limit(settings.saveMaxHeight, 'save.maxHeight');
  return {
    fit,
    format,
    quality,
    ...(maxWidth !== undefined ? { maxWidth } : {}),
    ...(maxHeight !== undefined ? { maxHeight } : {}),
    ...(settings.saveMetadata === false ? { metadata: false } : {}),
  };
}

/**
 * Validates the resolved values and builds what the client needs. Throws `GatewayError('config')` with a
 * message that says what to set, for a missing base URL or key, an image model, or an invalid number.
 */
export function toGatewaySettings(resolved: ResolvedConfig, settings: UserSettings): GatewaySettings {
  const baseUrl = trimmedString(resolved.baseUrl.value);
  if (baseUrl === undefined) {
    throw new GatewayError(
      'config',
      'No gateway URL is configured. Set cpaImage.baseUrl or IMAGE_GEN_BASE_URL (for example http://127.0.0.1:8317/v1).',
    );
  }
  let parsedUrl: URL | undefined;
  try {
    parsedUrl = new URL(baseUrl);
  } catch {
    parsedUrl = undefined;
  }
  if (!parsedUrl || (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:')) {
    throw new GatewayError(
      'config',
      `The gateway URL '${displayUrl(baseUrl)}' (from ${resolved.baseUrl.source}) is not an http:// or https:// URL. Set cpaImage.baseUrl or IMAGE_GEN_BASE_URL to the gateway's address, for example http://127.0.0.1:8317/v1.`,
    );
  }

  const apiKey = trimmedString(resolved.apiKey.value);
  if (apiKey === undefined) {
    throw new GatewayError(
      'config',
      "No API key is configured for the gateway. Run 'CPA Image: Set API Key' or set IMAGE_GEN_KEY.",
    );
  }

  const model = resolved.model.value.trim();
  const api = resolved.api.value;
  // The seed's rule holds on the Responses route (also tried first by auto); the Images route never sends the text model.
  if (api !== 'images' && isImageModel(model)) {
    throw new GatewayError(
      'config',
      `The model '${model}' (from ${resolved.model.source}) is an image model and cannot be used as the request model. ` +
        'Images are made by a text model such as gpt-5.4 that calls the gateway\'s image_generation tool, and the gateway ' +
        'picks the image model for that tool. Set cpaImage.model or IMAGE_GEN_MODEL to a text model such as gpt-5.4.',
    );
  }

  const imageModel = resolved.imageModel.value.trim();
  if (api !== 'responses' && !isImageModel(imageModel)) {
    throw new GatewayError(
      'config',
      `The image model '${imageModel}' (from ${resolved.imageModel.source}) is not an image model. On the Images route the request ` +
        `names the image model itself: set cpaImage.imageModel (or --image-model) to one such as gpt-image-2.`,
    );
  }

  const firstProblem = resolved.problems?.[0];
  if (firstProblem !== undefined) throw new GatewayError('config', firstProblem);

  const partialImages = settings.partialImages == null
    ? undefined
    : checkedNumber(settings.partialImages, 0, 'partialImages', { min: 0, max: 3, integer: true });
  const outputCompression = settings.outputCompression == null
    ? undefined
    : checkedNumber(settings.outputCompression, 100, 'outputCompression', { min: 0, max: 100, integer: true });
  const timeoutSeconds = checkedNumber(settings.timeoutSeconds, defaultSettings.timeoutSeconds, 'timeoutSeconds', {
    min: 0,
    exclusiveMin: true,
  });
  const maxRateLimitWaitSeconds = checkedNumber(
    settings.maxRateLimitWaitSeconds,
    defaultSettings.maxRateLimitWaitSeconds,
    'maxRateLimitWaitSeconds',
    { min: 0 },
  );
  const textFallbackRetries = checkedNumber(
    settings.textFallbackRetries,
    defaultSettings.textFallbackRetries,
    'textFallbackRetries',
    { min: 0, max: 10, integer: true },
  );
  const transientRetries = checkedNumber(settings.transientRetries, defaultSettings.transientRetries, 'transientRetries', {
    min: 0,
    max: 10,
    integer: true,
  });
  const maxAttempts = checkedNumber(settings.maxAttempts, defaultSettings.maxAttempts, 'maxAttempts', { min: 1, max: 20, integer: true });
  const totalTimeoutSeconds = checkedNumber(settings.totalTimeoutSeconds, defaultSettings.totalTimeoutSeconds, 'totalTimeoutSeconds', {
    min: 0,
    exclusiveMin: true,
  });
  const maxResponseMiB = checkedNumber(settings.maxResponseMiB, defaultSettings.maxResponseMiB, 'maxResponseMiB', {
    min: 0,
    exclusiveMin: true,
  });

  const size = checkedSize(settings.size);
  const quality = trimmedString(settings.quality);
  const background = trimmedString(settings.background);
  const processing = { ...toImageProcessing(settings), ...(background?.toLowerCase() === 'transparent' ? { transparent: true } : {}) };
  const moderation = trimmedString(settings.moderation);
  // JPEG has no alpha channel and the API answers this pair with a 400: refused here, before a request is spent.
  if (background?.trim().toLowerCase() === 'transparent' && resolved.outputFormat.value === 'jpeg') {
    throw new GatewayError(
      'config',
      `A transparent background needs PNG or WebP output: JPEG has no transparency, and the image API refuses background ` +
        `'transparent' with output format 'jpeg' (the format comes from ${resolved.outputFormat.source}). ` +
        `Set the output format to png or webp, or the background to opaque or auto.`,
    );
  }

  return {
    baseUrl,
    apiKey,
    model,
    instructions: trimmedString(settings.instructions) ?? defaultSettings.instructions,
    identity: {
      userAgent: resolved.userAgent.value,
      version: resolved.version.value,
      originator: resolved.originator.value,
      sessionId: resolved.sessionId.value,
    },
    stream: settings.stream === true,
    tool: {
      outputFormat: resolved.outputFormat.value,
      ...(size !== undefined ? { size } : {}),
      ...(quality !== undefined ? { quality } : {}),
      ...(background !== undefined ? { background } : {}),
      ...(outputCompression !== undefined ? { outputCompression } : {}),
      ...(partialImages !== undefined ? { partialImages } : {}),
      ...(moderation !== undefined ? { moderation } : {}),
    },
    timeoutMs: Math.round(timeoutSeconds * 1000),
    maxResponseBytes: Math.round(maxResponseMiB * 1024 * 1024),
    retry: {
      maxRateLimitWaitMs: Math.round(maxRateLimitWaitSeconds * 1000),
      textFallbackRetries,
      transientRetries,
      rateLimitRetries: defaultSettings.rateLimitRetries,
      maxAttempts,
      totalTimeoutMs: Math.round(totalTimeoutSeconds * 1000),
    },
    ...(settings.proxy ? { proxy: settings.proxy } : {}),
    api,
    imageModel,
    sizePhrase: settings.sizePhrase !== false,
    processing,
    ...resolveStyle(settings),
  };
}

/** One row per value for "Show Resolved Configuration"; the key appears only as its last four characters. */
export function describeResolvedConfig(resolved: ResolvedConfig): { name: string; value: string; source: string }[] {
  const notSet = '(not set)';
  return [
    {
      name: 'Base URL',
      value: resolved.baseUrl.value === undefined ? notSet : displayUrl(resolved.baseUrl.value),
      source: resolved.baseUrl.source,
    },
    {
      name: 'API key',
      value: resolved.apiKey.value === undefined ? notSet : keyHint(resolved.apiKey.value),
      source: resolved.apiKey.source,
    },
    { name: 'Model', value: resolved.model.value, source: resolved.model.source },
    { name: 'Output format', value: resolved.outputFormat.value, source: resolved.outputFormat.source },
    { name: 'User agent', value: resolved.userAgent.value, source: resolved.userAgent.source },
    { name: 'Version', value: resolved.version.value, source: resolved.version.source },
    { name: 'Originator', value: resolved.originator.value, source: resolved.originator.source },
    { name: 'Session id', value: resolved.sessionId.value, source: resolved.sessionId.source },
    { name: 'Route', value: resolved.api.value, source: resolved.api.source },
    { name: 'Image model', value: resolved.imageModel.value, source: resolved.imageModel.source },
  ];
}

/**
 * The style of a request: `styleText` as given (Regenerate), else the named style from the catalog (built-in and
 * `cpaImage.styles`); none for an empty name or `none`. An unknown name is a configuration error that names the
 * known ones, before any request is spent.
 */
export function resolveStyle(settings: Pick<UserSettings, 'style' | 'styles' | 'styleText'>): { style?: ImageStyle } {
  const name = normaliseStyleName(trimmedString(settings.style) ?? '');
  const exact = trimmedString(settings.styleText);
  if (exact !== undefined) return { style: { name: name === '' ? 'custom' : name, text: exact } };
  if (name === '' || name === 'none') return {};
  const { styles } = styleCatalog(settings.styles);
  const text = styles.get(name);
  if (text === undefined) {
    throw new GatewayError(
      'config',
      `The style '${name}' is not defined. Known styles: ${[...styles.keys()].join(', ')}. ` +
        `Define it in cpaImage.styles, or choose another (cpaImage.style, the prompt box, image-style in the front matter, --style).`,
    );
  }
  return { style: { name, text } };
}
