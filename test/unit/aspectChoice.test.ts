/** The prompt box's aspect choice (src/vscode/ui/aspectChoice.ts): the sizes sent, and the choice remembered. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Memento } from 'vscode';
import { ASPECTS, AspectMemory, sizeOfAspect } from '../../src/vscode/ui/aspectChoice';

function memento(initial: Record<string, unknown> = {}): Memento {
  const values = new Map(Object.entries(initial));
  return {
    keys: () => [...values.keys()],
    get: <T>(key: string, fallback?: T) => (values.has(key) ? (values.get(key) as T) : fallback),
    update: async (key: string, value: unknown) => {
      values.set(key, value);
    },
  } as Memento;
}

describe('aspect choice', () => {
  it('sends the sizes the image models take: the shorter side 1024, multiples of 16; Auto sends none', () => {
    assert.deepEqual(
      Object.fromEntries(ASPECTS.map((a) => [a, sizeOfAspect(a)])),
      { auto: undefined, '1:1': '1024x1024', '3:2': '1536x1024', '2:3': '1024x1536', '16:9': '1824x1024', '9:16': '1024x1824', '4:3': '1360x1024', '3:4': '1024x1360' },
    );
  });

  it('remembers the last choice; starts at Auto; ignores a stored value it does not know', async () => {
    const state = memento();
    const aspects = new AspectMemory(state);
    assert.equal(aspects.current, 'auto');
    assert.equal(aspects.requestSize(), undefined);
    await aspects.choose('2:3');
    assert.equal(new AspectMemory(state).current, '2:3', 'another window reads the same choice');
    assert.equal(aspects.requestSize(), '1024x1536');
    assert.equal(new AspectMemory(memento({ 'cpaImage.aspect': '7:1' })).current, 'auto');
  });
});
