/**
 * Every command of the manifest is registered here, from one table (id → handler), through one wrapper that is
 * the only error safety net: a handler throws and the wrapper tells the user, once. A cancelled run is a quiet
 * status bar line; a dismissed save dialog a warning; anything else the localised error with the actions that
 * fix it (ui/fixActions.ts: Set Up Gateway…, Set API Key, Open Settings on the setting, Retry) and "Show Log".
 */
import { Disposable, commands, l10n, window } from 'vscode';
import { isCancellation } from '../core/errors';
import type { Logger } from '../core/types';
import type { CommandId } from './constants';
import { describeError, errorLogDetails } from './ui/errorMessages';
import { SaveDismissed } from './generation/saveImage';
import { fixActionLabel, runFixAction } from './ui/fixActionButtons';

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
          await reportFailure(id, err, services, () => commands.executeCommand(id, ...args));
        }
      }),
    ),
  );
}

/** What the user sees when a command fails; the log gets the details. `retry` runs the failed command again. */
export async function reportFailure(commandId: string, err: unknown, services: ErrorNetServices, retry?: () => Thenable<unknown>): Promise<void> {
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
  await showError(err, services.showLog, retry);
}

/**
 * The one error notification: the localised message, its fix actions as buttons, and "Show Log". "Retry" is
 * offered only with a `retry` to run. Picking an action runs it; the notification does not wait for the result.
 */
export async function showError(err: unknown, showLog: () => void, retry?: () => Thenable<unknown>): Promise<void> {
  const { message, actions } = describeError(err);
  const offered = actions.filter((action) => action.kind !== 'retry' || retry !== undefined);
  const labels = offered.map(fixActionLabel);
  const showLogAction = l10n.t('Show Log');
  const choice = await window.showErrorMessage(message, ...labels, showLogAction);
  if (choice === showLogAction) {
    showLog();
    return;
  }
  const action = offered[labels.indexOf(choice ?? '')];
  if (action?.kind === 'retry') await retry?.();
  else if (action) await runFixAction(action);
}
