/**
 * The handlers of the core commands (ids in ../constants.ts); commandTable.ts registers them with the others. Each
 * handler loads its module the first time the command runs: activation registers the ids and runs none of it.
 */
import { Commands } from '../constants';
import type { CommandHandler } from '../commandTable';
import type { Services } from '../services';

export function coreCommands(services: Services): Record<(typeof Commands)[keyof typeof Commands], CommandHandler> {
  return {
    [Commands.generate]: async () => (await import('./palette/generate')).generateImage(services),
    [Commands.generateFromSelection]: async () => (await import('./palette/generateFromSelection')).generateImageFromSelection(services),
    [Commands.setApiKey]: async () => (await import('./setup/setApiKey')).setApiKey(services),
    [Commands.clearApiKey]: async () => (await import('./setup/clearApiKey')).clearApiKey(services),
    [Commands.showResolvedConfiguration]: async () => (await import('./setup/showResolvedConfiguration')).showResolvedConfiguration(services),
    [Commands.checkConnection]: async () => (await import('./setup/checkConnection')).checkConnection(services),
    [Commands.showLog]: async () => (await import('./setup/showLog')).showLog(services),
    [Commands.cancelGeneration]: async () => (await import('./palette/cancelGeneration')).cancelGeneration(services),
    [Commands.setUpGateway]: async () => (await import('./setup/setUpGateway')).setUpGateway(services),
  };
}
