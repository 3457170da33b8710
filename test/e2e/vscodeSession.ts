/**
 * Drives a real VS Code for the end-to-end suite: code-server (VS Code 1.139 in a browser, with a
 * real Node extension host) on 127.0.0.1, driven in Debian's Chromium through playwright-core.
 * See /work/shared/e2e-recipe.md for why this and not @vscode/test-electron (no update servers here).
 *
 * This file knows nothing about our extension or the test gateway; harness.ts composes them.
 * Every wait is a bounded poll on something observable (HTTP, DOM, files); the only fixed pauses
 * are the few milliseconds a menu or list needs between two keystrokes.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const resultsDir = path.join(repoRoot, 'test-results', 'e2e');
const codeServerEntry = path.join(__dirname, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const chromiumPath = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
/** Flags from the recipe: what works for Debian's Chromium in this container. */
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Variables that would let the environment, not the test, decide the gateway, key or proxy. */
const scrubbedEnv = [
  /^IMAGE_GEN_/,
  /^OTCBOT_/,
  /^CPA_/,
  /^OPENAI_/,
  /^OPENCLAW_/,
  /^(HTTPS?|ALL|NO)_PROXY$/i,
  /^XDG_/,
  // A VS Code terminal exports these; VSCODE_IPC_HOOK_CLI would make code-server hand over to that window.
  /^VSCODE_/,
  /^CODE_SERVER_/,
  /^(PORT|PASSWORD|HASHED_PASSWORD|GITHUB_TOKEN)$/,
];

export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!scrubbedEnv.some((pattern) => pattern.test(name))) env[name] = value;
  }
  return { ...env, HOME: home, ...extra };
}

/** Polls `probe` until it returns something truthy; throws with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  // Generous: the machine may run several code-servers at once, and a slow success beats a flaky failure.
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await pause(intervalMs);
  }
}

/** `promise`, or a clear error once `timeoutMs` has passed (for waits on events that may never come). */
export async function within<T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A short pause for UI settling between keystrokes; never used to wait for an outcome. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A port the OS just handed out on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from the OS'))));
    });
  });
}

/** Kill functions of the code-servers still running, for the exit and signal hooks below. */
const orphanKillers = new Set<() => void>();
let hooksInstalled = false;

/**
 * Registers `kill` to run if this process exits or is interrupted (Ctrl+C, SIGTERM) before `stop()`:
 * Node runs no 'exit' listeners when a signal ends it, so the signals are hooked as well. A signal is
 * re-raised afterwards unless someone else (the sandbox) handles it. Returns the unregister function.
 */
function leaveNoOrphan(kill: () => void): () => void {
  orphanKillers.add(kill);
  if (!hooksInstalled) {
    hooksInstalled = true;
    const killAll = (): void => {
      for (const killer of orphanKillers) killer();
      orphanKillers.clear();
    };
    process.once('exit', killAll);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        killAll();
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    }
  }
  return () => orphanKillers.delete(kill);
}

function assertNode24(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    throw new Error(
      `code-server 4.139 needs Node 24, this test runs on Node ${process.versions.node}. ` +
        'Run: export PATH=$(bash scripts/node24.sh):$PATH',
    );
  }
}

function runCodeServerCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [codeServerEntry, ...args], { env, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`code-server ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

export interface CodeServerDirs {
  extensionsDir: string;
  userDataDir: string;
  home: string;
}

/** `code-server --install-extension <vsix>`: installs the real package, as a user would. */
export async function installExtension(vsixPath: string, dirs: CodeServerDirs): Promise<string> {
  assertNode24();
  const env = cleanEnv(dirs.home);
  const args = ['--extensions-dir', dirs.extensionsDir, '--user-data-dir', dirs.userDataDir];
  await runCodeServerCli([...args, '--force', '--install-extension', vsixPath], env, 120_000);
  return runCodeServerCli([...args, '--list-extensions', '--show-versions'], env, 60_000);
}

export interface CodeServerOptions extends CodeServerDirs {
  workspaceDir: string;
  logFile: string;
  /** Added to the scrubbed environment (the sandbox passes IMAGE_GEN_KEY here). */
  env?: Record<string, string>;
  port?: number;
  /** `--locale` (for example `zh-cn`); unset: code-server's default (English). */
  locale?: string;
}

export interface RunningCodeServer {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts code-server in its own process group and resolves once its HTTP endpoint answers. */
export async function startCodeServer(options: CodeServerOptions): Promise<RunningCodeServer> {
  assertNode24();
  const port = options.port || (await freePort()); // 0 or unset: one the OS hands out
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logFd = openSync(options.logFile, 'a');
  const args = [
    codeServerEntry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--extensions-dir', options.extensionsDir,
    '--user-data-dir', options.userDataDir,
    '--config', path.join(options.home, 'code-server-config.yaml'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(options.locale === undefined ? [] : ['--locale', options.locale]),
    options.workspaceDir,
  ];
  const child = spawn(process.execPath, args, {
    env: cleanEnv(options.home, options.env),
    detached: true, // own process group, so teardown can end the extension host and watchers too
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `code-server exited (code ${code}, signal ${signal}); see ${options.logFile}`;
      resolve();
    });
  });
  const killGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined || exited !== undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  // If the test process ends or is interrupted first, do not leave code-server behind.
  const forget = leaveNoOrphan(() => killGroup('SIGKILL'));

  const stop = async (): Promise<void> => {
    forget();
    killGroup('SIGTERM');
    const timer = setTimeout(() => killGroup('SIGKILL'), 5_000);
    await exitPromise;
    clearTimeout(timer);
    // The extension host and file watchers share the group; make sure none outlives the server.
    killGroup('SIGKILL');
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'code-server to answer /healthz',
      async () => {
        if (exited) throw new Error(exited);
        const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        return response.ok;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url, process: child, stop };
}

/** The workbench in a browser page, with the moves a user makes. */
export class Workbench {
  private constructor(
    readonly browser: Browser,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(serverUrl: string, workspaceDir: string): Promise<Workbench> {
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 60_000 });
    try {
      const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
      // Same origin as the workbench, so VS Code's clipboard commands work.
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: serverUrl });
      const page = await context.newPage();
      const workbench = new Workbench(browser, context, page);
      await page.goto(`${serverUrl}/?folder=${encodeURIComponent(workspaceDir)}`, { timeout: 60_000 });
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
      // The explorer lists the folder once the remote file system answers.
      await page.locator('.explorer-folders-view').waitFor({ state: 'visible', timeout: 60_000 });
      return workbench;
    } catch (error) {
      await browser.close().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }

  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  get quickInputBox(): Locator {
    return this.page.locator('.quick-input-widget .quick-input-box input');
  }

  /** Opens the quick input with F1 and replaces its text (`>` = commands, plain = files, `:` = go to line). */
  private async openQuickInput(text: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    // A key pressed while a webview (the preview panel) has the focus is passed on to the workbench by a message,
    // which a loaded machine was seen to lose: while the palette has not opened, F1 is pressed again.
    for (let attempt = 1; ; attempt += 1) {
      await this.page.keyboard.press('F1');
      try {
        await this.quickInputBox.waitFor({ state: 'visible', timeout: attempt < 4 ? 5_000 : 20_000 });
        break;
      } catch (error) {
        if (attempt >= 4) throw error;
      }
    }
    await this.quickInputBox.fill(text);
  }

  /** The row of the quick pick whose label is exactly `label`. */
  private quickPickRow(label: string): Locator {
    return this.page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) });
  }

  /** Command palette: runs the command whose palette label is exactly `title` ("Category: Title"). */
  async runCommand(title: string): Promise<void> {
    const row = this.quickPickRow(title).first();
    // The palette lists the commands registered when it opened: a command a workbench part registers later (the
    // Extensions view's, early in a window's life) shows only when the palette is opened again.
    for (let attempt = 1; ; attempt += 1) {
      await this.openQuickInput(`>${title}`);
      try {
        await row.waitFor({ state: 'visible', timeout: attempt < 3 ? 10_000 : 30_000 });
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    await row.click();
    // The palette either closes or turns into the command's own input: either way it no longer shows `>title`.
    await waitFor(`the palette to run "${title}"`, async () => {
      if (!(await this.quickInput.isVisible())) return true;
      const value = await this.quickInputBox.inputValue().catch(() => '');
      return !value.startsWith('>');
    });
  }

  /** The labels the command palette lists for `filter`. */
  async paletteLabels(filter: string, options: { keepOpen?: boolean } = {}): Promise<string[]> {
    await this.openQuickInput(`>${filter}`);
    const rows = this.page.locator('.quick-input-list .monaco-list-row .label-name');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    const labels = (await rows.allInnerTexts()).map((label) => label.trim());
    if (!options.keepOpen) await this.page.keyboard.press('Escape');
    return labels;
  }

  /** Waits for an input box (not the palette), types `text` over any pre-filled value, presses Enter. */
  async typeInQuickInput(text: string, options: { password?: boolean } = {}): Promise<void> {
    const box = options.password
      ? this.page.locator('.quick-input-widget .quick-input-box input[type="password"]')
      : this.quickInputBox;
    await box.waitFor({ state: 'visible', timeout: 30_000 });
    await box.fill(text);
    await this.page.keyboard.press('Enter');
    await waitFor('the input box to close', async () => !(await this.quickInput.isVisible()));
  }

  /** What the open input box shows: its value, prompt/placeholder and any list items. */
  async quickInputState(): Promise<{ value: string; placeholder: string; message: string; items: string[] }> {
    await this.quickInputBox.waitFor({ state: 'visible', timeout: 30_000 });
    return {
      value: await this.quickInputBox.inputValue(),
      placeholder: (await this.quickInputBox.getAttribute('placeholder')) ?? '',
      message: (await this.page.locator('.quick-input-widget .quick-input-message').allInnerTexts()).join(' ').trim(),
      items: (await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name').allInnerTexts())
        .map((item) => item.trim()),
    };
  }

  /** Quick Open (F1 without `>`): opens the workspace file at `relPath` and waits for its tab. */
  async openFile(relPath: string): Promise<void> {
    const name = path.posix.basename(relPath);
    await this.openQuickInput(relPath);
    const row = this.quickPickRow(name).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    await this.page
      .locator('.editor-group-container.active .tab.active', { hasText: name })
      .waitFor({ state: 'visible', timeout: 30_000 });
    await this.activeEditor.locator('.view-lines').waitFor({ state: 'visible', timeout: 30_000 });
  }

  /** The text editor of the active editor group. */
  get activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .editor-instance .monaco-editor').first();
  }

  /** Go to Line: puts the cursor at `line:column` (1-based) in the active editor. */
  async goTo(line: number, column = 1): Promise<void> {
    await this.openQuickInput(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await waitFor('the editor to take the focus', async () =>
      (await this.activeEditor.getAttribute('class'))?.includes('focused'),
    );
  }

  /** Selects line `line` from its first character to its end. */
  async selectLine(line: number): Promise<void> {
    await this.goTo(line, 1);
    await this.page.keyboard.press('Shift+End');
    await waitFor('a selection in the editor', async () => (await this.activeEditor.locator('.selected-text').count()) > 0);
  }

  /** Moves the cursor to the end of the document. */
  async cursorToEnd(): Promise<void> {
    await this.activeEditor.locator('.view-lines').click();
    await this.page.keyboard.press('Control+End');
  }

  /** Right-clicks on the text of the line that shows `lineText` (inside the selection, so it is kept). */
  async rightClickSelection(lineText: string): Promise<void> {
    const line = this.activeEditor.locator('.view-line', { hasText: lineText }).first();
    const text = line.locator(':scope > span');
    const box = await text.boundingBox();
    if (!box) throw new Error(`the line "${lineText}" is not visible in the editor`);
    await this.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { button: 'right' });
    await this.page.locator('.monaco-menu').first().waitFor({ state: 'visible', timeout: 20_000 });
  }

  /** The titles of the open context menu. */
  async contextMenuTitles(): Promise<string[]> {
    const labels = await this.page.locator('.monaco-menu .action-label').allInnerTexts();
    return labels.map((label) => label.trim()).filter((label) => label.length > 0);
  }

  /** Clicks the context-menu entry titled exactly `title`. */
  async clickContextMenu(title: string): Promise<void> {
    const item = this.page
      .locator('.monaco-menu .action-label', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) })
      .first();
    await item.waitFor({ state: 'visible', timeout: 20_000 });
    const menu = this.page.locator('.monaco-menu').first();
    // The menu ignores a click that comes too soon after it opened (it takes it for the release of the
    // right button, CI saw one in ~50 runs): while the menu stays open, the click has not run anything,
    // so click again.
    for (let attempt = 1; ; attempt += 1) {
      await item.click();
      try {
        await menu.waitFor({ state: 'hidden', timeout: attempt < 4 ? 5_000 : 20_000 });
        return;
      } catch (error) {
        if (attempt >= 4 || !(await item.isVisible())) throw error;
      }
    }
  }

  /** The text of the active editor (or of `editor`), as rendered: fine for documents that fit on screen. */
  async editorText(editor: Locator = this.activeEditor): Promise<string> {
    return renderedText(editor.locator('.view-lines').first());
  }

  /** Whether the active tab shows unsaved changes. */
  async activeTabIsDirty(): Promise<boolean> {
    const classes = await this.page.locator('.editor-group-container.active .tab.active').getAttribute('class');
    return classes?.includes('dirty') ?? false;
  }

  /** Messages of the notifications on screen (toasts) and in the notification center when it is open. */
  /**
   * The notification messages as the user reads them: the zero-width spaces that keep untrusted text inert
   * (src/core/text/inertText.ts) are invisible, so they are dropped here; test/e2e/inertText.test.ts checks the DOM.
   */
  async notificationTexts(): Promise<string[]> {
    const texts = await this.page.locator('.notification-list-item-message').allInnerTexts();
    return texts.map((text) => text.replace(/\u200b/g, '').trim()).filter((text) => text.length > 0);
  }

  /** The notification (toast) whose message contains `text`. */
  notification(text: string | RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-list-item').filter({ hasText: text });
  }

  /** The button labels of the notification whose message contains `text`. */
  async notificationButtons(text: string | RegExp): Promise<string[]> {
    const labels = await this.notification(text).first().locator('.monaco-button').allInnerTexts();
    return labels.map((label) => label.trim()).filter((label) => label.length > 0);
  }

  /** Clicks the button `label` of a notification (the one containing `text`, when given). */
  async clickNotificationButton(label: string, text?: string | RegExp): Promise<void> {
    const scope = text === undefined ? this.page.locator('.notifications-toasts .notification-list-item') : this.notification(text);
    const button = scope.locator('.monaco-button', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }).first();
    await button.waitFor({ state: 'visible', timeout: 30_000 });
    await button.click();
  }

  /** The texts of the status bar items. */
  async statusBarTexts(): Promise<string[]> {
    const texts = await this.page.locator('#workbench\\.parts\\.statusbar .statusbar-item').allInnerTexts();
    return texts.map((text) => text.replace(/\s+/g, ' ').trim()).filter((text) => text.length > 0);
  }

  /** The status bar item whose text contains `text`. */
  statusBarItem(text: string | RegExp): Locator {
    return this.page.locator('#workbench\\.parts\\.statusbar .statusbar-item').filter({ hasText: text });
  }

  /** Text of the Output panel's editor (after a command that shows an output channel). */
  async outputText(): Promise<string> {
    const lines = this.page.locator('.part.panel .monaco-editor .view-lines').first();
    await lines.waitFor({ state: 'visible', timeout: 30_000 });
    return renderedText(lines);
  }

  /** Waits until the notification toasts stop moving (they slide in), so a screenshot shows them whole. */
  async settleNotifications(): Promise<void> {
    const boxes = () =>
      this.page
        .locator('.notifications-toasts .notification-toast')
        .evaluateAll((toasts) => JSON.stringify(toasts.map((toast) => toast.getBoundingClientRect())));
    await waitFor(
      'the notifications to settle',
      async () => {
        const before = await boxes();
        await pause(120);
        return before === (await boxes());
      },
      { timeoutMs: 3_000, intervalMs: 0 },
    ).catch(() => undefined); // a toast that keeps moving still gets its screenshot
  }

  /** Saves `test-results/e2e/<name>.png`; `settle: false` for a state that only lasts a moment. */
  async screenshot(name: string, options: { settle?: boolean } = {}): Promise<string> {
    if (options.settle !== false) await this.settleNotifications();
    await mkdir(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}

/** Monaco positions its line elements absolutely; their DOM order is not the line order. */
async function renderedText(viewLines: Locator): Promise<string> {
  const lines = await viewLines.locator('.view-line').evaluateAll((elements) =>
    elements
      .map((element) => ({
        top: Number.parseFloat((element as HTMLElement).style.top || '0'),
        text: (element as HTMLElement).innerText,
      }))
      .sort((a, b) => a.top - b.top)
      .map((line) => line.text),
  );
  return lines.map((line) => line.replace(/\u00a0/g, ' ').replace(/\n$/, '')).join('\n');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
