/**
 * The fix actions of ui/fixActions.ts as buttons: their labels and what each one runs. Shared by the error
 * notification (commandTable.ts) and the preview panel's failed state, so both offer the same words and do the same.
 */
import { commands, l10n } from 'vscode';
import { Commands } from '../constants';
import type { FixAction } from './fixActions';

/** The button label of a fix action. */
export function fixActionLabel(action: FixAction): string {
  switch (action.kind) {
    case 'setUpGateway':
      return l10n.t('Set Up Gateway…');
    case 'setApiKey':
      return l10n.t('Set API Key');
    case 'openSettings':
      return l10n.t('Open Settings');
    case 'retry':
      return l10n.t('Retry');
  }
}

/** Runs a fix action other than "Retry" (the caller knows what to run again). */
export async function runFixAction(action: Exclude<FixAction, { kind: 'retry' }>): Promise<void> {
  switch (action.kind) {
    case 'setUpGateway':
      await commands.executeCommand(Commands.setUpGateway);
      return;
    case 'setApiKey':
      await commands.executeCommand(Commands.setApiKey);
      return;
    case 'openSettings':
      // The Settings editor filtered to exactly this setting (user settings: baseUrl is application scope).
      await commands.executeCommand('workbench.action.openSettings', `@id:${action.setting}`);
      return;
  }
}
