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
import type { CurrentView, ExtensionMessage, HistoryItemView, ViewState, WebviewRequest } from '../vscode/features/preview/messages';

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
type PartialView = NonNullable<RunningView['partial']>;
type EntryRequest = Extract<WebviewRequest, { entryId: string }>['type'];

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
  const current = state.current || { kind: 'none' };
  currentRoot.replaceChildren();
  currentRoot.setAttribute('data-kind', current.kind);
  switch (current.kind) {
    case 'running':
      renderRunning(current);
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
      button(label('insert'), 'action-insert', () => entryRequest('insert', id), { disabled: !entry.exists }),
      button(label('regenerate'), 'action-regenerate', () => entryRequest('regenerate', id), { secondary: true }),
      button(label('copyPath'), 'action-copy-path', () => entryRequest('copyPath', id), { secondary: true }),
      button(label('reveal'), 'action-reveal', () => entryRequest('reveal', id), { secondary: true, disabled: !entry.exists }),
      button(label('edit'), 'action-edit', () => entryRequest('edit', id), { secondary: true, disabled: !entry.exists }),
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
      row(label('savedTo'), entry.exists ? entry.path : `${entry.path} (${label('fileDeleted')})`, 'current-path'),
      row(label('fileSize'), entry.bytes, 'current-bytes'),
      row(label('created'), entry.created, 'current-created'),
    ]),
  );
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
        attrs: { 'data-entry-id': item.id, 'data-exists': String(item.exists), tabindex: '0', title: item.path },
      },
      [
        thumb,
        el('div', { className: 'history-text' }, [
          el('p', { className: 'history-prompt', text: item.prompt, testid: 'history-prompt' }),
          el('p', { className: 'history-meta', text: [item.created, item.size, item.model, item.details].filter(Boolean).join(' · '), testid: 'history-meta' }),
          el('div', { className: 'actions small' }, [
            button(label('insert'), 'history-insert', () => entryRequest('insert', item.id), { disabled: !item.exists }),
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
      const current = runningGeneration(message.generationId);
      if (!current) return;
      current.partial = { index: message.index, caption: message.caption, dataUrl: message.dataUrl };
      const frame = currentRoot.querySelector('[data-testid="current-frame"]');
      const caption = currentRoot.querySelector('[data-testid="current-caption"]');
      if (frame instanceof HTMLElement && caption instanceof HTMLElement) showPartial(frame, caption, current.partial);
      break;
    }
    case 'status': {
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
