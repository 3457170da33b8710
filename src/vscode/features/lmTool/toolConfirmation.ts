/**
 * What the agent tool's confirmation says before anything is sent (it spends the user's image quota): how many
 * requests and images, the model, the prompt or — for a fill — the alt texts of the links to be filled (at most
 * MAX_CONFIRMATION_ALT_TEXTS, each cut to one line), where the files go and which document gets the links.
 *
 * No `vscode` import, so the unit test reads the exact message: the caller passes VS Code's `l10n` and turns the
 * parts into a MarkdownString (our own labels with appendMarkdown, everything else with appendText). Every piece of
 * data (prompt, alt texts, paths, the model name, a configuration error) is already passed through `markdownText`
 * (core/text/inertText.ts) here.
 */
import { markdownText } from '../../../core/text/inertText';
import { oneLineExcerpt } from '../../../core/text/describe';
import type { Translator } from '../../ui/stoppedAfter';
import type { GenerateImageInput } from './toolInput';

/** The most alt texts the fill confirmation lists; the rest are counted. */
export const MAX_CONFIRMATION_ALT_TEXTS = 20;
/** Each listed alt text is cut to this many characters, on one line. */
export const MAX_CONFIRMATION_ALT_LENGTH = 100;

/** `markdown`: our own markup (a bold label, a line break); `text`: appended as text, escaped by VS Code. */
export type ConfirmationPart = { kind: 'markdown'; text: string } | { kind: 'text'; text: string };

export interface ToolConfirmation {
  title: string;
  parts: ConfirmationPart[];
}

/** The model the run will use, or why it could not be read (the run itself will then fail with that reason). */
export type ModelInfo = { model: string } | { problem: string };

const md = (text: string): ConfirmationPart => ({ kind: 'markdown', text });
const text = (value: string): ConfirmationPart => ({ kind: 'text', text: value });
const paragraph = md('\n\n');

function modelParts(l10n: Translator, model: ModelInfo): ConfirmationPart[] {
  return [
    md(`**${l10n.t('Model')}:** `),
    text('model' in model ? markdownText(model.model) : l10n.t('unknown: {0}', markdownText(model.problem))),
  ];
}

/**
 * One prompt, `variants` images of it. `insertInto`: the document the link goes into, `null` when a link was asked
 * for but no markdown editor is active, undefined when none was asked for.
 */
export function generateConfirmation(l10n: Translator, input: GenerateImageInput, model: ModelInfo, insertInto?: string | null): ToolConfirmation {
  const variants = input.variants ?? 1;
  const parts: ConfirmationPart[] = [
    text(l10n.t('This sends the prompt to your image gateway and uses your image generation quota.')),
    paragraph,
    md(`**${l10n.t('Prompt')}:** `),
    text(markdownText(input.prompt)),
    paragraph,
    md(`**${l10n.t('Requests')}:** `),
    text(variants === 1 ? l10n.t('1 request, 1 image') : l10n.t('{0} requests at the same time, {0} images (variants of the prompt)', variants)),
    paragraph,
    ...modelParts(l10n, model),
    paragraph,
    md(`**${l10n.t('Save to')}:** `),
    text(input.destination !== undefined ? markdownText(input.destination) : l10n.t('where generated images go by default (cpaImage.destination)')),
  ];
  if (insertInto !== undefined) {
    parts.push(paragraph, md(`**${l10n.t('Insert the link into')}:** `), text(insertInto !== null ? markdownText(insertInto) : l10n.t('nothing: no markdown editor is active')));
  }
  return { title: variants === 1 ? l10n.t('Generate an image with CPA GPT Image?') : l10n.t('Generate {0} images with CPA GPT Image?', variants), parts };
}

/**
 * Every empty image link of `document`: `altTexts` are the prompts of the links that will be generated (already
 * bounded by the fill plan); `found` is how many empty links the document has (more than offered when over the
 * plan's bound). Links whose image is already being made are left out by the caller.
 */
export function fillConfirmation(l10n: Translator, document: string, altTexts: readonly string[], found: number, model: ModelInfo): ToolConfirmation {
  const count = altTexts.length;
  const parts: ConfirmationPart[] = [
    text(l10n.t('This sends the alt text of every empty image link to your image gateway, one request per link, and uses your image generation quota.')),
    paragraph,
    md(`**${l10n.t('Document')}:** `),
    text(markdownText(document)),
    paragraph,
    md(`**${l10n.t('Requests')}:** `),
    text(count === 1 ? l10n.t('1 request, 1 image') : l10n.t('{0} requests, {0} images', count)),
  ];
  if (found > count) parts.push(text(` ${l10n.t('({0} empty links found; at most {1} are filled in one run)', found, count)}`));
  parts.push(paragraph, ...modelParts(l10n, model), paragraph, md(`**${l10n.t('Alt texts (the prompts)')}:**`), paragraph);
  // One paragraph per alt text with a bullet of its own: the confirmation dialog shows markdown as plain text, where
  // a markdown list would lose its bullets; the chat renders the same lines.
  for (const alt of altTexts.slice(0, MAX_CONFIRMATION_ALT_TEXTS)) {
    parts.push(text(`• ${markdownText(oneLineExcerpt(alt, MAX_CONFIRMATION_ALT_LENGTH))}`), paragraph);
  }
  if (count > MAX_CONFIRMATION_ALT_TEXTS) parts.push(text(`• ${l10n.t('… and {0} more', count - MAX_CONFIRMATION_ALT_TEXTS)}`), paragraph);
  parts.push(text(l10n.t('Each image is saved where the document’s images go and fills only its own link.')));
  return { title: l10n.t('Generate {0} missing images with CPA GPT Image?', count), parts };
}
