/** Markdown authoring (SPEC §7): the CodeLens, the quick fix and the "Generate Image from Alt Text" command. */
import { Disposable, commands } from 'vscode';
import { generateFromAltTextCommand } from '../constants';
import { errorLogDetails } from '../errorMessages';
import { showError } from '../generationRunner';
import type { Services } from '../services';
import { AltTextFills } from './altTextFills';
import { registerAltTextProviders } from './altTextProviders';
import { generateFromAltText } from './generateFromAltText';

export function registerAuthoring(services: Services): Disposable {
  const fills = new AltTextFills();
  return Disposable.from(
    fills,
    registerAltTextProviders(fills),
    commands.registerCommand(generateFromAltTextCommand, async (...args: unknown[]) => {
      try {
        await generateFromAltText(services, fills, ...args);
      } catch (err) {
        // The runner reports generation failures itself; this catches anything unexpected around it.
        services.log.error(`${generateFromAltTextCommand} failed: ${errorLogDetails(err)}`);
        await showError(err, undefined, services.showLog);
      }
    }),
  );
}
