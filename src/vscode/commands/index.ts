/** The handlers of the core commands (ids in ../constants.ts); commandTable.ts registers them with the others. */
import { Commands } from '../constants';
import type { CommandHandler } from '../commandTable';
import type { Services } from '../services';
import { cancelGeneration } from './cancelGeneration';
import { checkConnection } from './checkConnection';
import { clearApiKey } from './clearApiKey';
import { generateImage } from './generate';
import { generateImageFromSelection } from './generateFromSelection';
import { setApiKey } from './setApiKey';
import { showLog } from './showLog';
import { showResolvedConfiguration } from './showResolvedConfiguration';

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
  };
}
