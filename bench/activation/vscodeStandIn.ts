/**
 * A minimal `vscode` module for timing `activate()` outside VS Code. The names activate() is known to
 * use get real, small implementations (EventEmitter, Disposable, Uri, configuration defaults, l10n.t);
 * everything else is a recording stub that can be called, constructed, subscribed to and disposed, so
 * an activate() that touches more of the API still runs. Every call is counted by its dotted path.
 */
import { join } from 'node:path';

type Listener = (value: unknown) => unknown;

class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  constructor(private readonly onDispose: () => unknown = () => undefined) {}
  dispose(): void {
    this.onDispose();
  }
}

class EventEmitter {
  private listeners = new Set<Listener>();
  readonly event = (listener: Listener): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value: unknown): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

interface UriLike {
  scheme: string;
  authority: string;
  path: string;
  query: string;
  fragment: string;
  fsPath: string;
  with(change: Partial<Pick<UriLike, 'scheme' | 'authority' | 'path' | 'query' | 'fragment'>>): UriLike;
  toString(): string;
  toJSON(): unknown;
}

function makeUri(scheme: string, path: string, authority = '', query = '', fragment = ''): UriLike {
  const uri: UriLike = {
    scheme,
    authority,
    path,
    query,
    fragment,
    fsPath: path,
    with: (c) => makeUri(c.scheme ?? scheme, c.path ?? path, c.authority ?? authority, c.query ?? query, c.fragment ?? fragment),
    toString: () => `${scheme}://${authority}${path}${query ? `?${query}` : ''}${fragment ? `#${fragment}` : ''}`,
    toJSON: () => ({ scheme, authority, path, query, fragment }),
  };
  return uri;
}

const Uri = {
  file: (p: string) => makeUri('file', p),
  parse: (s: string) => {
    const m = /^([\w+.-]+):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(s);
    return m ? makeUri(m[1] ?? 'file', m[3] ?? '/', m[2] ?? '', m[4] ?? '', m[5] ?? '') : makeUri('file', s);
  },
  joinPath: (base: UriLike, ...parts: string[]) => base.with({ path: join(base.path, ...parts) }),
  from: (c: { scheme: string; path?: string; authority?: string; query?: string; fragment?: string }) => makeUri(c.scheme, c.path ?? '/', c.authority, c.query, c.fragment),
};

function format(message: string, args: readonly unknown[]): string {
  return message.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const index = Number(key);
    const value = Number.isInteger(index) ? args[index] : (args[0] as Record<string, unknown> | undefined)?.[key];
    return value === undefined ? whole : String(value);
  });
}

export interface VscodeStandIn {
  vscode: Record<string, unknown>;
  context: Record<string, unknown>;
  /** Dotted API path → number of calls (and `new X` constructions). */
  calls: Map<string, number>;
  /** Command ids registered through commands.registerCommand / registerTextEditorCommand. */
  commands: string[];
}

/** Namespaces, classes and enums (with their values) declared by @types/vscode's index.d.ts. */
export function declarationsOf(typesSource: string | undefined): { namespaces: string[]; classes: string[]; enums: Record<string, Record<string, number | string>> } {
  const namespaces = new Set<string>(['env', 'l10n', 'commands', 'window', 'workspace']);
  const classes = new Set<string>();
  const enums: Record<string, Record<string, number | string>> = {};
  if (!typesSource) return { namespaces: [...namespaces], classes: [...classes], enums };
  for (const m of typesSource.matchAll(/^\s*export namespace (\w+)/gm)) namespaces.add(m[1] as string);
  for (const m of typesSource.matchAll(/^\s*export class (\w+)/gm)) classes.add(m[1] as string);
  for (const m of typesSource.matchAll(/^\s*export enum (\w+) \{([^}]*)\}/gm)) {
    const body = (m[2] as string).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    const members: Record<string, number | string> = {};
    let next = 0;
    for (const part of body.split(',')) {
      const [rawName, rawValue] = part.split('=').map((x) => x.trim());
      if (!rawName) continue;
      let value: number | string = next;
      if (rawValue !== undefined) {
        const quoted = /^['"](.*)['"]$/.exec(rawValue);
        const numeric = Number(rawValue);
        value = quoted ? (quoted[1] as string) : Number.isFinite(numeric) ? numeric : next;
      }
      members[rawName] = value;
      if (typeof value === 'number') members[value] = rawName;
      next = typeof value === 'number' ? value + 1 : next + 1;
    }
    enums[m[1] as string] = members;
  }
  return { namespaces: [...namespaces], classes: [...classes], enums };
}

/** Used when @types/vscode is not at hand. */
const FALLBACK_ENUMS: Record<string, Record<string, number>> = {
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  ExtensionMode: { Production: 1, Development: 2, Test: 3 },
  LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
};

export function createVscodeStandIn(extensionPath: string, typesSource?: string): VscodeStandIn {
  const calls = new Map<string, number>();
  const commands: string[] = [];
  const count = (path: string) => calls.set(path, (calls.get(path) ?? 0) + 1);

  /** A callable, constructible object that remembers what is assigned to it. */
  function stub(path: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const stored = new Map<string, unknown>(Object.entries(overrides));
    // Strict, so the target has no non-configurable `arguments`/`caller` that the Proxy would have to honour.
    const target = function standIn() {
      'use strict';
    } as unknown as Record<string, unknown>;
    return new Proxy(target, {
      get(_t, prop) {
        if (typeof prop === 'symbol' || prop === 'then') return undefined;
        if (stored.has(prop)) return stored.get(prop);
        if (prop === 'dispose') return () => undefined;
        if (prop === 'toString' || prop === 'toJSON') return () => path;
        const child = stub(`${path}.${prop}`);
        stored.set(prop, child);
        return child;
      },
      set(_t, prop, value) {
        if (typeof prop === 'string') stored.set(prop, value);
        return true;
      },
      has(_t, prop) {
        return typeof prop === 'string';
      },
      apply(_t, _this, args: unknown[]) {
        count(path);
        // `onDidX(listener)` and `registerX(...)` both hand back something disposable.
        void args;
        return stub(`${path}()`);
      },
      construct() {
        count(`new ${path}`);
        return stub(`${path}#instance`);
      },
    });
  }

  const recorded =
    <A extends unknown[], R>(path: string, fn: (...args: A) => R) =>
    (...args: A): R => {
      count(path);
      return fn(...args);
    };

  const configuration = (section?: string) =>
    stub(`workspace.getConfiguration(${section ?? ''})`, {
      get: (_key: string, fallback?: unknown) => fallback,
      has: () => false,
      inspect: () => undefined,
      update: async () => undefined,
    });

  const outputChannel = (name: string) =>
    stub(`window.createOutputChannel(${name})`, { name, logLevel: 3, onDidChangeLogLevel: new EventEmitter().event });

  const registerCommand = (path: string) =>
    recorded(path, (id: string) => {
      commands.push(id);
      return new Disposable();
    });

  const namespaces: Record<string, Record<string, unknown>> = {
    env: stub('env', { language: 'en', appName: 'Visual Studio Code', appHost: 'desktop', uriScheme: 'vscode', machineId: 'bench', sessionId: 'bench', remoteName: undefined, uiKind: 1 }),
    l10n: stub('l10n', {
      t: recorded('l10n.t', (message: string | { message: string; args?: unknown[] }, ...args: unknown[]) =>
        typeof message === 'string' ? format(message, args) : format(message.message, message.args ?? []),
      ),
      bundle: undefined,
      uri: undefined,
    }),
    commands: stub('commands', {
      registerCommand: registerCommand('commands.registerCommand'),
      registerTextEditorCommand: registerCommand('commands.registerTextEditorCommand'),
      executeCommand: recorded('commands.executeCommand', async () => undefined),
    }),
    window: stub('window', {
      activeTextEditor: undefined,
      visibleTextEditors: [],
      createOutputChannel: recorded('window.createOutputChannel', outputChannel),
      createStatusBarItem: recorded('window.createStatusBarItem', () => stub('StatusBarItem')),
      // The history view is contributed collapsed (package.json), so it is not visible when a window starts.
      createTreeView: recorded('window.createTreeView', (id: string) =>
        stub(`TreeView(${id})`, { visible: false, onDidChangeVisibility: new EventEmitter().event }),
      ),
    }),
    workspace: stub('workspace', {
      workspaceFolders: undefined,
      textDocuments: [],
      isTrusted: true,
      getConfiguration: recorded('workspace.getConfiguration', configuration),
    }),
  };
  const implemented: Record<string, unknown> = { Disposable, EventEmitter, Uri };
  const declared = declarationsOf(typesSource);
  // `import * as vscode` goes through esbuild's __toESM, which copies own keys: so a plain object, not a Proxy.
  const vscode: Record<string, unknown> = { version: '1.96.0' };
  for (const name of declared.namespaces) vscode[name] = namespaces[name] ?? stub(name);
  for (const name of declared.classes) vscode[name] = implemented[name] ?? stub(name);
  Object.assign(vscode, FALLBACK_ENUMS, declared.enums);

  const memento = (name: string) =>
    stub(name, { get: (_key: string, fallback?: unknown) => fallback, update: async () => undefined, keys: () => [], setKeysForSync: () => undefined });

  const extensionUri = Uri.file(extensionPath);
  const context = stub('context', {
    subscriptions: [],
    extensionPath,
    extensionUri,
    extensionMode: 1,
    globalStorageUri: Uri.joinPath(extensionUri, '.bench-storage/global'),
    storageUri: Uri.joinPath(extensionUri, '.bench-storage/workspace'),
    logUri: Uri.joinPath(extensionUri, '.bench-storage/log'),
    globalState: memento('context.globalState'),
    workspaceState: memento('context.workspaceState'),
    secrets: stub('context.secrets', {
      get: recorded('context.secrets.get', async () => undefined),
      store: async () => undefined,
      delete: async () => undefined,
      onDidChange: new EventEmitter().event,
    }),
    asAbsolutePath: (p: string) => join(extensionPath, p),
    extension: stub('context.extension', { id: 'cpa-image.cpa-gpt-image', extensionPath, extensionUri, packageJSON: { version: '0.1.0' } }),
  });

  return { vscode, context, calls, commands };
}
