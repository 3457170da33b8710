/**
 * Reads everything SPEC §2's resolution chain needs at call time — settings (scoped to the document, so
 * folder settings apply), the process environment, the SecretStorage key and OpenClaw's files — and resolves it.
 */
import { homedir } from 'node:os';
import { workspace } from 'vscode';
import type { Uri } from 'vscode';
import { resolveConfig, toGatewaySettings } from '../core/config/config';
import type { ResolvedConfig } from '../core/config/config';
import { withRepeatedSettings } from '../core/config/generationSettings';
import type { GenerationSettings } from '../core/config/generationSettings';
import type { GatewaySettings } from '../core/types';
import type { ApiKeyStore } from './apiKeyStore';
import { configSection } from './constants';
import type { KnownSecrets } from './log';
import { readExtensionSettings } from './settings';
import type { ExtensionSettings } from './settings';

export interface LoadedConfiguration {
  settings: ExtensionSettings;
  resolved: ResolvedConfig;
}

export class ConfigurationService {
  constructor(
    private readonly apiKeys: ApiKeyStore,
    private readonly secrets: KnownSecrets,
  ) {}

  /**
   * The settings for one run in `scope`: `repeat` replaces the image settings exactly (Regenerate); `size` replaces
   * only the size (the prompt box's aspect choice for this request); `style` only the style's name (the prompt box's
   * choice, or the document's front matter), unless `repeat` gives the style already.
   */
  async load(scope?: Uri, repeat?: GenerationSettings, size?: string, style?: string): Promise<LoadedConfiguration> {
    const read = readExtensionSettings(workspace.getConfiguration(configSection, scope), workspace.getConfiguration('http'));
    const repeated = repeat ? { ...read, user: withRepeatedSettings(read.user, repeat) } : read;
    const sized = size !== undefined ? { ...repeated, user: { ...repeated.user, size } } : repeated;
    const settings = style !== undefined && repeat === undefined ? { ...sized, user: { ...sized.user, style } } : sized;
    // OpenClaw is the last source and reads JSON5 files: loaded on first use so activation stays cheap.
    const [{ loadOpenClaw }, secretKey] = await Promise.all([import('../core/config/openclaw'), this.apiKeys.get()]);
    const env = { ...process.env };
    const openclaw = await loadOpenClaw(env, homedir());
    const resolved = resolveConfig({
      settings: settings.user,
      env,
      ...(secretKey !== undefined ? { secretKey } : {}),
      openclaw,
    });
    // Whatever key won (an OpenClaw file's, say) is hidden from the log from now on.
    this.secrets.remember(resolved.apiKey.value);
    return { settings, resolved };
  }

  /** Throws `GatewayError('config')` when the configuration cannot be used for a request. */
  gatewaySettings(loaded: LoadedConfiguration): GatewaySettings {
    return toGatewaySettings(loaded.resolved, loaded.settings.user);
  }
}
