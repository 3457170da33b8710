/**
 * The end-to-end harness: our packaged extension (.vsix) installed into a real VS Code (code-server),
 * a temporary workspace, the loopback test gateway, and a browser that drives the workbench.
 *
 * One harness serves a whole test file; `resetWorkspace()` gives each case a fresh document state.
 * The gateway scenario of a case is chosen by pointing the USER setting `cpaImage.baseUrl` at it
 * (`useScenario`): the setting has application scope, so it cannot come from the workspace. The harness hands the
 * settings to a test-only extension that sets them through VS Code's configuration API; a marker in `window.title`
 * then shows in the page title once the new settings apply.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  startTestGateway,
  type RecordedRequest,
  type RequestOutcome,
  type ScenarioName,
  type TestGateway,
} from '../gateway/server';
import {
  installExtension,
  repoRoot,
  resultsDir,
  startCodeServer,
  waitFor,
  within,
  Workbench,
  type RunningCodeServer,
} from './vscodeSession';
import { removeInside, removeTempFolder } from '../support/removeInside';
import { packageTestExtension, type TestExtension } from './testExtensions';

export { pause, repoRoot, resultsDir, waitFor, Workbench } from './vscodeSession';

export const extensionId = 'cpa-image.cpa-gpt-image';
export const defaultVsixPath = path.join(repoRoot, 'dist-vsix', 'cpa-gpt-image.vsix');

/** The sample workspace every case starts from. */
export const sampleFiles: Readonly<Record<string, string>> = {
  'docs/guide.md': [
    '# 产品指南 Product Guide',
    '',
    '这是一个示例文档。This is a sample document.',
    '',
    'a red fox in the snow',
    '',
    '## 结尾 The end',
    '',
  ].join('\n'),
  'docs/notes.txt': ['Notes', 'sketch of a lighthouse at dusk', ''].join('\n'),
};

/** User settings that keep the workbench quiet and predictable (e2e-recipe.md step 5, plus no gallery calls). */
export const quietSettings: Readonly<Record<string, unknown>> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'git.enabled': false,
  'extensions.autoCheckUpdates': false,
  // "off", not false: VS Code migrates false to "off" by rewriting settings.json itself, a write that raced the
  // harness's own writes of the file (an older generation saved back over a newer one).
  'extensions.autoUpdate': 'off',
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.enableExperiments': false,
  'editor.minimap.enabled': false,
  // One view line per document line, so the rendered text is the document's text (markdown wraps by default).
  'editor.wordWrap': 'off',
  '[markdown]': { 'editor.wordWrap': 'off' },
  'files.autoSave': 'off',
  'workbench.editor.enablePreview': false,
  // The settings file opens in a normal editor tab, not in VS Code's modal editor.
  'workbench.editor.useModal': 'off',
  // Typing is what the user types: no word suggestion that a late Enter accepts instead of starting a new line (on a
  // busy machine the suggestion for "Draft" opened after the Escape meant to close it, and Enter replaced "Draft" by
  // "Draft": the new line was lost).
  'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
  'editor.wordBasedSuggestions': 'off',
  'editor.acceptSuggestionOnEnter': 'off',
};

export interface HarnessOptions {
  /** The gateway answers 401 unless this key is sent. */
  expectedKey?: string;
  vsixPath?: string;
  /** Extra user settings for the whole session. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server (and so for the extension host). */
  env?: Record<string, string>;
  /** Where the workspace lives; a fresh temp folder by default. */
  workspaceDir?: string;
  /** Name of the code-server log under test-results/e2e/. */
  logName?: string;
  /** Test-only extensions (test/e2e/fixtures) installed beside ours; settings-applier always is. */
  testExtensions?: TestExtension[];
  /** The scenario `cpaImage.baseUrl` points at from the start (`ok` by default): no settings change needed. */
  scenario?: ScenarioName;
  /** code-server's `--locale` (needs a language pack for it in testExtensions); English when unset. */
  locale?: string;
  /** The palette title that says our extension is loaded (it is localised under a locale). */
  readyCommand?: string;
}

export interface Scenario {
  url: string;
  name: ScenarioName;
}

export class Harness {
  private settingsGeneration = 0;
  private currentSettings: Record<string, unknown> = {};

  private constructor(
    readonly gateway: TestGateway,
    readonly codeServer: RunningCodeServer,
    readonly workbench: Workbench,
    readonly root: string,
    readonly workspaceDir: string,
    readonly userDataDir: string,
    readonly logFile: string,
    readonly installedExtensions: string,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const vsixPath = options.vsixPath ?? defaultVsixPath;
    if (!existsSync(vsixPath)) {
      throw new Error(`No packaged extension at ${vsixPath}: run \`npm run package\` first.`);
    }
    warnIfStale(vsixPath);
    const root = mkdtempSync(path.join(os.tmpdir(), 'cpa-e2e-'));
    const workspaceDir = options.workspaceDir ?? path.join(root, 'workspace');
    const dirs = {
      extensionsDir: path.join(root, 'extensions'),
      userDataDir: path.join(root, 'user-data'),
      home: path.join(root, 'home'),
    };
    await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
    await writeSampleFiles(workspaceDir);
    const logFile = path.join(resultsDir, options.logName ?? 'code-server.log');
    await mkdir(resultsDir, { recursive: true });
    await writeFile(logFile, '');

    const cleanups: (() => Promise<unknown>)[] = [];
    const fail = async (error: unknown): Promise<never> => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      throw error;
    };
    try {
      const gateway = await startTestGateway(options.expectedKey === undefined ? {} : { expectedKey: options.expectedKey });
      cleanups.push(() => gateway.close());
      let installed = await installExtension(vsixPath, dirs);
      for (const name of new Set<TestExtension>(['settings-applier', ...(options.testExtensions ?? [])])) {
        installed = await installExtension(await packageTestExtension(name), dirs);
      }
      if (!installed.includes(extensionId)) throw new Error(`${extensionId} is not installed: ${installed}`);

      if (options.locale !== undefined) await registerLanguagePacks(dirs.extensionsDir, dirs.userDataDir);
      const initial = { ...options.settings, 'cpaImage.baseUrl': gateway.scenarioUrl(options.scenario ?? 'ok') };
      await mkdir(path.join(dirs.userDataDir, 'User'), { recursive: true });
      await writeFile(
        path.join(dirs.userDataDir, 'User', 'settings.json'),
        JSON.stringify(composeSettings(initial, 0), null, 2),
      );
      const codeServer = await startCodeServer({
        ...dirs,
        workspaceDir,
        logFile,
        env: { ...options.env, E2E_SETTINGS_REQUEST: path.join(root, settingsRequestName) },
        ...(options.locale === undefined ? {} : { locale: options.locale }),
      });
      cleanups.push(() => codeServer.stop());
      const workbench = await Workbench.open(codeServer.url, workspaceDir);
      cleanups.push(() => workbench.close());
      const harness = new Harness(gateway, codeServer, workbench, root, workspaceDir, dirs.userDataDir, logFile, installed);
      harness.currentSettings = initial;
      // The palette lists an extension's commands once the extension host has scanned it.
      await harness.waitForCommand(options.readyCommand ?? 'CPA Image: Generate Image');
      return harness;
    } catch (error) {
      return fail(error);
    }
  }

  get page(): Page {
    return this.workbench.page;
  }

  /** The scenario `cpaImage.baseUrl` points at now. */
  get scenario(): Scenario | undefined {
    const url = this.currentSettings['cpaImage.baseUrl'];
    const name = typeof url === 'string' ? /\/s\/([^/]+)\//.exec(url)?.[1] : undefined;
    return typeof url === 'string' && name !== undefined ? { url, name: name as ScenarioName } : undefined;
  }

  get userSettingsPath(): string {
    return path.join(this.userDataDir, 'User', 'settings.json');
  }

  /** Waits until the command palette lists `title` (re-opening it: the palette does not refresh itself). */
  async waitForCommand(title: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `the command palette to list "${title}"`,
      async () => (await this.workbench.paletteLabels(title)).includes(title),
      { timeoutMs, intervalMs: 500 },
    );
  }

  /**
   * Replaces the user settings (quiet settings always kept) without a window reload: the test-only extension
   * settings-applier (test/e2e/fixtures) sets each changed key through VS Code's configuration API, which writes
   * settings.json and applies it at once (code-server does not notice another program's write to that file). Waits
   * until the title shows this generation's marker, the last key set, so every earlier key is in force.
   * `cpaImage.baseUrl` stays unless `settings` sets it.
   */
  async setUserSettings(settings: Record<string, unknown>): Promise<void> {
    const next = { 'cpaImage.baseUrl': this.currentSettings['cpaImage.baseUrl'], ...settings };
    const before = composeSettings(this.currentSettings, this.settingsGeneration);
    this.settingsGeneration += 1;
    const generation = this.settingsGeneration;
    const after = composeSettings(next, generation);
    const request = {
      clear: Object.keys(before).filter((key) => !(key in after)),
      set: Object.fromEntries(Object.entries(after).filter(([key, value]) => JSON.stringify(before[key]) !== JSON.stringify(value))),
    };
    await writeFile(path.join(this.root, settingsRequestName), JSON.stringify(request));
    await this.workbench.runCommand('CPA Image E2E: Apply User Settings');
    await waitFor('the new user settings to apply', async () => (await this.page.title()).includes(titleMarker(generation)), {
      timeoutMs: 30_000,
    });
    this.currentSettings = next;
  }

  /** Points `cpaImage.baseUrl` at a fresh URL of `name` (plus any extra settings) and returns that URL. */
  async useScenario(
    name: ScenarioName,
    params?: Record<string, string | number>,
    extraSettings: Record<string, unknown> = {},
  ): Promise<Scenario> {
    const url = this.gateway.scenarioUrl(name, params);
    await this.setUserSettings({ ...extraSettings, 'cpaImage.baseUrl': url });
    return { url, name };
  }

  /** The `count`-th request the gateway received under `scenario` (bounded wait). */
  async requestTo(scenario: Scenario, count = 1, timeoutMs = 30_000): Promise<RecordedRequest> {
    return within(`request ${count} to the "${scenario.name}" scenario`, timeoutMs, this.gateway.waitForRequest(scenario.url, count));
  }

  /** How the gateway's answer to that request ended: `finished` is false when the client hung up (bounded wait). */
  async outcomeOf(scenario: Scenario, count = 1, timeoutMs = 30_000): Promise<RequestOutcome> {
    return within(`the end of answer ${count} of the "${scenario.name}" scenario`, timeoutMs, this.gateway.waitForOutcome(scenario.url, count));
  }

  /**
   * "CPA Image: Set API Key" through the palette and the password box (stores it in SecretStorage); resolves
   * with the text of the "API key saved" notification once it shows.
   */
  async setApiKey(key: string): Promise<string> {
    await this.workbench.runCommand('CPA Image: Set API Key');
    await this.workbench.typeInQuickInput(key, { password: true });
    return waitFor('the "API key saved" notification', async () =>
      (await this.workbench.notificationTexts()).find((t) => t.startsWith('API key saved')),
    );
  }

  /**
   * A fresh document state for the next case: notifications cleared, every editor saved and closed,
   * the sample files rewritten, generated images removed.
   */
  async resetWorkspace(): Promise<void> {
    const { page } = this.workbench;
    await page.keyboard.press('Escape');
    await this.workbench.runCommand('Notifications: Clear All Notifications');
    await this.workbench.runCommand('File: Save All Files');
    await waitFor('every editor to be saved', async () => (await page.locator('.tab.dirty').count()) === 0);
    await this.workbench.runCommand('View: Close All Editors');
    await waitFor('every editor to close', async () => {
      // An editor that became dirty again in between asks whether to save: the next case rewrites the file anyway.
      const dontSave = page.locator('.monaco-dialog-box .monaco-button', { hasText: "Don't Save" });
      if (await dontSave.isVisible()) await dontSave.click();
      return (await page.locator('.editor-group-container .tab').count()) === 0;
    });
    await removeInside(this.workspaceDir, 'docs/images', { recursive: true });
    await removeInside(this.workspaceDir, 'images', { recursive: true });
    await removeInside(this.workspaceDir, '.vscode', { recursive: true });
    await writeSampleFiles(this.workspaceDir);
  }

  /** Opens a workspace file and waits until the editor shows what is on disk. */
  async openFile(relPath: string): Promise<void> {
    const onDisk = await this.readFile(relPath);
    await this.workbench.openFile(relPath);
    await waitFor(`the editor to show ${relPath} as on disk`, async () => (await this.workbench.editorText()) === onDisk);
  }

  async readFile(relPath: string): Promise<string> {
    return readFile(path.join(this.workspaceDir, relPath), 'utf8');
  }

  /** Saves every editor, then returns the file's text from disk (what the user's document holds). */
  async savedText(relPath: string): Promise<string> {
    await this.workbench.runCommand('File: Save All Files');
    await waitFor('no unsaved editor', async () => (await this.page.locator('.tab.dirty').count()) === 0);
    return this.readFile(relPath);
  }

  /** Files (relative to the workspace, `/` separators) under a workspace folder, recursively; [] when it is missing. */
  async listFiles(relDir: string): Promise<string[]> {
    const dir = path.join(this.workspaceDir, relDir);
    if (!existsSync(dir)) return [];
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(this.workspaceDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
      .sort();
  }

  async screenshot(name: string, options: { settle?: boolean } = {}): Promise<string> {
    return this.workbench.screenshot(name, options);
  }

  /**
   * Runs one case; when it fails, keeps a screenshot `<name>-FAILED` of what the user would have seen (one from an
   * earlier run is removed first) and adds the notifications, the status bar and `describe()`'s lines to the error.
   */
  async scene(name: string, body: () => Promise<void>, describe?: () => Promise<string[]>): Promise<void> {
    const shot = `${name}-FAILED`;
    await removeInside(resultsDir, `${shot}.png`, { force: true });
    try {
      await body();
    } catch (error) {
      await this.screenshot(shot).catch(() => undefined);
      const notifications = await this.workbench.notificationTexts().catch(() => []);
      const status = await this.workbench.statusBarTexts().catch(() => []);
      const more = describe ? await describe().catch((e: unknown) => [`(unreadable: ${String(e)})`]) : [];
      if (error instanceof Error) {
        error.message += `\n  notifications: ${JSON.stringify(notifications)}\n  status bar: ${JSON.stringify(status)}`;
        if (more.length > 0) error.message += `\n  ${more.join('\n  ')}`;
      }
      throw error;
    }
  }

  /** Ends everything, even when a case failed; keeps the extension host logs for inspection. */
  async close(): Promise<void> {
    await this.workbench.close();
    await this.codeServer.stop().catch(() => undefined);
    await this.gateway.close().catch(() => undefined);
    const logs = path.join(this.userDataDir, 'logs');
    if (existsSync(logs)) {
      // One folder per test file (named after its code-server log), so files run one after another keep theirs.
      const suffix = path.basename(this.logFile, '.log').replace(/^code-server-?/, '');
      const kept = path.join(resultsDir, suffix ? `logs-${suffix}` : 'logs');
      await removeInside(resultsDir, path.basename(kept), { recursive: true });
      cpSync(logs, kept, { recursive: true });
    }
    if (process.env.E2E_KEEP !== '1') await removeTempFolder(this.root).catch(() => undefined);
  }

  /** Every file under `roots` whose bytes contain `secret` (used to prove the key is never written out). */
  filesContaining(secret: string, roots: string[]): string[] {
    const found: string[] = [];
    const visit = (entry: string): void => {
      if (!existsSync(entry)) return;
      const stat = statSync(entry);
      if (stat.isDirectory()) {
        for (const name of readdirSync(entry)) visit(path.join(entry, name));
      } else if (stat.isFile() && readFileSync(entry).includes(secret)) {
        found.push(entry);
      }
    };
    for (const root of roots) visit(root);
    return found;
  }
}

/** A .vsix older than the sources tests yesterday's extension; say so (scripts/e2e-run.sh always packages first). */
function warnIfStale(vsixPath: string): void {
  const packagedAt = statSync(vsixPath).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .reduce((latest, entry) => Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs), 0);
  const sources = Math.max(newest(path.join(repoRoot, 'src')), statSync(path.join(repoRoot, 'package.json')).mtimeMs);
  if (sources > packagedAt) {
    process.stderr.write(`e2e: ${path.relative(repoRoot, vsixPath)} is older than the sources; run \`npm run package\` to test the current code\n`);
  }
}

/** The file (outside the workspace) through which setUserSettings hands the settings to settings-applier. */
const settingsRequestName = 'settings-request.json';

function titleMarker(generation: number): string {
  return `[cpa-e2e settings ${generation}]`;
}

function composeSettings(settings: Record<string, unknown>, generation: number): Record<string, unknown> {
  // The marker comes last: a title that shows it proves the whole file was read, not a half-written one.
  return {
    ...quietSettings,
    ...settings,
    'window.title': `${titleMarker(generation)} \${activeEditorShort}`,
  };
}

async function writeSampleFiles(workspaceDir: string): Promise<void> {
  for (const [relPath, text] of Object.entries(sampleFiles)) {
    const file = path.join(workspaceDir, relPath);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

/** A key that is obviously fake and unique per run. */
export function makeTestKey(): string {
  return `sk-e2e-${randomBytes(12).toString('hex')}`;
}

/** Whether `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return signature.every((byte, index) => bytes[index] === byte);
}

/**
 * Writes `<user-data>/languagepacks.json` from the installed extensions' `localizations`, as VS Code's language pack
 * service does after an install. `code-server --install-extension` did not write it here (the service's post-install
 * hook is not registered on the CLI path), and without it `--locale` falls back to English.
 */
async function registerLanguagePacks(extensionsDir: string, userDataDir: string): Promise<void> {
  const packs: Record<string, { hash: string; extensions: unknown[]; translations: Record<string, string>; label?: string }> = {};
  for (const dir of await readdir(extensionsDir, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    const root = path.join(extensionsDir, dir.name);
    const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      name: string; publisher: string; version: string;
      contributes?: { localizations?: { languageId: string; localizedLanguageName?: string; translations: { id: string; path: string }[] }[] };
    };
    for (const loc of manifest.contributes?.localizations ?? []) {
      const pack = (packs[loc.languageId] ??= { hash: '', extensions: [], translations: {}, label: loc.localizedLanguageName });
      pack.extensions.push({ extensionIdentifier: { id: `${manifest.publisher}.${manifest.name}` }, version: manifest.version });
      pack.hash = `${manifest.publisher}.${manifest.name}-${manifest.version}`.replace(/[^\w.-]/g, '_');
      for (const t of loc.translations) pack.translations[t.id] = path.join(root, t.path);
    }
  }
  await writeFile(path.join(userDataDir, 'languagepacks.json'), JSON.stringify(packs));
}
