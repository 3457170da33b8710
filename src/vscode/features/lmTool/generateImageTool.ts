/**
 * The language-model tool `cpa-image_generate` (#generateImage) (SPEC §7): lets an agent (Copilot's agent mode, or
 * any extension through `vscode.lm.invokeTool`) generate an image through the same client and settings as the
 * commands. VS Code asks the user to confirm first — it spends their image quota — showing what it will spend (the
 * requests, the images, the model), the prompt, where the file goes and which document gets the link. The result
 * tells the model the saved path and the markdown link to use.
 *
 * Two modes (issue 13 item 7): one prompt, optionally as `variants` candidates made at the same time (saved as
 * `name.png`, `name-2.png`, … like the CLI's `--variants`, the first one linked); or `fillDocument`, which runs
 * Generate All Missing Images on one document without its quick pick (the confirmation lists the alt texts instead),
 * each image filling its own link.
 */
import * as path from 'node:path';
import { CancellationError, LanguageModelTextPart, LanguageModelToolResult, MarkdownString, Uri, l10n, window, workspace } from 'vscode';
import type {
  CancellationToken,
  LanguageModelTool,
  LanguageModelToolInvocationOptions,
  LanguageModelToolInvocationPrepareOptions,
  PreparedToolInvocation,
  TextDocument,
  TextEditor,
} from 'vscode';
import { isCancellation } from '../../../core/errors';
import { languageModelText, markdownText } from '../../../core/text/inertText';
import { altFromPrompt, formatInsertion, isMarkdownLanguage } from '../../../core/markdown/links';
import { oneLineExcerpt } from '../../../core/text/describe';
import { describeError } from '../../ui/errorMessages';
import { promptExcerpt } from '../../ui/format';
import type { GenerationOutput } from '../../generation/pipeline';
import type { InsertOutcome } from '../../generation/insertion';
import { InsertionOrigin, linkBase } from '../../generation/insertion';
import type { MissingImagesFiller, MissingImagesReport, Services } from '../../services';
import { fillConfirmation, generateConfirmation, type ModelInfo, type ToolConfirmation } from './toolConfirmation';
import { isFillInput, readToolInput } from './toolInput';
import type { FillDocumentInput, GenerateImageInput, ToolInputSchema } from './toolInput';

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

export class GenerateImageTool implements LanguageModelTool<ToolInputSchema> {
  constructor(
    private readonly services: Services,
    private readonly missingImages: MissingImagesFiller,
  ) {}

  async prepareInvocation(options: LanguageModelToolInvocationPrepareOptions<ToolInputSchema>): Promise<PreparedToolInvocation> {
    const input = readToolInput(options.input);
    if (isFillInput(input)) {
      const document = await openWorkspaceDocument(input);
      const { altTexts, found } = await this.missingImages.plan(document);
      const shownPath = workspaceRelative(document.uri);
      const invocationMessage = new MarkdownString('', false).appendText(l10n.t('Generating the missing images of {0}', markdownText(shownPath)));
      // Nothing to spend, nothing to confirm: the answer says there was nothing to fill.
      if (altTexts.length === 0) return { invocationMessage };
      const confirmation = fillConfirmation(l10n, shownPath, altTexts, found, await this.modelFor(document));
      return { invocationMessage, confirmationMessages: { title: confirmation.title, message: confirmationMessage(confirmation) } };
    }
    const editor = input.insertIntoActiveMarkdown ? markdownEditor() : undefined;
    const insertInto = input.insertIntoActiveMarkdown ? (editor ? workspaceRelative(editor.document.uri) : null) : undefined;
    const confirmation = generateConfirmation(l10n, input, await this.modelFor(editor?.document), insertInto);
    const variants = input.variants ?? 1;
    return {
      invocationMessage: new MarkdownString('', false).appendText(
        variants === 1
          ? l10n.t('Generating image “{0}”', markdownText(promptExcerpt(input.prompt)))
          : l10n.t('Generating {0} images of “{1}”', variants, markdownText(promptExcerpt(input.prompt))),
      ),
      confirmationMessages: { title: confirmation.title, message: confirmationMessage(confirmation) },
    };
  }

  async invoke(options: LanguageModelToolInvocationOptions<ToolInputSchema>, token: CancellationToken): Promise<LanguageModelToolResult> {
    const input = readToolInput(options.input);
    try {
      const text = isFillInput(input) ? await this.fill(input, token) : await this.generate(input, token);
      return new LanguageModelToolResult([new LanguageModelTextPart(text)]);
    } catch (err) {
      if (isCancellation(err) || token.isCancellationRequested) throw new CancellationError();
      // The model (and the user, in the chat) get the same words as a notification would show, never the key.
      throw new Error(describeError(err).message);
    }
  }

  /** `variants` images of one prompt at once; the first (by name: `name.png` before `name-2.png`) gets the link. */
  private async generate(input: GenerateImageInput, token: CancellationToken): Promise<string> {
    const editor = input.insertIntoActiveMarkdown ? markdownEditor() : undefined;
    const origin = InsertionOrigin.capture(editor);
    const variants = input.variants ?? 1;
    try {
      const runs = Array.from({ length: variants }, (_, i) =>
        this.services.pipeline.run(
          {
            prompt: input.prompt,
            ...(origin ? { document: origin.document } : {}),
            ...(input.destination !== undefined ? { saveTo: { kind: 'path', path: input.destination } } : {}),
            // Candidates have their own names, so parallel saves never race for one; one notification for one image only.
            ...(variants > 1 ? { candidate: i + 1, progress: 'none' as const } : {}),
          },
          token,
        ),
      );
      const settled = await Promise.allSettled(runs);
      const outputs = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])).sort((a, b) => byVariantName(a.uri.path, b.uri.path));
      const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      const first = outputs[0];
      if (!first) throw failures[0];
      // The files exist from here on: the link is placed even if the chat was cancelled meanwhile.
      const { insertFormat, insertPosition } = first.placement;
      const outcome = origin ? await origin.insert(first.uri, input.prompt, insertFormat, insertPosition) : ({ kind: 'none' } as const);
      if (outcome.kind !== 'none') this.services.log.info(`#${first.id} ${outcome.kind} link: ${outcome.text}`);
      for (const failure of failures) this.services.log.warn(`A variant of “${promptExcerpt(input.prompt, 80)}” failed: ${describeError(failure).message}`);
      // No notification: the model (and the user, in the chat) read what happened in the tool's answer.
      const answer = describeResult({ ...first, outcome }, input, origin !== undefined);
      return variants === 1 ? answer : describeVariants(answer, outputs, failures, variants);
    } finally {
      origin?.dispose();
    }
  }

  private async fill(input: FillDocumentInput, token: CancellationToken): Promise<string> {
    const document = await openWorkspaceDocument(input);
    const report = await this.missingImages.fill(document, token);
    if (token.isCancellationRequested && !report.links.some((l) => l.outcome === 'linked' || l.outcome === 'unlinked')) throw new CancellationError();
    return describeFill(report, document);
  }

  /** The request model for the document's scope, for the confirmation; a configuration error is named instead. */
  private async modelFor(document: TextDocument | undefined): Promise<ModelInfo> {
    try {
      const loaded = await this.services.configuration.load(document?.uri);
      return { model: loaded.resolved.model.value };
    } catch (err) {
      return { problem: describeError(err).message };
    }
  }
}

/** The confirmation's parts as an untrusted MarkdownString without theme icons: data only through appendText. */
function confirmationMessage(confirmation: ToolConfirmation): MarkdownString {
  const message = new MarkdownString('', false);
  message.isTrusted = false;
  for (const part of confirmation.parts) {
    if (part.kind === 'markdown') message.appendMarkdown(part.text);
    else message.appendText(part.text);
  }
  return message;
}

/** A workspace-relative markdown path (checked by readToolInput) → its open document, in the first folder that has it. */
async function openWorkspaceDocument(input: FillDocumentInput): Promise<TextDocument> {
  for (const folder of workspace.workspaceFolders ?? []) {
    const uri = Uri.joinPath(folder.uri, input.fillDocument);
    const exists = await workspace.fs.stat(uri).then(
      (stat) => (stat.type & 1) /* FileType.File */ !== 0,
      () => false,
    );
    if (exists) return workspace.openTextDocument(uri);
  }
  throw new Error(`There is no markdown document ${languageModelText(input.fillDocument)} in the workspace. Give a path relative to a workspace folder, such as "docs/guide.md".`);
}

/** `fox.png` before `fox-2.png` before `fox-3.png`: shorter names first (the same folder and stem), then by text. */
function byVariantName(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The answer for several candidates: the first one's answer, then every path, then what failed. */
function describeVariants(firstAnswer: string, outputs: readonly GenerationOutput[], failures: readonly unknown[], asked: number): string {
  const lines = [firstAnswer, '', `Made ${outputs.length} of ${asked} variants of the prompt; every saved file (the first is the one described above):`];
  for (const output of outputs) {
    const link = formatInsertion({ format: 'markdown', imagePath: output.uri.path, ...linkBase(output.uri), alt: altFromPrompt(output.prompt) });
    lines.push(`- ${languageModelText(workspaceRelative(output.uri))} (${output.image.mime}, ${output.image.bytes.length} bytes); markdown link (relative to the workspace root): ${link}`);
  }
  for (const failure of failures) lines.push(`- failed: ${languageModelText(describeError(failure).message)}`);
  return lines.join('\n');
}

/** What the model learns from a fill: one line per link, then the count. */
export function describeFill(report: MissingImagesReport, document: TextDocument): string {
  const shownDocument = languageModelText(workspaceRelative(document.uri));
  if (report.links.length === 0) return `${shownDocument} has no image link with an empty target: nothing was generated.`;
  const lines: string[] = [];
  let linked = 0;
  for (const link of report.links) {
    const alt = `"${languageModelText(oneLineExcerpt(link.prompt, 120))}" (line ${link.line})`;
    const saved = link.uri ? languageModelText(workspaceRelative(link.uri)) : '';
    switch (link.outcome) {
      case 'linked':
        linked++;
        lines.push(`- ${alt}: saved ${saved} and filled its link.`);
        break;
      case 'unlinked':
        lines.push(`- ${alt}: saved ${saved}, but the link had changed meanwhile, so it was not filled.`);
        break;
      case 'failed':
        lines.push(`- ${alt}: failed, its link was left empty: ${languageModelText(link.error ?? 'unknown error')}`);
        break;
      case 'cancelled':
        lines.push(`- ${alt}: cancelled, its link was left empty.`);
        break;
      case 'busy':
        lines.push(`- ${alt}: already being generated by another run; left to it.`);
        break;
    }
  }
  const over = report.found > report.links.length ? ` ${report.found - report.links.length} more empty links were found than one run fills; call the tool again for them.` : '';
  return [`Filled ${linked} of ${report.links.length} empty image links in ${shownDocument}.${over}`, ...lines].join('\n');
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
