/**
 * The agent tool's input, read defensively (no `vscode` import, unit-tested): VS Code checks the schema for chat
 * requests, but an extension calling `vscode.lm.invokeTool` directly can pass anything. The messages go back to the
 * model, so they say what a valid input looks like. A destination is checked here, before any request is made, by
 * the same rules the save applies again (`destinationPathProblem`: no control characters, nothing inside `.git/`
 * or `.vscode/`).
 */
import { MAX_DESTINATION_PATTERN_LENGTH, destinationPathProblem } from '../../../core/files/destination';

export interface GenerateImageInput {
  prompt: string;
  /** Workspace-relative file path; the extension follows the real image bytes. */
  destination?: string;
  /** Insert the markdown link at the cursor of the active markdown editor. */
  insertIntoActiveMarkdown?: boolean;
}

export function readToolInput(input: unknown): GenerateImageInput {
  const record = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  const prompt = typeof record['prompt'] === 'string' ? record['prompt'].trim() : '';
  if (prompt === '') throw new Error('The input needs a non-empty "prompt" string that describes the image.');
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
  return {
    prompt,
    ...(typeof destination === 'string' ? { destination: destination.trim() } : {}),
    ...(insert === true ? { insertIntoActiveMarkdown: true } : {}),
  };
}
