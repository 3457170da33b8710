/** Image editing (SPEC §7): "Edit Image…" (explorer context menu, image preview title bar, palette). */
import type { CommandHandler } from '../../commandTable';
import { editImageCommand } from '../../constants';
import type { Services } from '../../services';
import { editImage } from './editImage';

export function editImageCommands(services: Services): Record<typeof editImageCommand, CommandHandler> {
  return { [editImageCommand]: (...args) => editImage(services, ...args) };
}
