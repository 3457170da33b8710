/**
 * Regenerate from File (issue 12 item 4): the Explorer's context menu on a PNG, JPEG or WebP file. Its module is
 * loaded the first time the command runs.
 */
import type { CommandHandler } from '../../commandTable';
import { regenerateFromFileCommand } from '../../constants';
import type { Services } from '../../services';

export function regenerateFromFileCommands(services: Services): Record<typeof regenerateFromFileCommand, CommandHandler> {
  return { [regenerateFromFileCommand]: async (...args) => (await import('./regenerateFromFile')).regenerateFromFile(services, ...args) };
}
