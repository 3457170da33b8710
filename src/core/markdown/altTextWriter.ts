/**
 * One alt text, the same for the extension and the command line (issue 14 item 5): check the image's target (remote
 * and other schemes are skipped with a note), read the local file (core/files/localImage.ts: contained, size-capped,
 * typed by its bytes), ask the text model on the Responses route with no image tool for one concise sentence in the
 * language of the text around the image (nearbyLanguage.ts), and make the answer inert alt text (altTextAnswer.ts).
 * A gateway failure is thrown (a GatewayError, for the usual messages and retries); a skip is an answer.
 */
import type { GatewaySettings } from '../types';
import { GatewayError } from '../errors';
import type { TextAnswer } from '../gateway/client';
import type { TextRequest } from '../gateway/request';
import { readLocalImage, type LocalImageProblem } from '../files/localImage';
import { altTextFromAnswer } from './altTextAnswer';
import type { AltTextImage } from './altTextImages';
import { LANGUAGE_NAMES, nearbyLanguage, type AltLanguage } from './nearbyLanguage';

/** What `describe` needs of the client (ImageClient has it); a narrow type keeps this file free of the transport. */
export interface TextAnswerer {
  describe(settings: GatewaySettings, request: TextRequest, options?: { signal?: AbortSignal }): Promise<TextAnswer>;
}

export type AltTextOutcome =
  | { kind: 'written'; alt: string; language: AltLanguage; answer: string }
  | { kind: 'skipped'; problem: SkipProblem; note: string };

/** Why an image was not described: its target is remote or not a path, or the local file could not be sent. */
export type SkipProblem = 'remote' | 'notPath' | LocalImageProblem;

/** The instruction sent with the image: one sentence, in the document's language, nothing but the alt text. */
export function altTextInstruction(language: AltLanguage): string {
  return (
    `Write the alt text for this image, which appears in a markdown document. ` +
    `Answer with exactly one concise sentence (at most 150 characters) in ${LANGUAGE_NAMES[language]} that says what the image shows ` +
    `and what matters about it for a reader who cannot see it. ` +
    `Do not start with "Image of" or "Picture of"; no quotes, no markdown, no links, no HTML, no line breaks. ` +
    `Answer with text only; do not generate or edit any image.`
  );
}

/** Why an image is not described, before anything is read or sent; undefined when it can be. */
export function skipProblem(image: AltTextImage): { problem: SkipProblem; note: string } | undefined {
  if (image.remote) return { problem: 'remote', note: `${image.rawDestination} is a remote image; only local images are described` };
  if (image.unsupported) return { problem: 'notPath', note: `${image.rawDestination} is not a local file path` };
  return undefined;
}

/** The English note of `skipProblem`, or undefined when the image can be described. */
export function skipReason(image: AltTextImage): string | undefined {
  return skipProblem(image)?.note;
}

export interface AltTextInput {
  image: AltTextImage;
  /** The whole document, for the language around the image. */
  documentText: string;
  documentPath: string;
  /** The folder the image must be in (the workspace folder, else the document's folder). */
  rootPath: string;
  settings: GatewaySettings;
  signal?: AbortSignal;
}

export async function writeAltText(client: TextAnswerer, input: AltTextInput): Promise<AltTextOutcome> {
  const { image } = input;
  const skip = skipProblem(image);
  if (skip !== undefined) return { kind: 'skipped', ...skip };
  const local = await readLocalImage({ documentPath: input.documentPath, rootPath: input.rootPath, destination: image.destination });
  if (!local.ok) return { kind: 'skipped', problem: local.problem, note: local.skipped };
  const language = nearbyLanguage(input.documentText, image.start);
  const answer = await client.describe(input.settings, { text: altTextInstruction(language), images: [local.image] }, input.signal ? { signal: input.signal } : {});
  const alt = altTextFromAnswer(answer.text);
  if (alt === '') throw new GatewayError('protocol', 'The model answered with nothing usable as alt text (only markup or quotes). Try again.');
  return { kind: 'written', alt, language, answer: answer.text };
}
