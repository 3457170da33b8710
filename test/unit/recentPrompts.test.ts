import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RecentPrompts, maxRecentPrompts } from '../../src/vscode/ui/recentPrompts';
import type { PromptMemento } from '../../src/vscode/ui/recentPrompts';
import { recentPromptsKey } from '../../src/vscode/constants';

/** An in-memory Memento that, like VS Code's, stores JSON copies. */
class MemoryMemento implements PromptMemento {
  readonly values = new Map<string, string>();
  get<T>(key: string): T | undefined {
    const raw = this.values.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, JSON.stringify(value));
  }
}

describe('RecentPrompts', () => {
  it('is empty at first', () => assert.deepEqual(new RecentPrompts(new MemoryMemento()).list(), []));

  it('lists the newest first and moves a repeated prompt to the front once', async () => {
    const recent = new RecentPrompts(new MemoryMemento());
    await recent.remember('a cat');
    await recent.remember('a dog');
    await recent.remember('  a cat  ');
    assert.deepEqual(recent.list(), ['a cat', 'a dog']);
  });

  it(`keeps at most ${maxRecentPrompts}`, async () => {
    const recent = new RecentPrompts(new MemoryMemento());
    for (let i = 1; i <= maxRecentPrompts + 5; i++) await recent.remember(`prompt ${i}`);
    const list = recent.list();
    assert.equal(list.length, maxRecentPrompts);
    assert.equal(list[0], `prompt ${maxRecentPrompts + 5}`);
    assert.equal(list.at(-1), 'prompt 6');
  });

  it('ignores empty prompts', async () => {
    const memento = new MemoryMemento();
    await new RecentPrompts(memento).remember('   ');
    assert.equal(memento.values.size, 0);
  });

  it('survives a corrupted stored value', async () => {
    const memento = new MemoryMemento();
    await memento.update(recentPromptsKey, ['ok', 42, null, '', 'fine']);
    assert.deepEqual(new RecentPrompts(memento).list(), ['ok', 'fine']);
    await memento.update(recentPromptsKey, 'not a list');
    assert.deepEqual(new RecentPrompts(memento).list(), []);
  });
});
