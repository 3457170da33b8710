/**
 * "Regenerate from File": reads the provenance an image was saved with (core/image/provenance.ts: the prompt, the
 * model and the image settings) and generates again with the same prompt and settings, as Regenerate in the history
 * does (`repeat`), saving the result as a new file next to it (`photo-regenerated.png`, then `-2`, …). A file
 * without provenance (another tool's image, or saved with cpaImage.save.metadata off) gets a clear message and
 * nothing is sent.
 */
import * as path from 'node:path';
import { FileType, Uri, l10n, window, workspace } from 'vscode';
import { readProvenance, repeatSettingsOf } from '../../../core/image/provenance';
import { notificationText } from '../../../core/text/inertText';
import { errorText } from '../../../core/text/describe';
import { announceSaved } from '../../generation/announce';
import { errorLogDetails } from '../../ui/errorMessages';
import type { Services } from '../../services';

/** Larger files are not read: no image this tool saves comes near it, and the provenance is read from memory. */
export const maxProvenanceFileBytes = 64 * 1024 * 1024;

export async function regenerateFromFile(services: Services, ...args: unknown[]): Promise<void> {
  const uri = args[0] instanceof Uri ? args[0] : undefined;
  if (!uri) return;
  // The file name and the prompt are data: inert in notifications (they parse links).
  const name = notificationText(path.posix.basename(uri.path));
  let bytes: Uint8Array;
  try {
    const stat = await workspace.fs.stat(uri);
    if ((stat.type & FileType.Directory) !== 0 || stat.size > maxProvenanceFileBytes) {
      void window.showWarningMessage(l10n.t('{0} holds no prompt saved by CPA GPT Image, so it cannot be regenerated.', name));
      return;
    }
    bytes = await workspace.fs.readFile(uri);
  } catch (err) {
    services.log.warn(`Regenerate from File: ${uri.toString(true)} could not be read: ${errorLogDetails(err)}`);
    void window.showErrorMessage(l10n.t('Could not read {0}: {1}', name, notificationText(errorText(err))));
    return;
  }
  const provenance = bytes.length <= maxProvenanceFileBytes ? readProvenance(bytes) : undefined;
  if (!provenance) {
    services.log.info(`Regenerate from File: ${uri.toString(true)} has no provenance`);
    void window.showWarningMessage(l10n.t('{0} holds no prompt saved by CPA GPT Image, so it cannot be regenerated.', name));
    return;
  }
  if (provenance.settings?.edited === true) {
    // Its prompt is an instruction for the image it was edited from, which the file does not hold.
    void window.showWarningMessage(l10n.t('{0} was made by Edit Image from another image; use Edit Image on that image again instead.', name));
    return;
  }
  const repeat = repeatSettingsOf(provenance);
  services.log.info(`Regenerate from File: ${uri.toString(true)}, ${repeat ? `model ${repeat.model}, the recorded settings` : "today's settings (none recorded)"}`);
  const output = await services.pipeline.run({
    prompt: provenance.prompt,
    saveTo: { kind: 'nextTo', file: uri, suffix: 'regenerated' },
    ...(repeat ? { repeat } : {}),
  });
  announceSaved(output.uri, { kind: 'none' }, output.processing);
}
