/** Registers every command of the manifest; the ids are in ../constants.ts. */
import { Disposable, commands } from 'vscode';
import { Commands } from '../constants';
import { errorLogDetails } from '../errorMessages';
import { showError } from '../generationRunner';
import type { Services } from '../services';
import { cancelGeneration } from './cancelGeneration';
import { checkConnection } from './checkConnection';
import { clearApiKey } from './clearApiKey';
import { generateImage } from './generate';
import { generateImageFromSelection } from './generateFromSelection';
import { setApiKey } from './setApiKey';
import { showLog } from './showLog';
import { showResolvedConfiguration } from './showResolvedConfiguration';

export function registerCommands(services: Services): Disposable {
  const handlers: Record<(typeof Commands)[keyof typeof Commands], (services: Services) => unknown> = {
    [Commands.generate]: generateImage,
    [Commands.generateFromSelection]: generateImageFromSelection,
    [Commands.setApiKey]: setApiKey,
    [Commands.clearApiKey]: clearApiKey,
    [Commands.showResolvedConfiguration]: showResolvedConfiguration,
    [Commands.checkConnection]: checkConnection,
    [Commands.showLog]: showLog,
    [Commands.cancelGeneration]: cancelGeneration,
  };
  // A safety net: the commands report their own failures, anything unexpected still reaches the log and the user.
  const run = async (id: string, handler: (services: Services) => unknown): Promise<void> => {
    try {
      await handler(services);
    } catch (err) {
      services.log.error(`${id} failed: ${errorLogDetails(err)}`);
      await showError(err, undefined, services.showLog);
    }
  };
  return Disposable.from(
    ...Object.entries(handlers).map(([id, handler]) => commands.registerCommand(id, () => run(id, handler))),
  );
}
