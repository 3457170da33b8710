/** The handlers of the core commands (ids in ../constants.ts); commandTable.ts registers them with the others. */
import { Commands } from '../constants';
import type { CommandHandler } from '../commandTable';
import type { Services } from '../services';
import { cancelGeneration } from './palette/cancelGeneration';
import { checkConnection } from './setup/checkConnection';
import { clearApiKey } from './setup/clearApiKey';
import { generateImage } from './palette/generate';
import { generateImageFromSelection } from './palette/generateFromSelection';
import { setApiKey } from './setup/setApiKey';
import { setUpGateway } from './setup/setUpGateway';
import { showLog } from './setup/showLog';
import { showResolvedConfiguration } from './setup/showResolvedConfiguration';

export function coreCommands(services: Services): Record<(typeof Commands)[keyof typeof Commands], CommandHandler> {
  return {
    [Commands.generate]: () => generateImage(services),
    [Commands.generateFromSelection]: () => generateImageFromSelection(services),
    [Commands.setApiKey]: () => setApiKey(services),
    [Commands.clearApiKey]: () => clearApiKey(services),
    [Commands.showResolvedConfiguration]: () => showResolvedConfiguration(services),
    [Commands.checkConnection]: () => checkConnection(services),
    [Commands.showLog]: () => showLog(services),
    [Commands.cancelGeneration]: () => cancelGeneration(services),
    [Commands.setUpGateway]: () => setUpGateway(services),
  };
}
