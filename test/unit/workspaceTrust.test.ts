import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { settingValueForTrust, type InspectedSetting } from '../../src/core/config/workspaceTrust';

describe('settingValueForTrust (markdown.copyFiles.destination in Restricted Mode)', () => {
  const hostile = { '**/*.md': '${documentBaseName/^(a+)+$/x/}/' };
  const inspected: InspectedSetting = {
    defaultValue: { 'default/*.md': 'd/' },
    globalValue: { '**/*.md': 'user/' },
    workspaceValue: hostile,
    workspaceFolderValue: { '**/*.md': 'folder/' },
  };
  const merged = { 'default/*.md': 'd/', '**/*.md': 'folder/' };

  it('trusted: the merged value, as VS Code computed it', () => {
    assert.deepEqual(settingValueForTrust(inspected, merged, true), { value: merged, ignoredWorkspaceValue: false });
  });

  it('untrusted: the user value over the default, no workspace or folder value, and it says one was ignored', () => {
    assert.deepEqual(settingValueForTrust(inspected, merged, false), {
      value: { 'default/*.md': 'd/', '**/*.md': 'user/' },
      ignoredWorkspaceValue: true,
    });
  });

  it('untrusted: language-specific workspace values are ignored too; the user language value wins over the user value', () => {
    const layers: InspectedSetting = {
      globalValue: { '*.md': 'user/' },
      globalLanguageValue: { '*.md': 'user-markdown/' },
      workspaceLanguageValue: hostile,
    };
    assert.deepEqual(settingValueForTrust(layers, hostile, false), { value: { '*.md': 'user-markdown/' }, ignoredWorkspaceValue: true });
  });

  it('untrusted, only a workspace value: unset, and ignored', () => {
    assert.deepEqual(settingValueForTrust({ workspaceFolderValue: hostile }, hostile, false), { value: undefined, ignoredWorkspaceValue: true });
  });

  it('untrusted, nothing from the workspace: the user value, nothing ignored', () => {
    assert.deepEqual(settingValueForTrust({ globalValue: { a: 'b/' } }, { a: 'b/' }, false), { value: { a: 'b/' }, ignoredWorkspaceValue: false });
    assert.deepEqual(settingValueForTrust(undefined, undefined, false), { value: undefined, ignoredWorkspaceValue: false });
  });

  it('untrusted, non-object values replace instead of merging', () => {
    assert.deepEqual(settingValueForTrust({ defaultValue: { a: 'b/' }, globalValue: 'text' }, undefined, false).value, 'text');
  });
});
