/**
 * The messages between the preview webview and the extension. The webview is never trusted: what it posts is
 * parsed here into a known shape (anything else is dropped), and the extension then acts only on ids it issued
 * itself (see previewPanel.ts). No `vscode` import, so the parsing is unit-tested directly.
 */

/** What the webview may ask for. */
export type WebviewRequest =
  | { type: 'ready' }
  | { type: 'select'; entryId: string }
  | { type: 'insert'; entryId: string }
  | { type: 'regenerate'; entryId: string }
  | { type: 'copyPath'; entryId: string }
  | { type: 'reveal'; entryId: string }
  | { type: 'edit'; entryId: string }
  | { type: 'remove'; entryId: string }
  /** Use This One: the candidate of a variants run to save into the workspace and link. */
  | { type: 'useVariant'; entryId: string }
  /** Save to Workspace…: a variant kept in the extension's storage, saved into the workspace. */
  | { type: 'saveToWorkspace'; entryId: string }
  | { type: 'cancel'; generationId: number }
  /** One of the fix actions the failed state offers (Set Up Gateway…, Set API Key, Open Settings), by its place. */
  | { type: 'fix'; index: number }
  | { type: 'clearHistory' }
  /**
   * Edit Region…: Next in the mask painter, with the mask as PNG bytes in base64 (painted pixels transparent). Only
   * its shape is checked here; the extension judges the bytes themselves (core/image/paintedMask.ts).
   */
  | { type: 'editRegion'; entryId: string; maskBase64: string };

const entryActions = ['select', 'insert', 'regenerate', 'copyPath', 'reveal', 'edit', 'remove', 'useVariant', 'saveToWorkspace'] as const;
type EntryAction = (typeof entryActions)[number];

/** Base64 of anything under the API's 4 MB mask cap fits in this many characters; longer is refused unread. */
export const maxMaskBase64Length = Math.ceil((4 * 1024 * 1024) / 3) * 4;
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;

/** Entry ids are ours (`newHistoryId`): short, plain characters. */
const entryIdPattern = /^[0-9a-z-]{1,40}$/;

function isEntryAction(type: unknown): type is EntryAction {
  return typeof type === 'string' && (entryActions as readonly string[]).includes(type);
}

/** The request `raw` stands for, or undefined for anything that is not exactly one of the known shapes. */
export function parseWebviewRequest(raw: unknown): WebviewRequest | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const message = raw as Record<string, unknown>;
  const type = message['type'];
  if (type === 'ready' || type === 'clearHistory') return { type };
  if (type === 'cancel') {
    const id = message['generationId'];
    return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? { type, generationId: id } : undefined;
  }
  if (type === 'fix') {
    const index = message['index'];
    return typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 && index < 8 ? { type, index } : undefined;
  }
  if (type === 'editRegion') {
    const entryId = message['entryId'];
    const mask = message['maskBase64'];
    if (typeof entryId !== 'string' || !entryIdPattern.test(entryId)) return undefined;
    if (typeof mask !== 'string' || mask.length === 0 || mask.length > maxMaskBase64Length || mask.length % 4 !== 0 || !base64Pattern.test(mask)) return undefined;
    return { type, entryId, maskBase64: mask };
  }
  if (isEntryAction(type)) {
    const entryId = message['entryId'];
    return typeof entryId === 'string' && entryIdPattern.test(entryId) ? { type, entryId } : undefined;
  }
  return undefined;
}

/** An entry of the history list as the webview shows it (all text already localised and formatted). */
export interface HistoryItemView {
  id: string;
  prompt: string;
  revisedPrompt?: string;
  /** A webview URI of the image; absent when the file no longer exists. */
  src?: string;
  exists: boolean;
  /** Where it was saved, as the user reads it (relative to the workspace folder). */
  path: string;
  /** `1024x1024 · png · gpt-5.4 · quality high`. */
  details: string;
  size: string;
  model: string;
  created: string;
  elapsed: string;
  bytes: string;
  /** `1,601 tokens (input 1,200 · output 80 · image 321)`, when the gateway reported a usage. */
  tokens?: string;
  /** `81% of 5 h left (resets in 4 h 23 min) · …`, when the gateway sent the Codex quota headers. */
  quota?: string;
  /** The file is in the extension's storage, not the workspace (a variant that was not picked). */
  stored: boolean;
}

/** One candidate of a variants run, as its card shows it. */
export interface VariantCardView {
  /** 1-based. */
  index: number;
  state: 'waiting' | 'running' | 'done' | 'failed' | 'cancelled';
  /** The generation while it runs (partial and status messages name it). */
  generationId?: number;
  status: string;
  partial?: { index: number; caption: string; dataUrl: string };
  /** The history entry of the finished candidate (its image and path are in the state's history). */
  entryId?: string;
  /** Why it failed. */
  message?: string;
}

/** What the top of the panel shows. */
export type CurrentView =
  | { kind: 'none' }
  | {
      kind: 'running';
      generationId: number;
      prompt: string;
      status: string;
      partial?: { index: number; caption: string; dataUrl: string };
    }
  | { kind: 'entry'; entryId: string }
  /**
   * The candidates of a variants run side by side. `picking`: the run waits for Use This One (false once one was
   * picked, or when nobody waits any more: then Use This One saves and inserts like Insert).
   */
  | { kind: 'variants'; runId: number; prompt: string; cards: VariantCardView[]; picking: boolean }
  /** `fixes`: the labels of the actions that fix the error (the same as the error notification's buttons). */
  | { kind: 'failed'; prompt: string; message: string; fixes: string[] }
  | { kind: 'cancelled'; prompt: string };

/** Everything the webview shows: each `state` message replaces the last one entirely. */
export interface ViewState {
  labels: Record<string, string>;
  current: CurrentView;
  history: HistoryItemView[];
  /**
   * The latest request of "Show Image History" to scroll to the history: 0 for none, else a number unique across
   * panels and sessions. The webview scrolls when it differs from the one it last acted on (kept in its own state,
   * so a reload does not scroll again). Part of the state rather than a message of its own, so that the request is
   * not lost with a message posted while the webview was still loading.
   */
  focusHistory: number;
}

/**
 * What the extension posts to the webview. `status` and `partial` update a running generation between states and are
 * ignored unless the webview shows that very generation.
 */
export type ExtensionMessage =
  | { type: 'state'; state: ViewState }
  | { type: 'status'; generationId: number; status: string }
  | { type: 'partial'; generationId: number; index: number; caption: string; dataUrl: string };
