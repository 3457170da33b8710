/**
 * The palette's and the selection's flow: generate, then put the link where the user was when the command
 * started (tracked through their edits meanwhile), and say where the image went. The origin is this flow's:
 * it is disposed here whatever happens.
 */
import type { Services } from '../../services';
import type { InsertionOrigin } from '../../generation/insertion';
import { announceSaved } from '../../generation/announce';

export async function generateAtCursor(services: Services, prompt: string, origin: InsertionOrigin | undefined, size?: string): Promise<void> {
  try {
    const output = await services.pipeline.run({ prompt, ...(origin ? { document: origin.document } : {}), ...(size !== undefined ? { size } : {}) });
    const { insertFormat, insertPosition } = output.placement;
    const outcome = origin ? await origin.insert(output.uri, prompt, insertFormat, insertPosition) : ({ kind: 'none' } as const);
    if (outcome.kind !== 'none') services.log.info(`#${output.id} ${outcome.kind} link: ${outcome.text}`);
    announceSaved(output.uri, outcome, output.processing);
  } finally {
    origin?.dispose();
  }
}
