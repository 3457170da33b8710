/**
^ * The flow of the palette, the selection and Illustrate This Section: generate, then put the link where the user was when the command
 * started (tracked through their edits meanwhile), and say where the image went. The origin is this flow's:
 * it is disposed here whatever happens.
 */
import { isCancellation } from '../../core/errors';
import type { Services } from '../services';
import type { InsertionOrigin } from './insertion';
import { announceSaved } from './announce';
import { generateVariants } from './generateVariants';

export async function generateAtCursor(services: Services, prompt: string, origin: InsertionOrigin | undefined, size?: string, style?: string): Promise<void> {
  try {
    const output = await services.pipeline.run({
      prompt,
      ...(origin ? { document: origin.document } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(style !== undefined ? { style } : {}),
    });
    const { insertFormat, insertPosition } = output.placement;
    const outcome = origin ? await origin.insert(output.uri, prompt, insertFormat, insertPosition) : ({ kind: 'none' } as const);
    if (outcome.kind !== 'none') services.log.info(`#${output.id} ${outcome.kind} link: ${outcome.text}`);
    announceSaved(output.uri, outcome, output.processing);
  } finally {
    origin?.dispose();
  }
}

/**
 * `generateAtCursor` for a prompt the user typed in the prompt box: a failure (not a cancel) keeps it as the draft
 * that the next prompt box, or this error's Retry, offers again; a success clears it. Typed once. With `variants`
 * above 1, that many candidates to pick from (generateVariants.ts).
 */
export async function generateTypedPrompt(services: Services, prompt: string, origin: InsertionOrigin | undefined, style?: string, variants = 1): Promise<void> {
  try {
    if (variants > 1) await generateVariants(services, prompt, origin, variants, services.aspects.requestSize(), style);
    else await generateAtCursor(services, prompt, origin, services.aspects.requestSize(), style);
    services.recentPrompts.draft = undefined;
  } catch (err) {
    if (!isCancellation(err)) services.recentPrompts.draft = prompt;
    throw err;
  }
}
