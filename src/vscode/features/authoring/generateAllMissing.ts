/**
 * "Generate All Missing Images" (issue 13): every empty image link of a markdown document — or of every markdown
 * file under a folder, from the Explorer — with the alt-text CodeLens's rules (core/markdown/emptyImageLinks.ts).
 * The links are listed first (a quick pick, all ticked, the count in its title); the ticked ones are generated at
 * most `cpaImage.concurrency` at a time through the work queue (core/batch/workQueue.ts: a failure fails only its
 * own link, a stated rate limit pauses the queue, Cancel stops everything). Each link is an AltTextFill: tracked
 * through the user's typing, its CodeLens showing its state, its own target filled when its image is saved. One
 * progress notification for the whole run; at the end a summary, with Retry Failed when some failed.
 */
import { CancellationTokenSource, ProgressLocation, RelativePattern, Uri, l10n, window, workspace } from 'vscode';
import { batchProgressReporter } from '../../ui/batchProgress';
import type { CancellationToken, TextDocument } from 'vscode';
import { MAX_FILL_ALL_LINKS, planFill, type PlannedLink } from '../../../core/batch/fillPlan';
import { clampConcurrency, runQueue, type QueueItemState } from '../../../core/batch/workQueue';
import { findEmptyImageLinks } from '../../../core/markdown/emptyImageLinks';
import { isMarkdownLanguage } from '../../../core/markdown/links';
import { iconLabelText, notificationText } from '../../../core/text/inertText';
import { configSection } from '../../constants';
import type { MissingImageResult, MissingImagesReport, Services } from '../../services';
import { describeError, errorLogDetails } from '../../ui/errorMessages';
import { promptExcerpt } from '../../ui/format';
import type { AltTextFill, AltTextFills } from './altTextFills';
import { startEventLoopProbe } from './eventLoopProbe';

/** Markdown files a folder run reads (the languages the CodeLens serves), and how many files at most. */
const MARKDOWN_GLOB = '**/*.{md,markdown,mdx,qmd,rmd,MD}';
const EXCLUDED_GLOB = '**/{node_modules,.git}/**';
export const MAX_FILL_ALL_FILES = 500;
const DEFAULT_CONCURRENCY = 3;

export async function generateAllMissingImages(services: Services, fills: AltTextFills, ...args: unknown[]): Promise<void> {
  const uris = targetUris(args);
  const active = window.activeTextEditor?.document;
  if (uris.length === 0 && (!active || !isMarkdownLanguage(active.languageId))) {
    void window.showInformationMessage(l10n.t('Open a markdown document, or pick a markdown file or folder in the Explorer, then run this again.'));
    return;
  }
  // The configuration first (as Generate Image does): nobody picks links for a gateway that is not set up.
  const scopeDocument = uris.length === 0 ? active : await singleFile(uris);
  await services.pipeline.checkConfigured(scopeDocument ? { document: scopeDocument } : {});

  const documents = uris.length === 0 && active ? [active] : await markdownDocuments(uris);
  const plan = planFill(
    documents.map((document) => ({ document, text: document.getText() })),
    MAX_FILL_ALL_LINKS,
  );
  // A link whose image is already being made (its CodeLens was clicked) is not offered twice.
  const offered = plan.links.filter((planned) => !fills.isPending(planned.document, planned.link));
  if (offered.length === 0) {
    void window.showInformationMessage(
      documents.length === 1
        ? l10n.t('No image link with an empty target in {0}.', notificationText(workspace.asRelativePath(documents[0]?.uri ?? '')))
        : l10n.t('No image link with an empty target in {0} markdown files.', documents.length),
    );
    return;
  }
  const chosen = await pickLinks(offered, plan.total);
  if (!chosen || chosen.length === 0) return;

  const entries: AltTextFill[] = [];
  for (const planned of chosen) {
    // The document may have changed while the list was open: the link is looked up again where it was.
    const link = findEmptyImageLinks(planned.document.getText()).find((l) => l.start === planned.link.start && l.rawAlt === planned.link.rawAlt);
    const fill = link ? fills.start(planned.document, link, 'queued') : undefined;
    if (fill) entries.push(fill);
  }
  if (entries.length === 0) return;
  const concurrency = workspace.getConfiguration(configSection, entries[0]?.document.uri).get<number>('concurrency', DEFAULT_CONCURRENCY);
  await runAndReport(services, entries, clampConcurrency(concurrency));
}

/** The Explorer's selection (`uri`, `uris[]`), or the one Uri given; nothing from the palette. */
function targetUris(args: readonly unknown[]): Uri[] {
  const many = args[1];
  if (Array.isArray(many) && many.length > 0 && many.every((u) => u instanceof Uri)) return many as Uri[];
  return args[0] instanceof Uri ? [args[0]] : [];
}

/** The document of the one markdown file named (its folder's settings then apply), else undefined. */
async function singleFile(uris: readonly Uri[]): Promise<TextDocument | undefined> {
  if (uris.length !== 1) return undefined;
  const uri = uris[0] as Uri;
  const stat = await workspace.fs.stat(uri);
  return stat.type & 2 /* FileType.Directory */ ? undefined : workspace.openTextDocument(uri);
}

/** The markdown documents named, folders searched (sorted by path, at most MAX_FILL_ALL_FILES files). */
async function markdownDocuments(uris: readonly Uri[]): Promise<TextDocument[]> {
  const files: Uri[] = [];
  for (const uri of uris) {
    const stat = await workspace.fs.stat(uri);
    if (stat.type & 2) {
      const found = await workspace.findFiles(new RelativePattern(uri, MARKDOWN_GLOB), EXCLUDED_GLOB, MAX_FILL_ALL_FILES + 1);
      found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      files.push(...found);
    } else {
      files.push(uri);
    }
  }
  const unique = [...new Map(files.map((uri) => [uri.toString(), uri])).values()].slice(0, MAX_FILL_ALL_FILES);
  const documents: TextDocument[] = [];
  for (const uri of unique) {
    const document = await workspace.openTextDocument(uri);
    if (isMarkdownLanguage(document.languageId)) documents.push(document);
  }
  return documents;
}

interface LinkPick {
  label: string;
  description: string;
  picked: boolean;
  planned: PlannedLink<TextDocument>;
}

/** The list to untick from, every link ticked; the title has the count (and says when more were found). */
async function pickLinks(offered: readonly PlannedLink<TextDocument>[], total: number): Promise<PlannedLink<TextDocument>[] | undefined> {
  const items: LinkPick[] = offered.map((planned) => ({
    label: `$(file-media) ${iconLabelText(promptExcerpt(planned.link.prompt, 80))}`,
    description: iconLabelText(`${workspace.asRelativePath(planned.document.uri)}:${planned.line}`),
    picked: true,
    planned,
  }));
  const title =
    total > offered.length && total > MAX_FILL_ALL_LINKS
      ? l10n.t('Generate All Missing Images: {0} of {1} (at most {2} per run)', offered.length, total, MAX_FILL_ALL_LINKS)
      : l10n.t('Generate All Missing Images: {0}', offered.length);
  const picked = await window.showQuickPick(items, {
    canPickMany: true,
    title,
    placeHolder: l10n.t('Untick the images not to generate now, then press Enter'),
    matchOnDescription: true,
  });
  return picked?.map((item) => item.planned);
}

/** Runs `entries`, then says how it went; Retry Failed runs the failed ones again (their fills still track them). */
async function runAndReport(services: Services, entries: AltTextFill[], concurrency: number): Promise<void> {
  const { results, errors, unlinked } = await runBatch(services, entries, concurrency);
  const failed = entries.filter((_, i) => results[i] === 'failed');
  const done = results.filter((r) => r === 'done').length - unlinked;
  const cancelled = results.filter((r) => r === 'cancelled').length;
  for (const [i, fill] of entries.entries()) if (results[i] !== 'failed') fill.dispose();
  // An image whose link was changed or removed meanwhile is saved but not linked (its own warning said so).
  const notLinked = unlinked > 0 ? ` ${l10n.t('{0} saved but not linked: their links had changed.', unlinked)}` : '';

  if (failed.length === 0) {
    if (cancelled > 0) void window.showInformationMessage(l10n.t('Cancelled: {0} of {1} images were generated and linked.', done, entries.length) + notLinked);
    else void window.showInformationMessage(l10n.t('Generated and linked {0} of {1} images.', done, entries.length) + notLinked);
    return;
  }
  const firstError = errors.find((e) => e !== undefined);
  const retry = l10n.t('Retry Failed');
  const showLog = l10n.t('Show Log');
  const reason = firstError === undefined ? '' : describeError(firstError).message;
  const choice = await window.showWarningMessage(
    l10n.t('Generated and linked {0} of {1} images; {2} failed and kept their placeholders. {3}', done, entries.length, failed.length, reason) + notLinked,
    retry,
    showLog,
  );
  if (choice === retry) {
    for (const fill of failed) fill.setState('queued');
    await runAndReport(services, failed, concurrency);
    return;
  }
  for (const fill of failed) fill.dispose();
  if (choice === showLog) services.showLog();
}

type Outcome = 'done' | 'failed' | 'cancelled';

/** One notification for the whole run ("3 of 5 done, 1 failed"), with Cancel; each fill's state follows its item. */
async function runBatch(
  services: Services,
  entries: readonly AltTextFill[],
  concurrency: number,
  outerToken?: CancellationToken,
): Promise<{ results: Outcome[]; errors: unknown[]; unlinked: number; saved: (Placed | undefined)[] }> {
  const states: QueueItemState['kind'][] = entries.map(() => 'queued');
  const errors: unknown[] = entries.map(() => undefined);
  const stopProbe = await startEventLoopProbe(services.log);
  const results = await window.withProgress(
    { location: ProgressLocation.Notification, cancellable: true, title: l10n.t('Generating {0} missing images', entries.length) },
    async (progress, token) => {
      const controller = new AbortController();
      const onCancel = token.onCancellationRequested(() => controller.abort());
      // The agent tool's run is also cancelled from the chat.
      const onOuterCancel = outerToken?.onCancellationRequested(() => controller.abort());
      if (outerToken?.isCancellationRequested) controller.abort();
      const report = batchProgressReporter(progress, states);
      report();
      try {
        return await runQueue(entries, {
          concurrency,
          signal: controller.signal,
          onState: (index, state) => {
            states[index] = state.kind;
            const fill = entries[index] as AltTextFill;
            if (state.kind === 'queued' || state.kind === 'paused') fill.setState('queued');
            else if (state.kind === 'running') fill.setState('generating');
            else if (state.kind === 'failed') fill.setState('failed');
            const settled = state.kind === 'done' || state.kind === 'failed' || state.kind === 'cancelled';
            report(settled);
          },
          run: (fill, index, signal, release) => runOne(services, fill, signal, release).catch((err: unknown) => {
            errors[index] = err;
            services.log.error(`Generate All Missing Images: “${promptExcerpt(fill.link.prompt, 80)}” failed: ${errorLogDetails(err)}`);
            throw err;
          }),
        });
      } finally {
        onCancel.dispose();
        onOuterCancel?.dispose();
      }
    },
  );
  stopProbe();
  const unlinked = results.filter((r) => r.kind === 'done' && !r.value.linked).length;
  return { results: results.map((r) => r.kind), errors, unlinked, saved: results.map((r) => (r.kind === 'done' ? r.value : undefined)) };
}

/** Where one link's image went: saved at `uri`, and whether its own target was filled. */
interface Placed {
  uri: Uri;
  linked: boolean;
}

/**
 * One link: generate with its document's settings (no notification of its own), then fill only its target.
 * `linked` is false when the image was saved but its link had changed meanwhile. `release` frees the queue's slot once
 * the gateway has answered, so the next link's request does not wait for this one's file and link.
 */
async function runOne(services: Services, fill: AltTextFill, signal: AbortSignal, release: () => void): Promise<Placed> {
  const source = new CancellationTokenSource();
  const onAbort = (): void => source.cancel();
  if (signal.aborted) source.cancel();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    const output = await services.pipeline.run(
      {
        prompt: fill.link.prompt,
        document: fill.document,
        progress: 'none',
        onProgress: (event) => {
          if (event.type === 'partialImage') fill.setState('partial');
        },
        onDelivered: release,
      },
      source.token,
    );
    const outcome = await fill.place(output.uri, { saveUnshown: true });
    services.log.info(`#${output.id} ${outcome.kind} link: ${outcome.kind === 'none' ? '(left as it was)' : outcome.text}`);
    return { uri: output.uri, linked: outcome.kind === 'inserted' };
  } finally {
    signal.removeEventListener('abort', onAbort);
    source.dispose();
  }
}

/** The links the agent tool would fill in `document` now: the plan's, less those already being made. */
export function planMissingImages(fills: AltTextFills, document: TextDocument): { planned: PlannedLink<TextDocument>[]; found: number } {
  const plan = planFill([{ document, text: document.getText() }], MAX_FILL_ALL_LINKS);
  return { planned: plan.links.filter((planned) => !fills.isPending(planned.document, planned.link)), found: plan.total };
}

/**
 * Generate All Missing Images for the agent tool: every empty link of `document` (no quick pick: the tool's
 * confirmation listed them), through the same queue, progress notification and fills as the command; no summary
 * notification and no Retry Failed (the tool's answer tells the model, which may call again). A configuration
 * error is thrown before anything starts, like the command.
 */
export async function fillMissingImagesOf(services: Services, fills: AltTextFills, document: TextDocument, token: CancellationToken): Promise<MissingImagesReport> {
  await services.pipeline.checkConfigured({ document });
  const plan = planFill([{ document, text: document.getText() }], MAX_FILL_ALL_LINKS);
  const links: MissingImageResult[] = [];
  const entries: AltTextFill[] = [];
  const entryResult: MissingImageResult[] = [];
  for (const planned of plan.links) {
    const result: MissingImageResult = { prompt: planned.link.prompt, line: planned.line, outcome: 'busy' };
    links.push(result);
    const fill = fills.start(document, planned.link, 'queued');
    if (!fill) continue;
    entries.push(fill);
    entryResult.push(result);
  }
  if (entries.length === 0) return { found: plan.total, links };
  const concurrency = workspace.getConfiguration(configSection, document.uri).get<number>('concurrency', DEFAULT_CONCURRENCY);
  const { results, errors, saved } = await runBatch(services, entries, clampConcurrency(concurrency), token);
  for (const [i, fill] of entries.entries()) {
    const result = entryResult[i] as MissingImageResult;
    const placed = saved[i];
    const outcome = results[i];
    if (outcome === 'done' && placed) {
      result.outcome = placed.linked ? 'linked' : 'unlinked';
      result.uri = placed.uri;
    } else if (outcome === 'failed') {
      result.outcome = 'failed';
      result.error = describeError(errors[i]).message;
    } else {
      result.outcome = 'cancelled';
    }
    fill.dispose();
  }
  return { found: plan.total, links };
}
