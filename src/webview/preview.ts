/**
 * The preview webview of CPA GPT Image. It draws what the extension posts (the whole state, then partial images
 * and status lines as they come) and posts back the user's clicks by entry id. All text goes through textContent
 * and attributes, never innerHTML: prompts are user text. The extension validates every message it receives, and
 * this page draws only messages of the shapes it knows.
 *
 * The message types are the extension's own (src/vscode/features/preview/messages.ts, imported for their types only), so
 * one type check covers both ends of the protocol: what this page posts must be a `WebviewRequest`, and the
 * messages it reads are `ExtensionMessage`s (a new kind of message fails the check here until it is handled).
 * Built by esbuild for the browser into dist/webview/preview.js; type-checked with src/webview/tsconfig.json
 * (the DOM library, no Node types).
 *
 * Delivery: the extension answers each `ready` with the whole state. This page says `ready` as soon as it listens,
 * and says it again, less and less often, until a state has reached it: a message can be lost while the webview is
 * still being set up, and without a state the page would stay blank.
 */
import { MaskPainter } from './maskPainter';
import type { CurrentView, ExtensionMessage, HistoryItemView, VariantCardView, ViewState, WebviewRequest } from '../vscode/features/preview/messages';

/** What this page keeps across reloads (`vscode.getState`/`setState`). */
interface SavedState {
  focusHistory: number;
}

/** The part of VS Code's webview API this page uses. */
interface VsCodeApi {
  postMessage(message: WebviewRequest): void;
  getState(): unknown;
  setState(state: SavedState): void;
}

/** Provided by VS Code in webviews; callable once. */
declare function acquireVsCodeApi(): VsCodeApi;

type RunningView = Extract<CurrentView, { kind: 'running' }>;
type VariantsView = Extract<CurrentView, { kind: 'variants' }>;
type PartialView = NonNullable<RunningView['partial']>;
type EntryRequest = Exclude<Extract<WebviewRequest, { entryId: string }>['type'], 'editRegion'>;

const vscode = acquireVsCodeApi();

let state: ViewState = { labels: {}, current: { kind: 'none' }, history: [], focusHistory: 0 };

const currentRoot = document.getElementById('current') as HTMLElement;
const historyRoot = document.getElementById('history') as HTMLElement;

function label(key: string): string {
  return state.labels[key] || key;
}

interface ElementOptions {
  className?: string;
  testid?: string;
  text?: string;
  attrs?: Record<string, string>;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, options: ElementOptions = {}, children: (Node | undefined)[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.testid) node.setAttribute('data-testid', options.testid);
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, value);
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

function button(text: string, testid: string, onClick: () => void, options: { disabled?: boolean; secondary?: boolean; title?: string } = {}): HTMLButtonElement {
  const node = el('button', { testid, text, className: options.secondary ? 'secondary' : '' });
  node.type = 'button';
  if (options.title) node.title = options.title;
  if (options.disabled) node.disabled = true;
  node.addEventListener('click', (event) => {
    event.stopPropagation();
    if (!node.disabled) onClick();
  });
  return node;
}

function entryRequest(type: EntryRequest, entryId: string): void {
  vscode.postMessage({ type, entryId });
}

/** One metadata row. */
function row(name: string, value: string | undefined, testid: string): HTMLElement | undefined {
  if (value === undefined || value === '') return undefined;
  return el('div', { className: 'row' }, [el('dt', { text: name }), el('dd', { text: value, testid })]);
}

function renderCurrent(): void {
  // The painter keeps its canvas (and the strokes on it) while states come and go; it closes itself.
  if (painter) return;
  const current = state.current || { kind: 'none' };
  currentRoot.replaceChildren();
  currentRoot.setAttribute('data-kind', current.kind);
  switch (current.kind) {
    case 'running':
      renderRunning(current);
      break;
    case 'variants':
      renderVariants(current);
      break;
    case 'entry': {
      const entry = state.history.find((item) => item.id === current.entryId);
      if (entry) renderEntry(entry);
      else renderEmpty();
      break;
    }
    case 'failed':
      currentRoot.append(
        el('h2', { text: label('failed'), testid: 'current-state' }),
        el('p', { className: 'prompt', text: current.prompt, testid: 'current-prompt' }),
        el('p', { className: 'error', text: current.message, testid: 'current-error' }),
        // The actions that fix it (Set Up Gateway…, Set API Key, Open Settings), as the error notification offers.
        el(
          'div',
          { className: 'actions', testid: 'current-fixes' },
          current.fixes.map((text, index) => button(text, 'current-fix', () => vscode.postMessage({ type: 'fix', index }), { secondary: index > 0 })),
        ),
      );
      break;
    case 'cancelled':
      currentRoot.append(
        el('h2', { text: label('cancelled'), testid: 'current-state' }),
        el('p', { className: 'prompt', text: current.prompt, testid: 'current-prompt' }),
      );
      break;
    default:
      renderEmpty();
  }
}

function renderEmpty(): void {
  currentRoot.append(el('p', { className: 'empty', text: label('empty'), testid: 'current-empty' }));
}

function renderRunning(current: RunningView): void {
  const frame = el('div', { className: 'frame', testid: 'current-frame' });
  const caption = el('p', { className: 'caption', testid: 'current-caption' });
  if (current.partial) {
    showPartial(frame, caption, current.partial);
  } else {
    frame.append(el('div', { className: 'placeholder', text: label('waiting'), testid: 'current-waiting' }));
    caption.textContent = '';
  }
  currentRoot.append(
    el('h2', { text: label('generating'), testid: 'current-state' }),
    el('p', { className: 'prompt', text: current.prompt, testid: 'current-prompt' }),
    el('p', { className: 'status', text: current.status, testid: 'current-status' }),
    frame,
    caption,
    el('div', { className: 'actions' }, [
      button(label('cancel'), 'action-cancel', () => vscode.postMessage({ type: 'cancel', generationId: current.generationId }), {
        secondary: true,
      }),
    ]),
  );
}

/** The candidates of a variants run side by side, each with its own image, status and Use This One. */
function renderVariants(current: VariantsView): void {
  const running = current.cards.filter((card) => card.generationId !== undefined && (card.state === 'running' || card.state === 'waiting'));
  const grid = el(
    'div',
    { className: 'variants', testid: 'variants', attrs: { 'data-count': String(current.cards.length), 'data-picking': String(current.picking) } },
    current.cards.map((card) => variantCard(card, current.picking)),
  );
  currentRoot.append(
    el('h2', { text: `${label('variants')} (${current.cards.length})`, testid: 'current-state' }),
    el('p', { className: 'prompt', text: current.prompt, testid: 'current-prompt' }),
    grid,
  );
  const first = running[0]?.generationId;
  if (first !== undefined) {
    // Any of the run's generations: the extension cancels them all.
    currentRoot.append(el('div', { className: 'actions' }, [button(label('cancel'), 'action-cancel', () => vscode.postMessage({ type: 'cancel', generationId: first }), { secondary: true })]));
  }
}

function variantCard(card: VariantCardView, picking: boolean): HTMLElement {
  const entry = card.entryId === undefined ? undefined : state.history.find((item) => item.id === card.entryId);
  const frame = el('div', { className: 'frame', testid: 'variant-frame' });
  if (card.state === 'done' && entry && entry.exists && entry.src) {
    frame.append(el('img', { className: 'image final', testid: 'variant-image', attrs: { src: entry.src, alt: entry.prompt, 'data-kind': 'final', 'data-entry-id': entry.id } }));
  } else if (card.partial) {
    frame.append(
      el('img', {
        className: 'image partial',
        testid: 'variant-image',
        attrs: { src: card.partial.dataUrl, alt: card.partial.caption, 'data-kind': 'partial', 'data-index': String(card.partial.index) },
      }),
    );
  } else {
    const text =
      card.state === 'failed' ? label('failed') : card.state === 'cancelled' ? label('cancelled') : card.state === 'done' ? label('fileDeleted') : label('waiting');
    frame.append(el('div', { className: 'placeholder', text, testid: 'variant-waiting' }));
  }
  const entryId = entry?.id;
  return el(
    'div',
    { className: `variant ${card.state}`, testid: 'variant-card', attrs: { 'data-variant': String(card.index), 'data-state': card.state, ...(entryId ? { 'data-entry-id': entryId } : {}) } },
    [
      el('p', { className: 'variant-title', text: label('variant').replace('{0}', String(card.index)) }),
      frame,
      el('p', { className: 'status', text: card.state === 'failed' ? '' : card.status, testid: 'variant-status' }),
      card.state === 'failed' && card.message ? el('p', { className: 'error', text: card.message, testid: 'variant-error' }) : undefined,
      entryId
        ? el('div', { className: 'actions small' }, [
            button(label('useVariant'), 'variant-use', () => entryRequest('useVariant', entryId), { disabled: !entry?.exists || (!picking && !entry.stored) }),
          ])
        : undefined,
    ],
  );
}

function showPartial(frame: HTMLElement, caption: HTMLElement, partial: PartialView): void {
  const image = el('img', {
    className: 'image partial',
    testid: 'current-image',
    attrs: { src: partial.dataUrl, alt: partial.caption, 'data-kind': 'partial', 'data-index': String(partial.index) },
  });
  frame.replaceChildren(image);
  caption.textContent = partial.caption;
}

function renderEntry(entry: HistoryItemView): void {
  const frame = el('div', { className: 'frame', testid: 'current-frame' });
  if (entry.exists && entry.src) {
    frame.append(
      el('img', {
        className: 'image final',
        testid: 'current-image',
        attrs: { src: entry.src, alt: entry.prompt, 'data-kind': 'final', 'data-entry-id': entry.id },
      }),
    );
  } else {
    frame.append(el('div', { className: 'placeholder deleted', text: label('fileDeletedLong'), testid: 'current-deleted' }));
  }
  const id = entry.id;
  currentRoot.append(
    frame,
    el('p', { className: 'caption', text: entry.exists ? label('finalImage') : label('fileDeleted'), testid: 'current-caption' }),
    el('div', { className: 'actions' }, [
      entry.stored ? button(label('saveToWorkspace'), 'action-save-to-workspace', () => entryRequest('saveToWorkspace', id), { disabled: !entry.exists }) : undefined,
      button(label('insert'), 'action-insert', () => entryRequest('insert', id), { disabled: !entry.exists, secondary: entry.stored }),
      button(label('regenerate'), 'action-regenerate', () => entryRequest('regenerate', id), { secondary: true }),
      button(label('copyPath'), 'action-copy-path', () => entryRequest('copyPath', id), { secondary: true }),
      button(label('reveal'), 'action-reveal', () => entryRequest('reveal', id), { secondary: true, disabled: !entry.exists }),
      button(label('edit'), 'action-edit', () => entryRequest('edit', id), { secondary: true, disabled: !entry.exists }),
      button(label('editRegion'), 'action-edit-region', () => openPainter(entry), { secondary: true, disabled: !entry.exists || !entry.src }),
    ]),
    el('dl', { className: 'meta', testid: 'current-meta', attrs: { 'data-entry-id': id } }, [
      row(label('prompt'), entry.prompt, 'current-prompt'),
      row(label('revisedPrompt'), entry.revisedPrompt, 'current-revised-prompt'),
      row(label('size'), entry.size, 'current-size'),
      row(label('model'), entry.model, 'current-model'),
      row(label('details'), entry.details, 'current-details'),
      row(label('timeTaken'), entry.elapsed, 'current-time'),
      row(label('tokens'), entry.tokens, 'current-tokens'),
      row(label('quotaLeft'), entry.quota, 'current-quota'),
      row(label('savedTo'), entry.stored ? label('notInWorkspaceLong') : entry.exists ? entry.path : `${entry.path} (${label('fileDeleted')})`, 'current-path'),
      row(label('fileSize'), entry.bytes, 'current-bytes'),
      row(label('created'), entry.created, 'current-created'),
    ]),
  );
}

/** The Edit Region… painter while it is open (it replaces the top of the panel). */
let painter: MaskPainter | undefined;

function openPainter(entry: HistoryItemView): void {
  if (!entry.src) return;
  const entryId = entry.id;
  const close = () => {
    painter = undefined;
    renderCurrent();
  };
  painter = new MaskPainter({
    src: entry.src,
    alt: entry.prompt,
    labels: {
      title: label('maskTitle'),
      hint: label('maskHint'),
      brush: label('maskBrush'),
      eraser: label('maskEraser'),
      size: label('maskSize'),
      undo: label('maskUndo'),
      clear: label('maskClear'),
      cancel: label('cancel'),
      next: label('maskNext'),
      paintFirst: label('maskPaintFirst'),
    },
    onNext: (maskBase64) => {
      vscode.postMessage({ type: 'editRegion', entryId, maskBase64 });
      close();
    },
    onClose: close,
  });
  currentRoot.replaceChildren(painter.root);
  currentRoot.setAttribute('data-kind', 'painter');
}

function renderHistory(): void {
  const items = state.history;
  const header = el('div', { className: 'history-header' }, [
    el('h2', { text: `${label('history')} (${items.length})`, testid: 'history-title' }),
    items.length > 0
      ? button(label('clearHistory'), 'action-clear-history', () => vscode.postMessage({ type: 'clearHistory' }), { secondary: true })
      : undefined,
  ]);
  const selectedId = state.current && state.current.kind === 'entry' ? state.current.entryId : undefined;
  const list = el('ul', { className: 'history-list', testid: 'history-list' });
  for (const item of items) {
    const thumb =
      item.exists && item.src
        ? el('img', { className: 'thumb', attrs: { src: item.src, alt: '', loading: 'lazy' }, testid: 'history-thumb' })
        : el('div', { className: 'thumb deleted', text: label('fileDeleted'), testid: 'history-deleted' });
    const li = el(
      'li',
      {
        className: `history-item${item.id === selectedId ? ' selected' : ''}${item.exists ? '' : ' missing'}`,
        testid: 'history-item',
        attrs: { 'data-entry-id': item.id, 'data-exists': String(item.exists), 'data-stored': String(item.stored), tabindex: '0', title: item.path },
      },
      [
        thumb,
        el('div', { className: 'history-text' }, [
          el('p', { className: 'history-prompt', text: item.prompt, testid: 'history-prompt' }),
          el('p', {
            className: 'history-meta',
            text: [item.stored ? label('notInWorkspace') : '', item.created, item.size, item.model, item.details].filter(Boolean).join(' · '),
            testid: 'history-meta',
          }),
          el('div', { className: 'actions small' }, [
            item.stored
              ? button(label('saveToWorkspace'), 'history-save-to-workspace', () => entryRequest('saveToWorkspace', item.id), { disabled: !item.exists })
              : undefined,
            button(label('insert'), 'history-insert', () => entryRequest('insert', item.id), { disabled: !item.exists, secondary: item.stored }),
            button(label('regenerate'), 'history-regenerate', () => entryRequest('regenerate', item.id), { secondary: true }),
            button('×', 'history-remove', () => entryRequest('remove', item.id), { secondary: true, title: label('remove') }),
          ]),
        ]),
      ],
    );
    li.addEventListener('click', () => entryRequest('select', item.id));
    li.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        entryRequest('select', item.id);
      }
    });
    list.append(li);
  }
  historyRoot.replaceChildren(header, items.length > 0 ? list : el('p', { className: 'empty', text: label('emptyHistory'), testid: 'history-empty' }));
}

function render(): void {
  document.body.setAttribute('data-ready', 'true');
  renderCurrent();
  renderHistory();
}

/** The "Show Image History" request this panel last scrolled for; kept across reloads of the page. */
function focusHistoryDone(): number {
  const saved = vscode.getState();
  return isObject(saved) && typeof saved['focusHistory'] === 'number' ? saved['focusHistory'] : 0;
}

/** Scrolls to the history once per request of "Show Image History" (see ViewState.focusHistory). */
function followFocusHistory(): void {
  const request = state.focusHistory;
  if (request === focusHistoryDone()) return;
  vscode.setState({ focusHistory: request });
  if (request !== 0) historyRoot.scrollIntoView({ block: 'start' });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The outline of a state: the extension builds it, so the page checks the shape it relies on, not every field. */
function isViewState(value: unknown): value is ViewState {
  return (
    isObject(value) &&
    isObject(value['labels']) &&
    isObject(value['current']) &&
    typeof value['current']['kind'] === 'string' &&
    Array.isArray(value['history']) &&
    value['history'].every((item: unknown) => isObject(item) && typeof item['id'] === 'string') &&
    typeof value['focusHistory'] === 'number'
  );
}

/** The message `raw` stands for, or undefined for anything that is not one of the shapes this page draws. */
function readExtensionMessage(raw: unknown): ExtensionMessage | undefined {
  if (!isObject(raw)) return undefined;
  switch (raw['type']) {
    case 'state':
      return isViewState(raw['state']) ? { type: 'state', state: raw['state'] } : undefined;
    case 'partial': {
      const { generationId, index, caption, dataUrl } = raw;
      if (typeof generationId !== 'number' || typeof index !== 'number' || typeof caption !== 'string') return undefined;
      // Only an image carried in the message itself, never a URL to fetch.
      if (typeof dataUrl !== 'string' || !/^data:image\/(png|jpeg|webp);base64,/.test(dataUrl)) return undefined;
      return { type: 'partial', generationId, index, caption, dataUrl };
    }
    case 'status': {
      const { generationId, status } = raw;
      return typeof generationId === 'number' && typeof status === 'string' ? { type: 'status', generationId, status } : undefined;
    }
    default:
      return undefined;
  }
}

/** The running generation the page shows, when `generationId` is that one. */
function runningGeneration(generationId: number): RunningView | undefined {
  const current = state.current;
  return current && current.kind === 'running' && current.generationId === generationId ? current : undefined;
}

/** The card of a variants run on show that `generationId` is still filling. */
function variantCardOf(generationId: number): VariantCardView | undefined {
  const current = state.current;
  if (!current || current.kind !== 'variants') return undefined;
  return current.cards.find((card) => card.generationId === generationId && (card.state === 'running' || card.state === 'waiting'));
}

let hasState = false;
let readyTimer: ReturnType<typeof setTimeout> | undefined;

/** Says `ready` now, then again after `delayMs` (doubling up to 5 s, for about two minutes) until a state comes. */
function sayReady(delayMs: number, attemptsLeft: number): void {
  vscode.postMessage({ type: 'ready' });
  if (attemptsLeft <= 0) return;
  readyTimer = setTimeout(() => {
    if (!hasState) sayReady(Math.min(delayMs * 2, 5000), attemptsLeft - 1);
  }, delayMs);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = readExtensionMessage(event.data);
  if (message === undefined) return;
  switch (message.type) {
    case 'state': {
      hasState = true;
      if (readyTimer !== undefined) clearTimeout(readyTimer);
      state = message.state;
      render();
      followFocusHistory();
      break;
    }
    case 'partial': {
      const card = variantCardOf(message.generationId);
      if (card) {
        card.partial = { index: message.index, caption: message.caption, dataUrl: message.dataUrl };
        renderCurrent();
        return;
      }
      const current = runningGeneration(message.generationId);
      if (!current) return;
      current.partial = { index: message.index, caption: message.caption, dataUrl: message.dataUrl };
      const frame = currentRoot.querySelector('[data-testid="current-frame"]');
      const caption = currentRoot.querySelector('[data-testid="current-caption"]');
      if (frame instanceof HTMLElement && caption instanceof HTMLElement) showPartial(frame, caption, current.partial);
      break;
    }
    case 'status': {
      const card = variantCardOf(message.generationId);
      if (card) {
        card.status = message.status;
        const node = currentRoot.querySelector(`[data-testid="variant-card"][data-variant="${card.index}"] [data-testid="variant-status"]`);
        if (node) node.textContent = message.status;
        return;
      }
      const current = runningGeneration(message.generationId);
      if (!current) return;
      current.status = message.status;
      const status = currentRoot.querySelector('[data-testid="current-status"]');
      if (status) status.textContent = message.status;
      break;
    }
    default: {
      // Every kind of message the extension can post is handled above.
      const unhandled: never = message;
      return unhandled;
    }
  }
});

// Listening from here on: ask for the state.
sayReady(250, 27);
