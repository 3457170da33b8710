/**
 * The language-model tool `cpa-image_generate` (#generateImage) (SPEC §7): lets an agent (Copilot's agent mode, or
 * any extension through `vscode.lm.invokeTool`) generate an image through the same client and settings as the
 * commands. VS Code asks the user to confirm first — it spends their image quota — showing the prompt, where the file
 * goes and which document gets the link. The result tells the model the saved path and the markdown link to use.
 */
import * as path from 'node:path';
import { CancellationError, LanguageModelTextPart, LanguageModelToolResult, MarkdownString, l10n, window, workspace } from 'vscode';
import type {
  CancellationToken,
  LanguageModelTool,
  LanguageModelToolInvocationOptions,
  LanguageModelToolInvocationPrepareOptions,
  PreparedToolInvocation,
  TextEditor,
  Uri,
} from 'vscode';
import { isCancellation } from '../../../core/errors';
import { languageModelText, markdownText } from '../../../core/text/inertText';
import { altFromPrompt, formatInsertion, isMarkdownLanguage } from '../../../core/markdown/links';
import { describeError } from '../../ui/errorMessages';
import { promptExcerpt } from '../../ui/format';
import type { GenerationOutput } from '../../generation/pipeline';
import type { InsertOutcome } from '../../generation/insertion';
import { InsertionOrigin, linkBase } from '../../generation/insertion';
import type { Services } from '../../services';
import { readToolInput } from './toolInput';
import type { GenerateImageInput } from './toolInput';

const posix = path.posix;

/** The markdown editor the link would go into: the active editor, else the only visible markdown editor. */
function markdownEditor(): TextEditor | undefined {
  const active = window.activeTextEditor;
  if (active) return isMarkdownLanguage(active.document.languageId) ? active : undefined;
  const visible = window.visibleTextEditors.filter((e) => isMarkdownLanguage(e.document.languageId));
  return visible.length === 1 ? visible[0] : undefined;
}

/** `docs/guide.md` when in a workspace folder, else the file's full path. */
function workspaceRelative(uri: Uri): string {
  const folder = workspace.getWorkspaceFolder(uri);
  if (folder) return posix.relative(folder.uri.path, uri.path);
  return uri.scheme === 'file' ? uri.fsPath : uri.toString(true);
}

export class GenerateImageTool implements LanguageModelTool<GenerateImageInput> {
  constructor(private readonly services: Services) {}

  prepareInvocation(options: LanguageModelToolInvocationPrepareOptions<GenerateImageInput>): PreparedToolInvocation {
    const input = readToolInput(options.input);
    const editor = input.insertIntoActiveMarkdown ? markdownEditor() : undefined;
    // The prompt, the destination and the document come from the model or the workspace: untrusted markdown
    // without theme icons, and only through appendText (core/inertText.ts).
    const message = new MarkdownString('', false);
    message.isTrusted = false;
    message.appendText(l10n.t('This sends the prompt to your image gateway and uses your image generation quota.'));
    message.appendMarkdown('\n\n');
    message.appendMarkdown(`**${l10n.t('Prompt')}:** `).appendText(markdownText(input.prompt));
    message.appendMarkdown('\n\n');
    message
      .appendMarkdown(`**${l10n.t('Save to')}:** `)
      .appendText(input.destination !== undefined ? markdownText(input.destination) : l10n.t('where generated images go by default (cpaImage.destination)'));
    if (input.insertIntoActiveMarkdown) {
      message.appendMarkdown('\n\n');
      message
        .appendMarkdown(`**${l10n.t('Insert the link into')}:** `)
        .appendText(editor ? markdownText(workspaceRelative(editor.document.uri)) : l10n.t('nothing: no markdown editor is active'));
    }
    return {
      invocationMessage: new MarkdownString('', false).appendText(l10n.t('Generating image “{0}”', markdownText(promptExcerpt(input.prompt)))),
      confirmationMessages: { title: l10n.t('Generate an image with CPA GPT Image?'), message },
    };
  }

  async invoke(options: LanguageModelToolInvocationOptions<GenerateImageInput>, token: CancellationToken): Promise<LanguageModelToolResult> {
    const input = readToolInput(options.input);
    const editor = input.insertIntoActiveMarkdown ? markdownEditor() : undefined;
    const origin = InsertionOrigin.capture(editor);
    try {
      const output = await this.services.pipeline.run(
        {
          prompt: input.prompt,
          ...(origin ? { document: origin.document } : {}),
          ...(input.destination !== undefined ? { saveTo: { kind: 'path', path: input.destination } } : {}),
        },
        token,
      );
      // The file exists from here on: the link is placed even if the chat was cancelled meanwhile.
      const { insertFormat, insertPosition } = output.placement;
      const outcome = origin ? await origin.insert(output.uri, input.prompt, insertFormat, insertPosition) : ({ kind: 'none' } as const);
      if (outcome.kind !== 'none') this.services.log.info(`#${output.id} ${outcome.kind} link: ${outcome.text}`);
      // No notification: the model (and the user, in the chat) read what happened in the tool's answer.
      return new LanguageModelToolResult([new LanguageModelTextPart(describeResult({ ...output, outcome }, input, origin !== undefined))]);
    } catch (err) {
      if (isCancellation(err) || token.isCancellationRequested) throw new CancellationError();
      // The model (and the user, in the chat) get the same words as a notification would show, never the key.
      throw new Error(describeError(err).message);
    } finally {
      origin?.dispose();
    }
  }
}

/** What the model learns: the saved path, the link to use, and whether it was already inserted. */
export function describeResult(result: GenerationOutput & { outcome: InsertOutcome }, input: GenerateImageInput, hadEditor: boolean): string {
  // Paths are data (a folder may be called `[Sign in again](command:…)`); the markdown link built by formatInsertion
  // is what the model is meant to insert, escaped for markdown, and is passed on exactly.
  const saved = languageModelText(workspaceRelative(result.uri));
  const document = result.documentUri;
  const link = formatInsertion({
    format: 'markdown',
    imagePath: result.uri.path,
    ...linkBase(result.uri, result.outcome.kind === 'inserted' ? document : undefined),
    alt: altFromPrompt(result.prompt),
  });
  const lines = [`Saved the image to ${saved} (${result.image.mime}, ${result.image.bytes.length} bytes).`];
  switch (result.outcome.kind) {
    case 'inserted':
      lines.push(
        `Inserted into ${document ? languageModelText(workspaceRelative(document)) : 'the active document'} at the cursor: ${result.outcome.text.trim()}`,
        `Markdown link (relative to that document): ${link}`,
      );
      break;
    case 'copied':
      lines.push(
        `The document was closed before the image was ready, so the link was copied to the clipboard instead: ${result.outcome.text}`,
        `Markdown link (relative to the workspace root): ${link}`,
      );
      break;
    case 'none':
      if (input.insertIntoActiveMarkdown && !hadEditor) lines.push('Nothing was inserted: no markdown editor was active.');
      lines.push(`Markdown link (relative to the workspace root): ${link}`);
      break;
  }
  return lines.join('\n');
}
