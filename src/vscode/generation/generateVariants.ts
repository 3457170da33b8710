/**
 * Variants (issue 13 item 3): N candidates of one prompt, each its own request (gateways on the Codex upstream
 * ignore `n`), all at the same time under one cancellable notification. Each is post-processed like any image and
 * kept in the extension's storage (VariantRuns), not the workspace; the preview shows them side by side as they
 * stream. When the user clicks Use This One, that image is saved into the workspace where a single generation's
 * would go and its link placed where the user was (tracked through their edits), then announced as usual. Never
 * picking (the panel closed, a newer run) writes nothing to the workspace; the candidates stay in the history.
 *
 * A failed candidate does not stop the others; when all fail, the first error is thrown to the command's error net
 * (with its fix actions). Cancelling the notification, or any of the run's generations from the status bar, stops
 * every request of the run.
 */
import { CancellationTokenSource, ProgressLocation, commands, l10n, window } from 'vscode';
import { GatewayError, isCancellation } from '../../core/errors';
import { slugFromPrompt } from '../../core/files/destination';
import { notificationText } from '../../core/text/inertText';
import { PreviewCommands } from '../constants';
import type { Services } from '../services';
import { promptExcerpt } from '../ui/format';
import { announceSaved } from './announce';
import type { InsertionOrigin } from './insertion';

export async function generateVariants(
  services: Services,
  prompt: string,
  origin: InsertionOrigin | undefined,
  count: number,
  size?: string,
  style?: string,
): Promise<void> {
  const { pipeline, variants, log } = services;
  const run = variants.startRun();
  const stop = new CancellationTokenSource();
  // Waiting from the start: the user may pick the first candidate that is done while the others still stream.
  const picked = variants.waitForPick(run.id);
  try {
    const slug = slugFromPrompt(prompt);
    log.info(`variants run ${run.id}: ${count} candidates at the same time, stored in ${run.folder.toString(true)}`);
    const settled = await window.withProgress(
      { location: ProgressLocation.Notification, cancellable: true, title: l10n.t('Generating {0} variants of “{1}”', count, notificationText(promptExcerpt(prompt))) },
      (progress, progressToken) => {
        const onCancel = progressToken.onCancellationRequested(() => stop.cancel());
        let finished = 0;
        const report = () => progress.report({ message: l10n.t('{0} of {1} done', finished, count) });
        report();
        const candidates = Array.from({ length: count }, (_, i) =>
          pipeline
            .run(
              {
                prompt,
                ...(origin ? { document: origin.document } : {}),
                ...(size !== undefined ? { size } : {}),
                ...(style !== undefined ? { style } : {}),
                saveTo: { kind: 'stored', folder: run.folder, name: `${slug}-${i + 1}` },
                progress: 'none',
                variant: { runId: run.id, index: i + 1, count },
                // Cancelling one of the run's generations (the status bar's Cancel) stops them all.
                onStart: (generation) => generation.signal.addEventListener('abort', () => stop.cancel(), { once: true }),
              },
              stop.token,
            )
            .finally(() => {
              finished += 1;
              report();
            }),
        );
        return Promise.allSettled(candidates).finally(() => onCancel.dispose());
      },
    );
    const outputs = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const errors = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    for (const [i, outcome] of settled.entries()) {
      if (outcome.status === 'rejected' && !isCancellation(outcome.reason)) log.warn(`variants run ${run.id}: candidate ${i + 1} of ${count} failed`);
    }
    await variants.prune(outputs.map((output) => output.uri));
    if (stop.token.isCancellationRequested) {
      throw new GatewayError('cancelled', 'The image generation was cancelled.');
    }
    if (outputs.length === 0) throw errors.find((err) => !isCancellation(err)) ?? errors[0];
    if (variants.isWaiting(run.id)) {
      void window
        .showInformationMessage(l10n.t('{0} of {1} variants are ready: click Use This One in the Image Preview to save one into the workspace.', outputs.length, count), l10n.t('Show Preview'))
        .then((answer) => (answer === undefined ? undefined : commands.executeCommand(PreviewCommands.showPreview)));
    }
    const pickedUri = await picked;
    const chosen = outputs.find((output) => output.uri.toString() === pickedUri);
    if (!chosen) {
      log.info(`variants run ${run.id}: none was picked; nothing was written to the workspace`);
      return;
    }
    const uri = await variants.saveToWorkspace(chosen.uri, prompt, origin?.document);
    const { insertFormat, insertPosition } = chosen.placement;
    const outcome = origin ? await origin.insert(uri, prompt, insertFormat, insertPosition) : ({ kind: 'none' } as const);
    if (outcome.kind !== 'none') log.info(`variants run ${run.id}: candidate ${chosen.variant?.index ?? '?'} ${outcome.kind} link: ${outcome.text}`);
    announceSaved(uri, outcome, chosen.processing);
  } finally {
    variants.release(run.id);
    variants.endRun(run);
    stop.dispose();
    origin?.dispose();
  }
}
