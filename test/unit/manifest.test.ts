import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Commands, generatingContextKey } from '../../src/vscode/constants';

interface Manifest {
  activationEvents: string[];
  extensionKind: string[];
  engines: { vscode: string };
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command: string; when?: string; group?: string }[]>;
    configuration: { properties: Record<string, { scope?: string; default?: unknown; order?: number; markdownDescription?: string; description?: string }> };
  };
  capabilities: { untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations?: string[] } };
}

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as Manifest;
const nls = JSON.parse(readFileSync(new URL('../../package.nls.json', import.meta.url), 'utf8')) as Record<string, string>;
const english = (text: string | undefined) => (text ? (nls[text.replace(/^%|%$/g, '')] ?? text) : undefined);

describe('package.json', () => {
  it('contributes exactly the commands of constants.ts', () => {
    assert.deepEqual(
      manifest.contributes.commands.map((c) => c.command).sort(),
      Object.values(Commands).sort(),
    );
  });

  it('gives the commands the exact English titles the end-to-end tests type, in the "CPA Image" category', () => {
    const titles = Object.fromEntries(manifest.contributes.commands.map((c) => [c.command, english(c.title)]));
    assert.deepEqual(titles, {
      'cpaImage.generate': 'Generate Image',
      'cpaImage.generateFromSelection': 'Generate Image from Selection',
      'cpaImage.setApiKey': 'Set API Key',
      'cpaImage.clearApiKey': 'Clear API Key',
      'cpaImage.showResolvedConfiguration': 'Show Resolved Configuration',
      'cpaImage.checkConnection': 'Check Connection',
      'cpaImage.showLog': 'Show Log',
      'cpaImage.cancelGeneration': 'Cancel Image Generation',
    });
    for (const c of manifest.contributes.commands) assert.equal(english(c.category), 'CPA Image', c.command);
  });

  it('shows "Generate Image from Selection" in the editor context menu and palette only with a selection', () => {
    const context = manifest.contributes.menus['editor/context']?.find((m) => m.command === Commands.generateFromSelection);
    assert.equal(context?.when, 'editorHasSelection');
    const palette = manifest.contributes.menus['commandPalette']?.find((m) => m.command === Commands.generateFromSelection);
    assert.equal(palette?.when, 'editorHasSelection');
  });

  it('shows "Cancel Image Generation" in the palette only while a generation runs', () => {
    const palette = manifest.contributes.menus['commandPalette']?.find((m) => m.command === Commands.cancelGeneration);
    assert.equal(palette?.when, generatingContextKey);
  });

  it('activates on its commands only (activationEvents empty) and prefers the UI side', () => {
    assert.deepEqual(manifest.activationEvents, []);
    assert.deepEqual(manifest.extensionKind, ['ui', 'workspace']);
  });

  it('contributes exactly the settings the extension reads', () => {
    assert.deepEqual(Object.keys(manifest.contributes.configuration.properties).sort(), [
      'cpaImage.background',
      'cpaImage.baseUrl',
      'cpaImage.destination',
      'cpaImage.insertFormat',
      'cpaImage.insertPosition',
      'cpaImage.instructions',
      'cpaImage.maxRateLimitWaitSeconds',
      'cpaImage.maxResponseMiB',
      'cpaImage.model',
      'cpaImage.moderation',
      'cpaImage.originator',
      'cpaImage.outputCompression',
      'cpaImage.outputFormat',
      'cpaImage.partialImages',
      'cpaImage.quality',
      'cpaImage.sessionId',
      'cpaImage.size',
      'cpaImage.stream',
      'cpaImage.textFallbackRetries',
      'cpaImage.timeoutSeconds',
      'cpaImage.transientRetries',
      'cpaImage.userAgent',
      'cpaImage.version',
    ]);
  });

  it('describes and orders every setting', () => {
    const entries = Object.entries(manifest.contributes.configuration.properties);
    for (const [key, p] of entries) {
      assert.ok(english(p.markdownDescription ?? p.description), `${key} has no description`);
      assert.equal(typeof p.order, 'number', `${key} has no order`);
    }
    assert.deepEqual(new Set(entries.map(([, p]) => p.order)).size, entries.length);
  });

  it('restricts only settings that exist, in Restricted Mode', () => {
    const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations ?? [];
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(restricted.includes('cpaImage.destination'));
    for (const key of restricted) assert.ok(key in manifest.contributes.configuration.properties, key);
  });
});
