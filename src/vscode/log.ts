/**
 * The "CPA GPT Image" log channel as the core's `Logger`, wrapped so that no line can contain an API key:
 * the key from SecretStorage, from the environment variables of SPEC §2, and any key the resolution found
 * (OpenClaw), read again at every line so a key set later is covered too.
 */
import type { LogOutputChannel } from 'vscode';
import { redactingLogger } from '../core/logger';
import type { Logger } from '../core/types';

/** The environment variables that may hold a key (SPEC §2); their values are redacted wherever they appear. */
const keyEnvironmentVariables = ['IMAGE_GEN_KEY', 'OTCBOT_API_KEY', 'CPA_API_KEY', 'OPENAI_API_KEY'] as const;

/** Every secret the extension knows of, for redaction. */
export class KnownSecrets {
  private readonly seen = new Set<string>();

  constructor(
    private readonly currentStoredKey: () => string | undefined,
    private readonly env: Record<string, string | undefined> = process.env,
  ) {}

  /** Adds a key found elsewhere (for example in OpenClaw's files) to the redaction list. */
  remember(secret: string | undefined): void {
    if (secret && secret.trim().length >= 4) this.seen.add(secret.trim());
  }

  list(): (string | undefined)[] {
    return [this.currentStoredKey(), ...keyEnvironmentVariables.map((name) => this.env[name]), ...this.seen];
  }
}

export function createLogger(channel: LogOutputChannel, secrets: KnownSecrets): Logger {
  return redactingLogger(
    {
      trace: (m) => channel.trace(m),
      debug: (m) => channel.debug(m),
      info: (m) => channel.info(m),
      warn: (m) => channel.warn(m),
      error: (m) => channel.error(m),
    },
    () => secrets.list(),
  );
}
