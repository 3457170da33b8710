/**
 * The agent tool's input, read defensively (no `vscode` import, unit-tested): VS Code checks the schema for chat
 * requests, but an extension calling `vscode.lm.invokeTool` directly can pass anything. The messages go back to the
 * model, so they say what a valid input looks like. A destination is checked here, before any request is made, by
 * the same rules the save applies again (`destinationPathProblem`: no control characters, nothing inside `.git/`
 * or `.vscode/`).
 *
 * Two modes: one prompt (`prompt`, with `variants` candidates made at once), or `fillDocument`: every empty image
 * link of one markdown document, each alt text the prompt of its own image.
 */
import * as path from 'node:path';
import { MAX_DESTINATION_PATTERN_LENGTH, destinationPathProblem } from '../../../core/files/destination';

/** The most candidates of one prompt (as `cpaImage.variants` and the CLI's `--variants`). */
export const MAX_TOOL_VARIANTS = 4;
/** A document path longer than this is surely not a workspace path. */
export const MAX_TOOL_DOCUMENT_PATH = 1024;
/** The markdown files the fill mode accepts (the languages the CodeLens serves). */
const MARKDOWN_FILE = /\.(md|markdown|mdx|qmd|rmd)$/i;

export interface GenerateImageInput {
  prompt: string;
  /** Workspace-relative file path; the extension follows the real image bytes. */
  destination?: string;
  /** Insert the markdown link at the cursor of the active markdown editor. */
  insertIntoActiveMarkdown?: boolean;
  /** 2–4 candidates of the prompt, made at the same time (left out for one). */
  variants?: number;
}

export interface FillDocumentInput {
  /** Workspace-relative path of a markdown document whose empty image links are to be filled. */
  fillDocument: string;
}

export type ToolInput = GenerateImageInput | FillDocumentInput;

/** The input as the schema describes it (what VS Code hands over before it is read). */
export interface ToolInputSchema {
  prompt?: string;
  destination?: string;
  insertIntoActiveMarkdown?: boolean;
  variants?: number;
  fillDocument?: string;
}

export function isFillInput(input: ToolInput): input is FillDocumentInput {
  return 'fillDocument' in input;
}

const present = (value: unknown): boolean => value !== undefined && value !== null;

export function readToolInput(input: unknown): ToolInput {
  const record = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  if (present(record['fillDocument'])) return readFillInput(record);
  const prompt = typeof record['prompt'] === 'string' ? record['prompt'].trim() : '';
  if (prompt === '') throw new Error('The input needs a non-empty "prompt" string that describes the image (or "fillDocument", a markdown document whose empty image links to fill).');
  const destination = record['destination'];
  if (destination !== undefined && destination !== null && (typeof destination !== 'string' || destination.trim() === '')) {
    throw new Error('"destination" must be a workspace-relative file path such as "docs/images/fox.png", or left out.');
  }
  if (typeof destination === 'string') {
    if (destination.length > MAX_DESTINATION_PATTERN_LENGTH) {
      throw new Error(`"destination" is ${destination.length} characters long; at most ${MAX_DESTINATION_PATTERN_LENGTH} are allowed.`);
    }
    const problem = destinationPathProblem(destination.trim());
    if (problem !== undefined) throw new Error(`"destination" ${problem}. Choose another workspace-relative path, or leave it out.`);
  }
  const insert = record['insertIntoActiveMarkdown'];
  if (insert !== undefined && insert !== null && typeof insert !== 'boolean') {
    throw new Error('"insertIntoActiveMarkdown" must be true or false.');
  }
  const variants = readVariants(record['variants']);
  return {
    prompt,
    ...(typeof destination === 'string' ? { destination: destination.trim() } : {}),
    ...(insert === true ? { insertIntoActiveMarkdown: true } : {}),
    ...(variants > 1 ? { variants } : {}),
  };
}

function readVariants(value: unknown): number {
  if (!present(value)) return 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TOOL_VARIANTS) {
    throw new Error(`"variants" must be a whole number from 1 to ${MAX_TOOL_VARIANTS} (candidates of the one prompt), or left out for one image.`);
  }
  return value;
}

/** `fillDocument` alone: the alt texts are the prompts and the images go where the document's settings say. */
function readFillInput(record: Record<string, unknown>): FillDocumentInput {
  for (const field of ['prompt', 'destination', 'variants'] as const) {
    if (present(record[field])) {
      throw new Error(`"${field}" does not apply with "fillDocument": each empty image link's alt text is its prompt, and its image goes where the document's images go. Leave "${field}" out, or call the tool without "fillDocument".`);
    }
  }
  if (record['insertIntoActiveMarkdown'] === true) {
    throw new Error('"insertIntoActiveMarkdown" does not apply with "fillDocument": each image fills its own empty link.');
  }
  const raw = record['fillDocument'];
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new Error('"fillDocument" must be the workspace-relative path of a markdown document, such as "docs/guide.md".');
  }
  if (raw.length > MAX_TOOL_DOCUMENT_PATH) throw new Error(`"fillDocument" is ${raw.length} characters long; at most ${MAX_TOOL_DOCUMENT_PATH} are allowed.`);
  const document = raw.trim();
  // The document is written (its links filled): the rules of a destination apply to it too.
  const problem = destinationPathProblem(document);
  if (problem !== undefined) throw new Error(`"fillDocument" ${problem}.`);
  const posix = document.replaceAll('\\', '/');
  if (path.posix.isAbsolute(posix) || /^[a-z]:/i.test(posix)) {
    throw new Error('"fillDocument" must be relative to the workspace folder, such as "docs/guide.md", not an absolute path.');
  }
  const normal = path.posix.normalize(posix);
  if (normal === '..' || normal.startsWith('../')) throw new Error('"fillDocument" leads out of the workspace folder.');
  if (!MARKDOWN_FILE.test(normal)) throw new Error('"fillDocument" must name a markdown document (.md, .markdown, .mdx, .qmd or .rmd).');
  return { fillDocument: normal };
}
