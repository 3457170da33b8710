/** What the commands share; built once in extension.ts and passed down explicitly. */
import type { LogOutputChannel } from 'vscode';
import type { ImageClient } from '../core/gateway/client';
import type { Logger } from '../core/types';
import type { ApiKeyStore } from './apiKeyStore';
import type { ConfigurationService } from './configuration';
import type { GenerationPipeline } from './generation/pipeline';
import type { GenerationRegistry } from './generation/generations';
import type { ReadonlyDocuments } from './ui/readonlyDocuments';
import type { RecentPrompts } from './ui/recentPrompts';
import type { AspectMemory } from './ui/aspectChoice';

export interface Services {
  channel: LogOutputChannel;
  log: Logger;
  apiKeys: ApiKeyStore;
  configuration: ConfigurationService;
  registry: GenerationRegistry;
  recentPrompts: RecentPrompts;
  /** The prompt box's aspect choice, remembered across windows. */
  aspects: AspectMemory;
  pipeline: GenerationPipeline;
  readonlyDocuments: ReadonlyDocuments;
  client: () => Promise<ImageClient>;
  showLog: () => void;
}
