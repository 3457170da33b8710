/**
 * The composition root: creates the services once, registers every command from one table (commandTable.ts,
 * the only error net), and leaves everything to `context.subscriptions`. Activation is cheap: the gateway
 * client (and undici with it) and OpenClaw's reader are loaded with a dynamic `import()` the first time a
 * command needs them.
 */
import { Uri, window } from 'vscode';
import type { ExtensionContext } from 'vscode';
import type { ImageClient } from './core/gateway/client';
import { ApiKeyStore } from './vscode/apiKeyStore';
import { registerAuthoring } from './vscode/features/authoring';
import { registerCommandTable } from './vscode/commandTable';
import { coreCommands } from './vscode/features/coreCommands';
import { ConfigurationService } from './vscode/configuration';
import { logChannelName } from './vscode/constants';
import { editImageCommands } from './vscode/features/editImage';
import { regenerateFromFileCommands } from './vscode/features/regenerateFromFile';
import { GenerationPipeline } from './vscode/generation/pipeline';
import { disposeImageWorker } from './vscode/generation/postProcess';
import { GenerationRegistry } from './vscode/generation/generations';
import { registerGenerateImageTool } from './vscode/features/lmTool/register';
import { KnownSecrets, createLogger } from './vscode/log';
import { registerPreview } from './vscode/features/preview';
import { trackNeedsSetup } from './vscode/features/setup/needsSetupContext';
import { ReadonlyDocuments } from './vscode/ui/readonlyDocuments';
import { RecentPrompts } from './vscode/ui/recentPrompts';
import { AspectMemory } from './vscode/ui/aspectChoice';
import type { Services } from './vscode/services';
import { GenerationStatusBar } from './vscode/ui/statusBar';
import { VariantRuns } from './vscode/generation/variantRuns';

let loadedClient: ImageClient | undefined;

export function activate(context: ExtensionContext): void {
  const channel = window.createOutputChannel(logChannelName, { log: true });
  const apiKeys = new ApiKeyStore(context.secrets);
  const secrets = new KnownSecrets(() => apiKeys.lastKnown);
  const log = createLogger(channel, secrets);
  // Read the stored key once now so the log can redact it before any command runs.
  void apiKeys.get().then(undefined, () => undefined);

  let clientPromise: Promise<ImageClient> | undefined;
  const client = (): Promise<ImageClient> => {
    clientPromise ??= import('./core/gateway/client').then(({ ImageClient }) => {
      loadedClient = new ImageClient({ logger: log });
      return loadedClient;
    });
    return clientPromise;
  };

  const registry = new GenerationRegistry();
  const configuration = new ConfigurationService(apiKeys, secrets);
  const recentPrompts = new RecentPrompts(context.globalState);
  const readonlyDocuments = new ReadonlyDocuments();
  const showLog = () => channel.show(true);
  const pipeline = new GenerationPipeline({ log, configuration, registry, recentPrompts, client });
  const variants = new VariantRuns(Uri.joinPath(context.globalStorageUri, 'variants'), configuration, log);
  const services: Services = {
    channel,
    log,
    apiKeys,
    configuration,
    registry,
    recentPrompts,
    aspects: new AspectMemory(context.globalState),
    pipeline,
    variants,
    readonlyDocuments,
    client,
    showLog,
  };

  const preview = registerPreview(services, context.workspaceState, context.extensionUri);
  const authoring = registerAuthoring(services);
  context.subscriptions.push(
    channel,
    apiKeys,
    registry,
    pipeline,
    variants,
    new GenerationStatusBar(registry, pipeline),
    readonlyDocuments,
    preview.disposable,
    authoring.disposable,
    registerCommandTable(
      { ...coreCommands(services), ...preview.commands, ...authoring.commands, ...editImageCommands(services), ...regenerateFromFileCommands(services) },
      { log, showLog },
    ),
    registerGenerateImageTool(services, authoring.missingImages),
    trackNeedsSetup(services, context.secrets.onDidChange, preview.historyView),
  );
  log.info(`CPA GPT Image ${context.extension.packageJSON?.version ?? ''} activated`);
}

export async function deactivate(): Promise<void> {
  // Running generations were cancelled by the registry's dispose; release the client's connections.
  await loadedClient?.close();
  loadedClient = undefined;
  await disposeImageWorker();
}
