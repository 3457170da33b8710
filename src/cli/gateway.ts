/**
 * The step both CLI commands (one image, `fill`) take before any request: the flags mapped onto settings, resolved
 * with the environment and OpenClaw, the key remembered so the log and the errors never show it, and each value's
 * source logged with --verbose. One place, so the two commands cannot resolve differently.
 */
import { describeResolvedConfig, resolveConfig, toGatewaySettings } from '../core/config/config';
import { loadOpenClaw } from '../core/config/openclaw';
import { nullLogger, redactingLogger } from '../core/logger';
import type { GatewaySettings, Logger } from '../core/types';
import { settingsFromArgs, type Values } from './args';
import type { CliIo } from './contract';
import { stderrLogger } from './output';

export interface CliGateway {
  gateway: GatewaySettings;
  log: Logger;
}

/** `secrets.current` is set as soon as the key is known (an error thrown later is redacted with it). */
export async function gatewayFromArgs(values: Values, io: CliIo, secrets: { current: readonly string[] }): Promise<CliGateway> {
  const { settings, formatFlag } = settingsFromArgs(values);
  const log = redactingLogger(values.verbose === true ? stderrLogger((l) => io.stderr.write(l)) : nullLogger, () => secrets.current);
  const openclaw = await loadOpenClaw(io.env, io.homeDir);
  const resolved = resolveConfig({
    settings,
    env: io.env,
    openclaw,
    describeSetting: (name) => (name === 'outputFormat' ? `command line --${formatFlag}` : name === 'imageModel' ? 'command line --image-model' : `command line --${name}`),
  });
  secrets.current = resolved.apiKey.value === undefined ? [] : [resolved.apiKey.value];
  for (const row of describeResolvedConfig(resolved)) log.info(`${row.name}: ${row.value} (${row.source})`);
  return { gateway: toGatewaySettings(resolved, settings), log };
}
