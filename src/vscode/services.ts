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
import type { VariantRuns } from './generation/variantRuns';

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
  /** Variants waiting in the extension's storage for the user's pick (issue 13 item 3). */
  variants: VariantRuns;
  readonlyDocuments: ReadonlyDocuments;
  client: () => Promise<ImageClient>;
  showLog: () => void;
}
