/**
 * The generations running right now (several may run at once): their live state, one shared one-second
 * tick for the elapsed time, and the text the status bar and the progress notifications show.
 */
import { EventEmitter, l10n } from 'vscode';
import type { Disposable, Event } from 'vscode';
import type { Phase, ProgressEvent, RetryReason } from '../../core/types';
import { formatElapsed, formatSeconds } from '../ui/format';

type GenerationState =
  | { kind: 'phase'; phase: Phase }
  | { kind: 'partial'; index: number; expected?: number }
  | { kind: 'retry'; until: number; reason: RetryReason };

/** A generation that is one candidate of a variants run (issue 13 item 3): which run, which candidate, of how many. */
export interface VariantSlot {
  runId: number;
  /** 1-based. */
  index: number;
  count: number;
}

export class Generation {
  private state: GenerationState = { kind: 'phase', phase: 'connecting' };
  readonly controller = new AbortController();

  constructor(
    readonly id: number,
    readonly prompt: string,
    readonly startedAt: number,
    private readonly changed: () => void,
    readonly variant?: VariantSlot,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancel(): void {
    this.controller.abort();
  }

  setPhase(phase: Phase): void {
    this.state = { kind: 'phase', phase };
    this.changed();
  }

  /** Follows the client's progress events. */
  update(event: ProgressEvent, now: number): void {
    if (event.type === 'phase') this.state = { kind: 'phase', phase: event.phase };
    else if (event.type === 'partialImage') {
      this.state = { kind: 'partial', index: event.index, ...(event.expected !== undefined ? { expected: event.expected } : {}) };
    } else if (event.type === 'retry') this.state = { kind: 'retry', until: now + event.delayMs, reason: event.reason };
    else return;
    this.changed();
  }

  /** `generating`, `partial image 1/2`, `retrying in 1.2 s (rate limited)`. */
  describe(now: number): string {
    const state = this.state;
    switch (state.kind) {
      case 'phase':
        return phaseLabel(state.phase);
      case 'partial':
        return partialImageCaption(state.index, state.expected);
      case 'retry':
        return l10n.t('retrying in {0} s ({1})', formatSeconds(state.until - now), retryReasonLabel(state.reason));
    }
  }

  elapsed(now: number): string {
    return formatElapsed(now - this.startedAt);
  }
}

function phaseLabel(phase: Phase): string {
  switch (phase) {
    case 'connecting':
      return l10n.t('connecting');
    case 'waiting':
      return l10n.t('waiting for the gateway');
    case 'queued':
      return l10n.t('queued');
    case 'generating':
      return l10n.t('generating');
    case 'receiving':
      return l10n.t('receiving');
    case 'saving':
      return l10n.t('saving');
  }
}

function retryReasonLabel(reason: RetryReason): string {
  switch (reason) {
    case 'rate_limited':
      return l10n.t('rate limited');
    case 'text_fallback':
      return l10n.t('answered with text instead of an image');
    case 'server_error':
      return l10n.t('server error');
    case 'connection':
      return l10n.t('connection lost');
    case 'refused':
      return l10n.t('could not connect');
    case 'timeout':
      return l10n.t('timed out');
    case 'transparent_refused':
      return l10n.t('transparent background refused; asking without it');
  }
}

export class GenerationRegistry implements Disposable {
  private readonly running = new Map<number, Generation>();
  private nextId = 1;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly changeEmitter = new EventEmitter<void>();

  /** Fires when a generation starts, ends or changes state, and once a second while any runs. */
  readonly onDidChange: Event<void> = this.changeEmitter.event;

  constructor(private readonly now: () => number = Date.now) {}

  start(prompt: string, variant?: VariantSlot): Generation {
    const generation = new Generation(this.nextId++, prompt, this.now(), () => this.changeEmitter.fire(), variant);
    this.running.set(generation.id, generation);
    this.timer ??= setInterval(() => this.changeEmitter.fire(), 1000);
    this.changeEmitter.fire();
    return generation;
  }

  finish(generation: Generation): void {
    if (!this.running.delete(generation.id)) return;
    if (this.running.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.changeEmitter.fire();
  }

  list(): Generation[] {
    return [...this.running.values()];
  }

  currentTime(): number {
    return this.now();
  }

  dispose(): void {
    for (const generation of this.running.values()) generation.cancel();
    this.running.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.changeEmitter.dispose();
  }
}

/** `partial image 1/2`, as the status bar and the preview caption say it (the gateway numbers them from 0). */
export function partialImageCaption(index: number, expected: number | undefined): string {
  return expected !== undefined && expected > 0
    ? l10n.t('partial image {0}/{1}', index + 1, expected)
    : l10n.t('partial image {0}', index + 1);
}
