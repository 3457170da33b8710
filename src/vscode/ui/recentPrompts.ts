/** The last prompts, newest first, kept in `globalState` so every window offers them. */
import { recentPromptsKey } from '../constants';

/** The part of `vscode.Memento` used here. */
export interface PromptMemento {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

export const maxRecentPrompts = 20;
/** A prompt longer than this is still used, but not remembered (globalState is not a document store). */
const maxRememberedLength = 4000;

export class RecentPrompts {
  /**
   * The prompt of the last Generate Image that failed (not cancelled), pre-filled in the next prompt box until a
   * generation succeeds. In memory only: it is this session's unfinished work, not history.
   */
  draft: string | undefined;

  constructor(private readonly memento: PromptMemento) {}

  list(): string[] {
    const stored = this.memento.get<unknown>(recentPromptsKey);
    if (!Array.isArray(stored)) return [];
    return stored.filter((p): p is string => typeof p === 'string' && p.trim() !== '').slice(0, maxRecentPrompts);
  }

  /** Moves `prompt` to the front (once), keeping at most `maxRecentPrompts`. */
  async remember(prompt: string): Promise<void> {
    const trimmed = prompt.trim();
    if (trimmed === '' || trimmed.length > maxRememberedLength) return;
    const next = [trimmed, ...this.list().filter((p) => p !== trimmed)].slice(0, maxRecentPrompts);
    await this.memento.update(recentPromptsKey, next);
  }
}
