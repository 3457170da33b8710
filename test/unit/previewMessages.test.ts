import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newHistoryId } from '../../src/vscode/features/history/historyEntries';
import { parseWebviewRequest } from '../../src/vscode/features/preview/messages';

describe('parseWebviewRequest: what the preview webview may ask', () => {
  const accepted: [string, unknown, unknown][] = [
    ['ready', { type: 'ready' }, { type: 'ready' }],
    ['clear history', { type: 'clearHistory' }, { type: 'clearHistory' }],
    ['cancel a run by its number', { type: 'cancel', generationId: 3 }, { type: 'cancel', generationId: 3 }],
    ['insert an entry', { type: 'insert', entryId: 'lz3k9a1c-4f2a9b' }, { type: 'insert', entryId: 'lz3k9a1c-4f2a9b' }],
    ['regenerate', { type: 'regenerate', entryId: 'a-1' }, { type: 'regenerate', entryId: 'a-1' }],
    ['copy the path', { type: 'copyPath', entryId: 'a-1' }, { type: 'copyPath', entryId: 'a-1' }],
    ['reveal', { type: 'reveal', entryId: 'a-1' }, { type: 'reveal', entryId: 'a-1' }],
    ['edit', { type: 'edit', entryId: 'a-1' }, { type: 'edit', entryId: 'a-1' }],
    ['remove', { type: 'remove', entryId: 'a-1' }, { type: 'remove', entryId: 'a-1' }],
    ['select', { type: 'select', entryId: 'a-1' }, { type: 'select', entryId: 'a-1' }],
    ['a fix action of the failed state, by its place', { type: 'fix', index: 1 }, { type: 'fix', index: 1 }],
    ['a fix action with a command named is only its place', { type: 'fix', index: 0, command: 'workbench.action.terminal.new' }, { type: 'fix', index: 0 }],
    ['extra fields are dropped', { type: 'insert', entryId: 'a-1', uri: 'file:///etc/passwd' }, { type: 'insert', entryId: 'a-1' }],
    ['use this variant', { type: 'useVariant', entryId: 'a-1' }, { type: 'useVariant', entryId: 'a-1' }],
    ['save a stored variant to the workspace', { type: 'saveToWorkspace', entryId: 'a-1' }, { type: 'saveToWorkspace', entryId: 'a-1' }],
    ['Edit Region… with its mask', { type: 'editRegion', entryId: 'a-1', maskBase64: 'iVBORw0KGgo=' }, { type: 'editRegion', entryId: 'a-1', maskBase64: 'iVBORw0KGgo=' }],
    ['a variant is picked by its entry, never by a path', { type: 'useVariant', entryId: 'a-1', uri: 'file:///etc/passwd', runId: 2 }, { type: 'useVariant', entryId: 'a-1' }],
  ];
  for (const [name, raw, expected] of accepted) {
    it(`accepts: ${name}`, () => assert.deepEqual(parseWebviewRequest(raw), expected));
  }

  const refused: [string, unknown][] = [
    ['undefined', undefined],
    ['a string', 'insert'],
    ['an array', [{ type: 'ready' }]],
    ['an unknown type', { type: 'runCommand', command: 'workbench.action.terminal.new' }],
    ['a type that is not a string', { type: 1 }],
    ['an entry action without an id', { type: 'insert' }],
    ['an entry id that is a number', { type: 'insert', entryId: 5 }],
    ['an entry id with a path in it', { type: 'insert', entryId: '../../secret' }],
    ['an entry id that is a URI', { type: 'reveal', entryId: 'file:///etc/passwd' }],
    ['an overlong entry id', { type: 'insert', entryId: 'a'.repeat(41) }],
    ['cancel without a number', { type: 'cancel', generationId: '3' }],
    ['cancel of run 0', { type: 'cancel', generationId: 0 }],
    ['cancel of a fraction', { type: 'cancel', generationId: 1.5 }],
    ['a fix without a place', { type: 'fix' }],
    ['a fix at a negative place', { type: 'fix', index: -1 }],
    ['a fix at a place no state offers', { type: 'fix', index: 8 }],
    ['a fix by name', { type: 'fix', index: 'setApiKey' }],
    ['a prototype-named type', { type: 'constructor', entryId: 'a' }],
    ['a variant by a path', { type: 'useVariant', entryId: '../variants/r1/a.png' }],
    ['save to workspace without an entry', { type: 'saveToWorkspace' }],
    ['Edit Region… without a mask', { type: 'editRegion', entryId: 'a-1' }],
    ['Edit Region… with a mask that is not base64', { type: 'editRegion', entryId: 'a-1', maskBase64: 'data:image/png;base64,AAAA' }],
    ['Edit Region… with a mask too long to be under 4 MB', { type: 'editRegion', entryId: 'a-1', maskBase64: 'A'.repeat(5_592_412) }],
    ['Edit Region… with a path for an entry', { type: 'editRegion', entryId: '../a.png', maskBase64: 'AAAA' }],
  ];
  for (const [name, raw] of refused) {
    it(`refuses: ${name}`, () => assert.equal(parseWebviewRequest(raw), undefined));
  }

  it('accepts every id the history issues', () => {
    for (let i = 0; i < 200; i++) {
      const entryId = newHistoryId(Date.now() + i * 1_000_003);
      assert.deepEqual(parseWebviewRequest({ type: 'select', entryId }), { type: 'select', entryId });
    }
  });
});
