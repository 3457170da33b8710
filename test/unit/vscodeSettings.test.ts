import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  keyRoutingSettings,
  readCopyFilesDestination,
  readExtensionSettings,
  readProxySettings,
} from '../../src/vscode/settings';
import type { ConfigurationReader } from '../../src/vscode/settings';

type Values = Record<string, unknown>;

/**
 * Behaves like `vscode.WorkspaceConfiguration` for one section: `get` merges folder → workspace → user →
 * default, `inspect` reports each layer. Defaults come from package.json, so the manifest is exercised too.
 */
class FakeConfiguration implements ConfigurationReader {
  constructor(
    private readonly layers: { defaults?: Values; user?: Values; workspace?: Values; folder?: Values },
  ) {}
  get<T>(key: string): T | undefined {
    for (const layer of [this.layers.folder, this.layers.workspace, this.layers.user, this.layers.defaults]) {
      if (layer && key in layer) return layer[key] as T;
    }
    return undefined;
  }
  inspect<T>(key: string) {
    const pick = (layer: Values | undefined) => (layer && key in layer ? (layer[key] as T) : undefined);
    return {
      defaultValue: pick(this.layers.defaults),
      globalValue: pick(this.layers.user),
      workspaceValue: pick(this.layers.workspace),
      workspaceFolderValue: pick(this.layers.folder),
    };
  }
}

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown; scope?: string }> }[] };
};
// The settings come in titled sections (Gateway, Image, …): one table of every setting.
const properties = Object.assign({}, ...manifest.contributes.configuration.map((section) => section.properties)) as Record<
  string,
  { default?: unknown; scope?: string }
>;
const manifestDefaults: Values = Object.fromEntries(
  Object.entries(properties).map(([key, p]) => [key.replace(/^cpaImage\./, ''), p.default]),
);

const noHttp = new FakeConfiguration({ defaults: { proxy: '', noProxy: [], proxyStrictSSL: true } });

describe('readExtensionSettings', () => {
  it('maps the manifest defaults to settings that leave the resolution chain free (no base URL, no model)', () => {
    const settings = readExtensionSettings(new FakeConfiguration({ defaults: manifestDefaults }), noHttp);
    assert.deepEqual(settings, {
      user: {
        stream: true,
        partialImages: 2,
        instructions: 'you are a helpful assistant',
        timeoutSeconds: 600,
        maxRateLimitWaitSeconds: 30,
        textFallbackRetries: 2,
        transientRetries: 3,
        maxAttempts: 5,
        totalTimeoutSeconds: 900,
        maxResponseMiB: 64,
        fit: 'crop',
        saveFormat: 'original',
        saveQuality: 80,
        saveMetadata: true,
        sizePhrase: true,
        styles: {},
        proxy: { strictSsl: true },
      },
      insertFormat: 'auto',
      insertPosition: 'afterSelection',
    });
  });

  it('reads user values of every setting', () => {
    const user: Values = {
      baseUrl: 'http://gw:8317/v1',
      model: 'gpt-5.4-mini',
      outputFormat: 'webp',
      stream: true,
      partialImages: 3,
      size: '1024x1536',
      quality: 'high',
      background: 'transparent',
      outputCompression: 80,
      moderation: 'low',
      instructions: 'draw well',
      userAgent: 'ua/1',
      version: '9.9.9',
      originator: 'me',
      sessionId: 's-1',
      timeoutSeconds: 120,
      maxRateLimitWaitSeconds: 5,
      textFallbackRetries: 0,
      transientRetries: 1,
      maxAttempts: 7,
      totalTimeoutSeconds: 120,
      destination: 'assets/${slug}.${ext}',
      insertFormat: 'html',
      insertPosition: 'replaceSelection',
    };
    // The image settings of issue 12 have dotted or other names in the manifest than in UserSettings.
    const imageSettings: Values = { maxResponseSize: 16, style: 'watercolor', styles: { blueprint: 'Style: a blueprint.' }, fit: 'contain', 'save.format': 'webp', 'save.quality': 60, 'save.maxWidth': 800, 'save.maxHeight': 600, 'save.metadata': false, sizeInPrompt: false };
    const settings = readExtensionSettings(new FakeConfiguration({ defaults: manifestDefaults, user: { ...user, ...imageSettings } }), noHttp);
    const { destination, insertFormat, insertPosition, ...userSettings } = user;
    assert.deepEqual(settings, {
      user: {
        ...userSettings,
        maxResponseMiB: 16,
        style: 'watercolor',
        styles: { blueprint: 'Style: a blueprint.' },
        fit: 'contain',
        saveFormat: 'webp',
        saveQuality: 60,
        saveMaxWidth: 800,
        saveMaxHeight: 600,
        saveMetadata: false,
        sizePhrase: false,
        proxy: { strictSsl: true },
      },
      destination,
      insertFormat,
      insertPosition,
    });
  });

  describe('the response size limit, renamed from maxResponseMiB to maxResponseSize', () => {
    const cap = (layers: { user?: Values; workspace?: Values }) =>
      readExtensionSettings(new FakeConfiguration({ defaults: manifestDefaults, ...layers }), noHttp).user.maxResponseMiB;
    it('is the new setting, or its default of 64', () => {
      assert.equal(cap({}), 64);
      assert.equal(cap({ user: { maxResponseSize: 8 } }), 8);
    });
    it('honours the old name where only it is set, in any scope, so nobody\'s limit changes', () => {
      assert.equal(cap({ user: { maxResponseMiB: 12 } }), 12);
      assert.equal(cap({ workspace: { maxResponseMiB: 3 } }), 3);
    });
    it('prefers the new name where both are set', () => {
      assert.equal(cap({ user: { maxResponseMiB: 12, maxResponseSize: 20 } }), 20);
      assert.equal(cap({ user: { maxResponseMiB: 12 }, workspace: { maxResponseSize: 5 } }), 5);
    });
  });

  for (const key of keyRoutingSettings) {
    it(`ignores a workspace or folder value of ${key} (it decides where the key goes)`, () => {
      const attacker = { [key]: 'http://evil.example/v1' };
      const onlyWorkspace = readExtensionSettings(
        new FakeConfiguration({ defaults: manifestDefaults, workspace: attacker, folder: attacker }),
        noHttp,
      );
      assert.equal(onlyWorkspace.user[key], undefined);

      const withUser = readExtensionSettings(
        new FakeConfiguration({ defaults: manifestDefaults, user: { [key]: 'from-user' }, workspace: attacker, folder: attacker }),
        noHttp,
      );
      assert.equal(withUser.user[key], 'from-user');
    });

    it(`declares ${key} with application scope in the manifest (user settings only, in every window)`, () => {
      assert.equal(properties[`cpaImage.${key}`]?.scope, 'application');
    });
  }

  it('lets a workspace choose the model and the destination (they are not key-routing settings)', () => {
    const settings = readExtensionSettings(
      new FakeConfiguration({ defaults: manifestDefaults, workspace: { model: 'gpt-5.4-mini' }, folder: { destination: 'docs/img/' } }),
      noHttp,
    );
    assert.equal(settings.user.model, 'gpt-5.4-mini');
    assert.equal(settings.destination, 'docs/img/');
  });

  it('reads the overall retry budget (maxAttempts, totalTimeoutSeconds) like the retry counts: window scope, a workspace may set it', () => {
    // They cost time and quota but never decide where the key goes, so they are not key-routing settings.
    for (const key of ['maxAttempts', 'totalTimeoutSeconds'] as const) {
      assert.ok(!(keyRoutingSettings as readonly string[]).includes(key));
      assert.equal(properties[`cpaImage.${key}`]?.scope, properties['cpaImage.transientRetries']?.scope);
    }
    const settings = readExtensionSettings(
      new FakeConfiguration({ defaults: manifestDefaults, user: { maxAttempts: 9 }, workspace: { maxAttempts: 2, totalTimeoutSeconds: 60 } }),
      noHttp,
    );
    assert.equal(settings.user.maxAttempts, 2);
    assert.equal(settings.user.totalTimeoutSeconds, 60);
  });

  it('sends no partial images when streaming is off', () => {
    const settings = readExtensionSettings(
      new FakeConfiguration({ defaults: manifestDefaults, user: { stream: false, partialImages: 3 } }),
      noHttp,
    );
    assert.equal(settings.user.stream, false);
    assert.equal(settings.user.partialImages, undefined);
  });

  it('treats empty strings, whitespace and null numbers as unset', () => {
    const settings = readExtensionSettings(
      new FakeConfiguration({ defaults: manifestDefaults, user: { model: '   ', size: '', outputCompression: null, baseUrl: ' ' } }),
      noHttp,
    );
    assert.equal('model' in settings.user, false);
    assert.equal('size' in settings.user, false);
    assert.equal('outputCompression' in settings.user, false);
    assert.equal('baseUrl' in settings.user, false);
  });

  it('trims values and drops values of the wrong type', () => {
    const settings = readExtensionSettings(
      new FakeConfiguration({
        defaults: manifestDefaults,
        user: { baseUrl: '  http://gw/v1  ', timeoutSeconds: 'soon', stream: 'yes', insertFormat: 'gif', insertPosition: 3 },
      }),
      noHttp,
    );
    assert.equal(settings.user.baseUrl, 'http://gw/v1');
    assert.equal(settings.user.timeoutSeconds, undefined);
    assert.equal(settings.user.stream, undefined);
    assert.equal(settings.insertFormat, 'auto');
    assert.equal(settings.insertPosition, 'afterSelection');
  });
});

describe('readProxySettings', () => {
  const table: { name: string; http: Values; expected: object }[] = [
    { name: 'nothing set', http: {}, expected: { strictSsl: true } },
    {
      name: 'proxy, noProxy as an array, strict SSL off',
      http: { proxy: 'http://proxy:3128', noProxy: ['localhost', ' 10.0.0.0/8 ', ''], proxyStrictSSL: false },
      expected: { proxyUrl: 'http://proxy:3128', noProxy: 'localhost,10.0.0.0/8', strictSsl: false },
    },
    {
      name: 'noProxy as a comma-separated string',
      http: { noProxy: 'localhost, .lan' },
      expected: { noProxy: 'localhost,.lan', strictSsl: true },
    },
    { name: 'an empty proxy string is no proxy', http: { proxy: '  ' }, expected: { strictSsl: true } },
  ];
  for (const c of table) {
    it(c.name, () => assert.deepEqual(readProxySettings(new FakeConfiguration({ user: c.http })), c.expected));
  }

  it('is part of the user settings', () => {
    const settings = readExtensionSettings(
      new FakeConfiguration({ defaults: manifestDefaults }),
      new FakeConfiguration({ user: { proxy: 'http://p:1' } }),
    );
    assert.deepEqual(settings.user.proxy, { proxyUrl: 'http://p:1', strictSsl: true });
  });
});

describe('readCopyFilesDestination', () => {
  it('keeps string destinations of the map', () => {
    const markdown = new FakeConfiguration({ user: { 'copyFiles.destination': { '**/*.md': 'media/${fileName}', bad: 3, empty: '' } } });
    assert.deepEqual(readCopyFilesDestination(markdown, true), { map: { '**/*.md': 'media/${fileName}' }, ignoredWorkspaceValue: false });
  });
  it('is undefined when unset or not a map', () => {
    assert.deepEqual(readCopyFilesDestination(new FakeConfiguration({}), true), { ignoredWorkspaceValue: false });
    assert.deepEqual(readCopyFilesDestination(new FakeConfiguration({ user: { 'copyFiles.destination': ['x'] } }), true), { ignoredWorkspaceValue: false });
  });

  const layers = {
    defaults: { 'copyFiles.destination': {} },
    user: { 'copyFiles.destination': { '**/*.md': 'user-images/' } },
    workspace: { 'copyFiles.destination': { '**/*.md': '${documentBaseName/^(a+)+$/x/}/' } },
    folder: { 'copyFiles.destination': { 'docs/*.md': 'folder-images/' } },
  };
  it('a trusted workspace: the workspace and folder values count, as VS Code merges them', () => {
    // The fake's get() takes the top layer whole; VS Code would merge the maps, which the extension leaves to it.
    assert.deepEqual(readCopyFilesDestination(new FakeConfiguration(layers), true), { map: { 'docs/*.md': 'folder-images/' }, ignoredWorkspaceValue: false });
  });
  it('an untrusted workspace (Restricted Mode): workspace and folder values are ignored, the user value counts, and the caller learns it', () => {
    assert.deepEqual(readCopyFilesDestination(new FakeConfiguration(layers), false), { map: { '**/*.md': 'user-images/' }, ignoredWorkspaceValue: true });
  });
  it('an untrusted workspace that sets nothing: nothing is reported as ignored', () => {
    const { workspace: _w, folder: _f, ...userOnly } = layers;
    assert.deepEqual(readCopyFilesDestination(new FakeConfiguration(userOnly), false), { map: { '**/*.md': 'user-images/' }, ignoredWorkspaceValue: false });
  });
  it('an untrusted workspace and no user value: unset, even though the workspace set one', () => {
    const { user: _u, ...noUser } = layers;
    assert.deepEqual(readCopyFilesDestination(new FakeConfiguration(noUser), false), { ignoredWorkspaceValue: true });
  });
});
