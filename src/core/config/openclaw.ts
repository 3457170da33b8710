/**
 * Reads the `otcbot` provider (base URL, key) and the default model from a local OpenClaw installation,
 * the last source of SPEC §2's chain (research/gateway.md §4). OpenClaw is optional: a missing, unreadable,
 * oversized or broken file is simply not a source, so nothing here throws.
 */

import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { parse as parseJson5 } from 'json5';
import { isImageModel, type Resolved } from './resolved';
import { isRecord, trimmedString } from '../json';

export interface OpenClawInfo {
  baseUrl?: Resolved<string>;
  apiKey?: Resolved<string>;
  /** The model reference as OpenClaw writes it, e.g. `otcbot/gpt-5.4`. */
  defaultModel?: Resolved<string>;
}

type Env = Record<string, string | undefined>;

const PROVIDER_ID = 'otcbot';
/** Configuration files are small; anything bigger is not an OpenClaw file we want to parse. */
const MAX_FILE_BYTES = 1024 * 1024;
/** Bounds the agent directory scan in a state dir with many agents. */
const MAX_AGENT_DIRS = 64;

/** Marker OpenClaw writes instead of a key managed by a file/exec SecretRef. */
const SECRETREF_MANAGED = 'secretref-managed';
const SECRETREF_ENV_PREFIX = 'secretref-env:';
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const ENV_REFERENCE_GLOBAL = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `~` and `~/x` mean the home directory, as in OpenClaw's own path resolution. */
function resolveUserPath(value: string, home: string): string {
  if (value === '~') return home;
  if (value.startsWith('~/') || value.startsWith('~\\')) return path.join(home, value.slice(2));
  return path.resolve(value);
}

/** Parses a JSON/JSON5 file, or undefined when it is missing, not a regular file, too large or broken. */
async function readJson5File(file: string): Promise<unknown> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO placed where a config file should be must not hang; stat() then skips it.
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined;
    // Read at most the limit even if the file grew after stat().
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_FILE_BYTES) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_FILE_BYTES) return undefined;
    const text = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    return parseJson5(text) as unknown;
  } catch {
    return undefined;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** `providers.otcbot` (provider ids are case-insensitive in OpenClaw). */
function findProvider(providers: unknown): Record<string, unknown> | undefined {
  if (!isRecord(providers)) return undefined;
  for (const [id, provider] of Object.entries(providers)) {
    if (id.toLowerCase() === PROVIDER_ID && isRecord(provider)) return provider;
  }
  return undefined;
}

function envValue(env: Env, name: string): string | undefined {
  return trimmedString(env[name]);
}

/** A base URL, with `${NAME}` references replaced; undefined when a referenced variable is unset. */
function resolveBaseUrl(value: unknown, env: Env, file: string): Resolved<string> | undefined {
  const raw = trimmedString(value);
  if (raw === undefined) return undefined;
  const names: string[] = [];
  let missing = false;
  const expanded = raw.replace(ENV_REFERENCE_GLOBAL, (_match, name: string) => {
    names.push(name);
    const v = envValue(env, name);
    if (v === undefined) missing = true;
    return v ?? '';
  });
  if (missing) return undefined;
  const url = trimmedString(expanded);
  if (url === undefined) return undefined;
  return { value: url, source: sourceLabel(file, names) };
}

function sourceLabel(file: string, envNames: readonly string[] = []): string {
  return envNames.length === 0 ? `OpenClaw ${file}` : `OpenClaw ${file} (environment ${envNames.join(', ')})`;
}

/**
 * An `apiKey` entry: a literal key, the NAME of an environment variable (how OpenClaw persists env
 * SecretRefs), `${NAME}`, `secretref-env:NAME`, or a SecretRef object. File/exec-managed secrets
 * (`secretref-managed`, SecretRefs with another source) cannot be read here and count as absent.
 */
function resolveApiKey(value: unknown, env: Env, file: string): Resolved<string> | undefined {
  const fromEnv = (name: string): Resolved<string> | undefined => {
    const v = envValue(env, name);
    return v === undefined ? undefined : { value: v, source: sourceLabel(file, [name]) };
  };
  if (isRecord(value)) {
    const id = trimmedString(value['id']);
    return value['source'] === 'env' && id !== undefined ? fromEnv(id) : undefined;
  }
  const raw = trimmedString(value);
  if (raw === undefined) return undefined;
  if (raw.toLowerCase() === SECRETREF_MANAGED) return undefined;
  if (raw.toLowerCase().startsWith(SECRETREF_ENV_PREFIX)) {
    const name = raw.slice(SECRETREF_ENV_PREFIX.length).trim();
    return name === '' ? undefined : fromEnv(name);
  }
  const reference = ENV_REFERENCE.exec(raw);
  if (reference?.[1] !== undefined) return fromEnv(reference[1]);
  if (ENV_NAME.test(raw)) return fromEnv(raw);
  return { value: raw, source: sourceLabel(file) };
}

/** `agents.defaults.<key>` as a string or `{ primary }`. */
function modelRef(defaults: Record<string, unknown>, key: string): string | undefined {
  const entry = defaults[key];
  if (isRecord(entry)) return trimmedString(entry['primary']);
  return trimmedString(entry);
}

/** True for `otcbot/<text model>`, the only kind of OpenClaw default model SPEC §2 may use. */
function isUsableModelRef(ref: string): boolean {
  const lower = ref.toLowerCase();
  return lower.startsWith(`${PROVIDER_ID}/`) && lower.length > PROVIDER_ID.length + 1 && !isImageModel(ref);
}

function resolveDefaultModel(config: unknown, file: string): Resolved<string> | undefined {
  if (!isRecord(config) || !isRecord(config['agents'])) return undefined;
  const defaults = config['agents']['defaults'];
  if (!isRecord(defaults)) return undefined;
  const candidates: Resolved<string>[] = [];
  for (const key of ['imageGenerationModel', 'model']) {
    const ref = modelRef(defaults, key);
    if (ref !== undefined) candidates.push({ value: ref, source: `OpenClaw ${file} (agents.defaults.${key})` });
  }
  // Prefer a model the chain can use: an image-generation model such as `otcbot/gpt-image-2` must not hide
  // a usable `agents.defaults.model` text model.
  return candidates.find((c) => isUsableModelRef(c.value)) ?? candidates[0];
}

/** The agent directories to look in, in order: the env override, `main`, then the others by name. */
async function agentDirectories(env: Env, stateDir: string, home: string): Promise<string[]> {
  const dirs: string[] = [];
  const override = envValue(env, 'OPENCLAW_AGENT_DIR') ?? envValue(env, 'PI_CODING_AGENT_DIR');
  if (override !== undefined) dirs.push(resolveUserPath(override, home));
  const agentsRoot = path.join(stateDir, 'agents');
  dirs.push(path.join(agentsRoot, 'main', 'agent'));
  try {
    const entries = await readdir(agentsRoot, { withFileTypes: true });
    const others = entries
      .filter((e) => e.isDirectory() && e.name !== 'main')
      .map((e) => e.name)
      .sort()
      .slice(0, MAX_AGENT_DIRS);
    for (const name of others) dirs.push(path.join(agentsRoot, name, 'agent'));
  } catch {
    // No agents directory: only the override and `main` are candidates.
  }
  return [...new Set(dirs)];
}

export async function loadOpenClaw(env: Env, homeDir: string): Promise<OpenClawInfo> {
  const homeOverride = envValue(env, 'OPENCLAW_HOME');
  const home = homeOverride === undefined ? homeDir : resolveUserPath(homeOverride, homeDir);
  const stateOverride = envValue(env, 'OPENCLAW_STATE_DIR');
  const stateDir = stateOverride === undefined ? path.join(home, '.openclaw') : resolveUserPath(stateOverride, home);
  const configOverride = envValue(env, 'OPENCLAW_CONFIG_PATH');
  const configPath = configOverride === undefined ? path.join(stateDir, 'openclaw.json') : resolveUserPath(configOverride, home);

  // Provider sources in priority order: every agent's models.json (main first), then openclaw.json.
  const providerSources: { file: string; provider: Record<string, unknown> }[] = [];
  for (const dir of await agentDirectories(env, stateDir, home)) {
    const file = path.join(dir, 'models.json');
    const json = await readJson5File(file);
    const provider = isRecord(json) ? findProvider(json['providers']) : undefined;
    if (provider) providerSources.push({ file, provider });
  }
  const config = await readJson5File(configPath);
  const configProvider = isRecord(config) && isRecord(config['models']) ? findProvider(config['models']['providers']) : undefined;
  if (configProvider) providerSources.push({ file: configPath, provider: configProvider });

  const info: OpenClawInfo = {};
  for (const { file, provider } of providerSources) {
    info.baseUrl ??= resolveBaseUrl(provider['baseUrl'], env, file);
    info.apiKey ??= resolveApiKey(provider['apiKey'], env, file);
    if (info.baseUrl && info.apiKey) break;
  }
  const defaultModel = resolveDefaultModel(config, configPath);
  if (defaultModel) info.defaultModel = defaultModel;
  if (!info.baseUrl) delete info.baseUrl;
  if (!info.apiKey) delete info.apiKey;
  return info;
}
