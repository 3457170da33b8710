/**
 * The progress line of a batch run (Generate All Missing Images, Write Alt Text for All Images): "3 of 5 done" or
 * "3 of 5 done, 1 failed", counted from the work queue's item states; each item that settles moves the bar by its share.
 */
import { l10n } from 'vscode';
import type { Progress } from 'vscode';
import { tallyStates } from '../../core/batch/fillPlan';
import type { QueueItemState } from '../../core/batch/workQueue';

/** Reports the tally of `states` (read at each call); `settled` adds one item's share to the bar. */
export function batchProgressReporter(
  progress: Progress<{ message?: string; increment?: number }>,
  states: readonly QueueItemState['kind'][],
): (settled?: boolean) => void {
  return (settled = false) => {
    const tally = tallyStates(states);
    const message =
      tally.failed > 0 ? l10n.t('{0} of {1} done, {2} failed', tally.done, tally.total, tally.failed) : l10n.t('{0} of {1} done', tally.done, tally.total);
    progress.report({ message, ...(settled && states.length > 0 ? { increment: 100 / states.length } : {}) });
  };
}
