/** Image editing (SPEC §7): registers "Edit Image…" (explorer context menu, image preview title bar, palette). */
import { commands } from 'vscode';
import type { Disposable } from 'vscode';
import { editImageCommand } from '../constants';
import { errorLogDetails } from '../errorMessages';
import { showError } from '../generationRunner';
import type { Services } from '../services';
import { editImage } from './editImage';

export function registerEditImage(services: Services): Disposable {
  return commands.registerCommand(editImageCommand, async (...args: unknown[]) => {
    try {
      await editImage(services, ...args);
    } catch (err) {
      services.log.error(`${editImageCommand} failed: ${errorLogDetails(err)}`);
      await showError(err, undefined, services.showLog);
    }
  });
}
