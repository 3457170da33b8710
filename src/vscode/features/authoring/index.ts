/**
 * Markdown authoring (SPEC §7): the CodeLens, the quick fix, "Generate Image from Alt Text", "Generate All Missing
 * Images" and "Illustrate This Section"; and for images already there, "Write Alt Text" (quick fix) and "Write Alt
 * Text for All Images" (issue 14 item 5).
 */
import { Disposable } from 'vscode';
import type { CommandHandler } from '../../commandTable';
import { generateAllMissingImagesCommand, generateFromAltTextCommand, illustrateSectionCommand } from '../../constants';
import { writeAltTextCommand, writeAltTextForAllCommand } from '../../constants';
import type { MissingImagesFiller, Services } from '../../services';
import { AltTextFills } from './altTextFills';
import { registerAltTextProviders } from './altTextProviders';
import { AltDescriptions } from './altDescriptions';
import { registerAltDescriptionActions } from './altDescriptionActions';

export interface AuthoringFeature {
  /** The fills in progress and the providers: disposed by the extension. */
  disposable: Disposable;
  commands: Record<
    | typeof generateFromAltTextCommand
    | typeof illustrateSectionCommand
    | typeof generateAllMissingImagesCommand
    | typeof writeAltTextCommand
    | typeof writeAltTextForAllCommand,
    CommandHandler
  >;
  /** Generate All Missing Images of one document without its quick pick: the agent tool's fill mode. */
  missingImages: MissingImagesFiller;
}

export function registerAuthoring(services: Services): AuthoringFeature {
  const fills = new AltTextFills();
  const descriptions = new AltDescriptions();
  return {
    disposable: Disposable.from(fills, registerAltTextProviders(fills), descriptions, registerAltDescriptionActions(descriptions)),
    // Loaded the first time the CodeLens, the quick fix or the palette runs it.
    commands: {
      [generateFromAltTextCommand]: async (...args) => (await import('./generateFromAltText')).generateFromAltText(services, fills, ...args),
      [generateAllMissingImagesCommand]: async (...args) =>
        (await import('./generateAllMissing')).generateAllMissingImages(services, fills, ...args),
      [illustrateSectionCommand]: async () => (await import('./illustrateSection')).illustrateSection(services),
      [writeAltTextCommand]: async (...args) => (await import('./writeAltText')).writeAltTextCommand(services, descriptions, ...args),
      [writeAltTextForAllCommand]: async (...args) => (await import('./writeAltText')).writeAltTextForAllCommand(services, descriptions, ...args),
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
