/**
 * Every command of the manifest is registered here, from one table (id → handler), through one wrapper that is
 * the only error safety net: a handler throws and the wrapper tells the user, once. A cancelled run is a quiet
 * status bar line; a dismissed save dialog a warning; anything else the localised error with "Show Log" (and
 * "Set API Key" when that fixes it).
 */
import { Disposable, commands, l10n, window } from 'vscode';
import { isCancellation } from '../core/errors';
import type { Logger } from '../core/types';
import type { CommandId } from './constants';
import { Commands } from './constants';
import { describeError, errorLogDetails } from './ui/errorMessages';
import { SaveDismissed } from './generation/saveImage';

export type CommandHandler = (...args: unknown[]) => unknown;

/** One handler per command id: the type makes a missing or unknown id a compile error. */
export type CommandTable = Record<CommandId, CommandHandler>;

export interface ErrorNetServices {
  log: Logger;
  showLog: () => void;
}

export function registerCommandTable(table: CommandTable, services: ErrorNetServices): Disposable {
  return Disposable.from(
    ...Object.entries(table).map(([id, handler]) =>
      commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await handler(...args);
        } catch (err) {
          await reportFailure(id, err, services);
        }
      }),
    ),
  );
}

/** What the user sees when a command fails; the log gets the details. */
export async function reportFailure(commandId: string, err: unknown, services: ErrorNetServices): Promise<void> {
  const { log } = services;
  if (isCancellation(err)) {
    log.info(`${commandId}: cancelled`);
    window.setStatusBarMessage(l10n.t('Image generation cancelled.'), 4000);
    return;
  }
  if (err instanceof SaveDismissed) {
    log.info(`${commandId}: ${err.message}`);
    void window.showWarningMessage(l10n.t('The image was not saved.'));
    return;
  }
  log.error(`${commandId} failed: ${errorLogDetails(err)}`);
  await showError(err, services.showLog);
}

/** The one error notification: the localised message, "Show Log", and "Set API Key" when it helps. */
export async function showError(err: unknown, showLog: () => void): Promise<void> {
  const { message, offerSetApiKey } = describeError(err);
  const showLogAction = l10n.t('Show Log');
  const setKeyAction = l10n.t('Set API Key');
  const choice = await window.showErrorMessage(message, ...(offerSetApiKey ? [setKeyAction, showLogAction] : [showLogAction]));
  if (choice === showLogAction) showLog();
  else if (choice === setKeyAction) await commands.executeCommand(Commands.setApiKey);
}
