/** What the commands share; built once in extension.ts and passed down explicitly. */
import type { CancellationToken, LogOutputChannel, TextDocument, Uri } from 'vscode';
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

/**
 * Generate All Missing Images without its quick pick, for the agent tool (issue 13 item 7): every empty image link
 * of one document, through the same queue, CodeLens states and fills as the command. Built by the authoring
 * feature and handed to the tool by extension.ts, so neither feature imports the other.
 */
export interface MissingImagesFiller {
  /** The links it would generate now (links already being made are left out), for the confirmation. */
  plan(document: TextDocument): Promise<{ altTexts: string[]; found: number }>;
  fill(document: TextDocument, token: CancellationToken): Promise<MissingImagesReport>;
}

export interface MissingImagesReport {
  /** Empty links found in the document (more than `links` when over the bound of one run). */
  found: number;
  links: MissingImageResult[];
}

export interface MissingImageResult {
  prompt: string;
  /** 1-based line of the link when the run started. */
  line: number;
  /** `linked`: saved and its target filled; `unlinked`: saved, but the link had changed meanwhile; `busy`: already being made. */
  outcome: 'linked' | 'unlinked' | 'failed' | 'cancelled' | 'busy';
  uri?: Uri;
  /** The user-facing reason of a failure. */
  error?: string;
}
