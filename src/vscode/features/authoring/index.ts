/**
 * Markdown authoring (SPEC §7): the CodeLens, the quick fix, "Generate Image from Alt Text", "Generate All Missing
 * Images" and "Illustrate This Section".
 */
import { Disposable } from 'vscode';
import type { CommandHandler } from '../../commandTable';
import { generateAllMissingImagesCommand, generateFromAltTextCommand, illustrateSectionCommand } from '../../constants';
import type { MissingImagesFiller, Services } from '../../services';
import { AltTextFills } from './altTextFills';
import { registerAltTextProviders } from './altTextProviders';

export interface AuthoringFeature {
  /** The fills in progress and the providers: disposed by the extension. */
  disposable: Disposable;
  commands: Record<typeof generateFromAltTextCommand | typeof illustrateSectionCommand | typeof generateAllMissingImagesCommand, CommandHandler>;
  /** Generate All Missing Images of one document without its quick pick: the agent tool's fill mode. */
  missingImages: MissingImagesFiller;
}

export function registerAuthoring(services: Services): AuthoringFeature {
  const fills = new AltTextFills();
  return {
    disposable: Disposable.from(fills, registerAltTextProviders(fills)),
    // Loaded the first time the CodeLens, the quick fix or the palette runs it.
    commands: {
      [generateFromAltTextCommand]: async (...args) => (await import('./generateFromAltText')).generateFromAltText(services, fills, ...args),
      [generateAllMissingImagesCommand]: async (...args) =>
        (await import('./generateAllMissing')).generateAllMissingImages(services, fills, ...args),
      [illustrateSectionCommand]: async () => (await import('./illustrateSection')).illustrateSection(services),
    },
    missingImages: {
      plan: async (document) => {
        const { planned, found } = (await import('./generateAllMissing')).planMissingImages(fills, document);
        return { altTexts: planned.map((p) => p.link.prompt), found };
      },
      fill: async (document, token) => (await import('./generateAllMissing')).fillMissingImagesOf(services, fills, document, token),
    },
  };
}
