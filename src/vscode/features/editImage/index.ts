/**
 * Image editing (SPEC §7): "Edit Image…" (explorer context menu, image preview title bar, palette). Its module is
 * loaded the first time the command runs.
 */
import type { CommandHandler } from '../../commandTable';
import { editImageCommand } from '../../constants';
import type { Services } from '../../services';

export function editImageCommands(services: Services): Record<typeof editImageCommand, CommandHandler> {
  return { [editImageCommand]: async (...args) => (await import('./editImage')).editImage(services, ...args) };
}
