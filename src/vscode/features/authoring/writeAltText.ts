/**
 * "Write Alt Text" and "Write Alt Text for All Images" (issue 14 item 5). For a markdown image whose alt is empty or
 * a placeholder, the local image is sent to the text model on the Responses route with no image tool (no image quota
 * is spent), the one-sentence answer in the language of the text around it is made inert (core/markdown/
 * altTextAnswer.ts) and written into the alt only, tracked through the user's edits (altDescriptions.ts). The quick
 * fix calls the first with the document and the image's range; from the palette it takes the image under the cursor.
 * The second does every such image of the document through the work queue, at most `cpaImage.concurrency` at a time
 * (as Generate All Missing Images), under one progress notification, and ends with a summary.
 *
 * Failures of one image are thrown (the command table shows them with their fix actions); remote images and files
 * that cannot be sent are skipped with a note.
 */
import * as path from 'node:path';
import { batchProgressReporter } from '../../ui/batchProgress';
import { Position, ProgressLocation, Range, Uri, l10n, window, workspace } from 'vscode';
import type { TextDocument, TextEditor } from 'vscode';
import { clampConcurrency, runQueue } from '../../../core/batch/workQueue';
import type { QueueItemState } from '../../../core/batch/workQueue';
import type { AltTextImage } from '../../../core/markdown/altTextImages';
import { skipProblem, writeAltText as describeImage, type AltTextOutcome, type SkipProblem } from '../../../core/markdown/altTextWriter';
import { isMarkdownLanguage } from '../../../core/markdown/links';
import { notificationText } from '../../../core/text/inertText';
import type { GatewaySettings } from '../../../core/types';
import { configSection } from '../../constants';
import type { Services } from '../../services';
import { describeError, errorLogDetails, rememberConfiguration } from '../../ui/errorMessages';
import { promptExcerpt } from '../../ui/format';
import type { AltDescription, AltDescriptions } from './altDescriptions';
import { imagesNeedingAltOf } from './altDescriptionActions';

const DEFAULT_CONCURRENCY = 3;

/** The localised note for an image that was not described. */
function skippedMessage(problem: SkipProblem, image: AltTextImage): string {
  const name = notificationText(promptExcerpt(image.rawDestination, 80));
  switch (problem) {
    case 'remote':
      return l10n.t('{0} is a remote image; only local images get alt text.', name);
    case 'notPath':
      return l10n.t('{0} is not a local file path.', name);
    case 'missing':
      return l10n.t('{0} was not found.', name);
    case 'outside':
      return l10n.t('{0} is outside the folder of the document, so it is not sent.', name);
    case 'notFile':
    case 'unreadable':
      return l10n.t('{0} could not be read.', name);
    case 'tooLarge':
      return l10n.t('{0} is too large to send.', name);
    case 'notImage':
      return l10n.t('{0} is not a PNG, JPEG, WebP or GIF image.', name);
  }
}

/** The settings for `document` (its folder's), with the configuration remembered on an error for its fix actions. */
async function settingsFor(services: Services, document: TextDocument): Promise<GatewaySettings> {
  const loaded = await services.configuration.load(document.uri);
  try {
    return services.configuration.gatewaySettings(loaded);
  } catch (err) {
    throw rememberConfiguration(err, loaded.resolved);
  }
}

/** The folder the image must be in: the document's workspace folder, else its own folder. */
function rootFolderOf(document: TextDocument): string {
  return workspace.getWorkspaceFolder(document.uri)?.uri.fsPath ?? path.dirname(document.uri.fsPath);
}

/** Describes one image and writes its alt; the outcome, with `written` false when the image changed meanwhile. */
async function describeAndPlace(
  services: Services,
  description: AltDescription,
  settings: GatewaySettings,
  signal: AbortSignal,
): Promise<{ outcome: AltTextOutcome; written: boolean }> {
  const client = await services.client();
  const { document, image } = description;
  const outcome = await describeImage(client, {
    image,
    documentText: document.getText(),
    documentPath: document.uri.fsPath,
    rootPath: rootFolderOf(document),
    settings,
    signal,
  });
  if (outcome.kind === 'skipped') {
    services.log.info(`Write Alt Text: ${image.rawDestination} skipped: ${outcome.note}`);
    return { outcome, written: false };
  }
  services.log.info(`Write Alt Text: ${image.rawDestination} (${outcome.language}): ${outcome.alt}`);
  return { outcome, written: await description.place(outcome.alt) };
}

/** Whether the document can be read from disk by path (the image is found next to it). */
function isOnDisk(document: TextDocument): boolean {
  return document.uri.scheme === 'file';
}

export async function writeAltTextCommand(services: Services, descriptions: AltDescriptions, ...args: unknown[]): Promise<void> {
  const target = await findTarget(args[0], args[1]);
  if (!target) {
    void window.showInformationMessage(l10n.t('Put the cursor on an image whose alt text is empty or a placeholder, such as ![](diagram.png), then run this again.'));
    return;
  }
  const { document, image } = target;
  if (!isOnDisk(document)) {
    void window.showInformationMessage(l10n.t('Save the document first: its images are read from the folder it is in.'));
    return;
  }
  const skip = skipProblem(image);
  if (skip) {
    void window.showInformationMessage(skippedMessage(skip.problem, image));
    return;
  }
  const settings = await settingsFor(services, document);
  const description = descriptions.start(document, image);
  if (!description) {
    void window.showInformationMessage(l10n.t('The alt text of this image is already being written.'));
    return;
  }
  try {
    const { outcome, written } = await window.withProgress(
      { location: ProgressLocation.Notification, cancellable: true, title: l10n.t('Writing alt text for {0}', notificationText(promptExcerpt(image.rawDestination, 60))) },
      async (_progress, token) => {
        const controller = new AbortController();
        const onCancel = token.onCancellationRequested(() => controller.abort());
        try {
          return await describeAndPlace(services, description, settings, controller.signal);
        } finally {
          onCancel.dispose();
        }
      },
    );
    if (outcome.kind === 'skipped') void window.showInformationMessage(skippedMessage(outcome.problem, image));
    else if (written) window.setStatusBarMessage(l10n.t('Alt text written.'), 5000);
  } finally {
    description.dispose();
  }
}

export async function writeAltTextForAllCommand(services: Services, descriptions: AltDescriptions, ...args: unknown[]): Promise<void> {
  const document = args[0] instanceof Uri ? await workspace.openTextDocument(args[0]) : window.activeTextEditor?.document;
  if (!document || !isMarkdownLanguage(document.languageId)) {
    void window.showInformationMessage(l10n.t('Open a markdown document, then run this again.'));
    return;
  }
  if (!isOnDisk(document)) {
    void window.showInformationMessage(l10n.t('Save the document first: its images are read from the folder it is in.'));
    return;
  }
  const settings = await settingsFor(services, document);
  const images = imagesNeedingAltOf(document).filter((image) => !descriptions.isPending(document, image));
  const local = images.filter((image) => skipProblem(image) === undefined);
  const remote = images.length - local.length;
  for (const image of images) if (skipProblem(image)) services.log.info(`Write Alt Text for All Images: ${image.rawDestination} skipped: ${skipProblem(image)?.note}`);
  if (local.length === 0) {
    const name = notificationText(workspace.asRelativePath(document.uri));
    void window.showInformationMessage(
      remote > 0
        ? l10n.t('No local image without alt text in {0}; {1} remote images were skipped.', name, remote)
        : l10n.t('No image without alt text in {0}.', name),
    );
    return;
  }
  const entries: AltDescription[] = [];
  for (const image of local) {
    const description = descriptions.start(document, image);
    if (description) entries.push(description);
  }
  const concurrency = clampConcurrency(workspace.getConfiguration(configSection, document.uri).get<number>('concurrency', DEFAULT_CONCURRENCY));
  const states: QueueItemState['kind'][] = entries.map(() => 'queued');
  const errors: unknown[] = entries.map(() => undefined);
  let results;
  try {
    results = await window.withProgress(
      { location: ProgressLocation.Notification, cancellable: true, title: l10n.t('Writing alt text for {0} images', entries.length) },
      async (progress, token) => {
        const controller = new AbortController();
        const onCancel = token.onCancellationRequested(() => controller.abort());
        const report = batchProgressReporter(progress, states);
        report();
        try {
          return await runQueue(entries, {
            concurrency,
            signal: controller.signal,
            onState: (index, state) => {
              states[index] = state.kind;
              const settled = state.kind === 'done' || state.kind === 'failed' || state.kind === 'cancelled';
              report(settled);
            },
            run: (description, index, signal) =>
              describeAndPlace(services, description, settings, signal).catch((err: unknown) => {
                errors[index] = err;
                services.log.error(`Write Alt Text for All Images: ${description.image.rawDestination} failed: ${errorLogDetails(err)}`);
                throw err;
              }),
          });
        } finally {
          onCancel.dispose();
        }
      },
    );
  } finally {
    for (const description of entries) description.dispose();
  }
  const written = results.filter((r) => r.kind === 'done' && r.value.written).length;
  const skipped = results.filter((r) => r.kind === 'done' && r.value.outcome.kind === 'skipped').length + remote;
  const failed = results.filter((r) => r.kind === 'failed').length;
  const cancelled = results.filter((r) => r.kind === 'cancelled').length;
  const total = entries.length + remote;
  const skippedNote = skipped > 0 ? ` ${l10n.t('{0} skipped (remote, missing or not an image; see the log).', skipped)}` : '';
  if (failed === 0) {
    void window.showInformationMessage(
      (cancelled > 0 ? l10n.t('Cancelled: alt text written for {0} of {1} images.', written, total) : l10n.t('Alt text written for {0} of {1} images.', written, total)) +
        skippedNote,
    );
    return;
  }
  const firstError = errors.find((e) => e !== undefined);
  const reason = firstError === undefined ? '' : describeError(firstError).message;
  const showLog = l10n.t('Show Log');
  const choice = await window.showWarningMessage(
    l10n.t('Alt text written for {0} of {1} images; {2} failed. {3}', written, total, failed, reason) + skippedNote,
    showLog,
  );
  if (choice === showLog) services.showLog();
}

/** The document and image the command is for: the image at `rangeArg` in `uriArg`, else the one under the active cursor. */
async function findTarget(uriArg: unknown, rangeArg: unknown): Promise<{ document: TextDocument; image: AltTextImage } | undefined> {
  const editor = uriArg instanceof Uri ? await editorFor(uriArg) : window.activeTextEditor;
  if (!editor || !isMarkdownLanguage(editor.document.languageId)) return undefined;
  const document = editor.document;
  const at = rangeArg instanceof Range ? rangeArg : rangeArg instanceof Position ? new Range(rangeArg, rangeArg) : editor.selection;
  const start = document.offsetAt(at.start);
  const end = document.offsetAt(at.end);
  const images = imagesNeedingAltOf(document);
  const image = images.find((i) => i.start <= start && start <= i.end) ?? images.find((i) => i.start <= end && start <= i.end);
  return image ? { document, image } : undefined;
}

async function editorFor(uri: Uri): Promise<TextEditor> {
  const key = uri.toString();
  const visible = window.visibleTextEditors.find((e) => e.document.uri.toString() === key);
  if (visible) return visible;
  return window.showTextDocument(await workspace.openTextDocument(uri), { preview: false });
}
