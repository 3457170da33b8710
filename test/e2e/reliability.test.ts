/**
 * End to end, the rows of RELIABILITY.md that only a real VS Code can prove (code-server 4.139 = VS Code 1.139,
 * driven in Chromium): what happens to the user's document, files, clipboard and key when things change or go
 * wrong while an image is being made.
 *
 * - (a) the document is edited during "Generate Image": the link still lands right after the original selection;
 * - (b) the document is closed during generation: no edit anywhere, the link goes to the clipboard;
 * - (c) the key is changed in another window (a second browser tab on the same workspace) during a request;
 * - (d) a redirect to another origin is not followed, and the key never goes there;
 * - (e) a file already at the target is never overwritten: the image becomes `<slug>-2.png`;
 * - (f) `docs/images` is a symbolic link to a folder outside the workspace: refused, nothing written there.
 *
 * Each case asserts what the user sees (notification text, files on disk, document text, clipboard) and leaves a
 * screenshot in test-results/e2e/reliability-*.png. Cases that act "during" a generation use the gateway's `slow`
 * scenario and check, before the image arrives, that the action really happened while the request was open.
 *
 * Run: export PATH=/work/main/.tools/node24/node_modules/.bin:$PATH; npm run -s package;
 *      node --import tsx --test --test-concurrency=1 test/e2e/reliability.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, readlink, realpath, symlink, writeFile, mkdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ScenarioName } from '../gateway/server';
import { makePng } from '../gateway/images';
import { Harness, isPng, makeTestKey, sampleFiles, waitFor, Workbench, type Scenario } from './harness';
import { withoutProvenance } from '../gateway/inspect';
import { removeInside, removeTempFolder } from '../support/removeInside';

const keyA = makeTestKey();
const keyB = makeTestKey();
const guide = 'docs/guide.md';
const caseTimeout = { timeout: 240_000 };
/** The `slow` scenario answers a non-streamed request after 10 × delayMs: long enough to act while it runs. */
const slowDelayMs = 2_000;
/** The preview panel would open beside the editor; these cases are about the editor, so it stays closed. */
const caseSettings = { 'cpaImage.preview.openOnGenerate': false };

describe('Reliability of the extension in a real VS Code (code-server + Chromium)', { timeout: 30 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    // No expectedKey: the key-change case compares the Authorization header of each recorded request instead.
    h = await Harness.start({ logName: 'code-server-reliability.log', settings: caseSettings });
    await h.setApiKey(keyA);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
  });

  /** Runs a case; on failure keeps a screenshot of what the user would have seen (Harness.scene). */
  const scene = (name: string, body: () => Promise<void>) => h.scene(`reliability-${name}`, body);

  /** A fresh URL of the scenario (the per-case settings kept: setUserSettings replaces the user settings). */
  function use(name: ScenarioName, params?: Record<string, string | number>): Promise<Scenario> {
    return h.useScenario(name, params, caseSettings);
  }

  /** Waits until no generation shows in `wb`: no progress notification, no status bar item. */
  async function generationEnded(wb: Workbench = h.workbench): Promise<void> {
    await waitFor(
      'the progress notification and the status bar item to go',
      async () =>
        !(await wb.notificationTexts()).some((t) => t.includes('Generating image')) &&
        (await wb.statusBarItem(/CPA Image:/).count()) === 0,
      { timeoutMs: 60_000 },
    );
  }

  /** The notification whose text matches `pattern` (bounded wait: a slow answer takes 10 × delayMs). */
  async function notificationMatching(pattern: RegExp, wb: Workbench = h.workbench): Promise<string> {
    return waitFor(`a notification matching ${pattern}`, async () => (await wb.notificationTexts()).find((t) => pattern.test(t)), {
      timeoutMs: 90_000,
    });
  }

  /**
   * Runs a palette command the way a user does with text selected: F1, the title, a click. (Workbench.runCommand
   * presses Escape first, which in the editor clears the selection.)
   */
  async function paletteKeepingSelection(title: string): Promise<void> {
    const wb = h.workbench;
    await h.page.keyboard.press('F1');
    await wb.quickInputBox.waitFor({ state: 'visible', timeout: 20_000 });
    await wb.quickInputBox.fill(`>${title}`);
    const exact = new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
    const row = h.page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: h.page.locator('.label-name', { hasText: exact }) })
      .first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click();
    await waitFor(`the palette to run "${title}"`, async () => !(await wb.quickInputBox.inputValue()).startsWith('>'));
  }

  /** Starts "Generate Image" from the palette with `prompt` and waits until the gateway has the request. */
  async function generate(scenario: Scenario, prompt: string, wb: Workbench = h.workbench, count = 1): Promise<void> {
    await wb.runCommand('CPA Image: Generate Image');
    await wb.typeInQuickInput(prompt);
    await h.requestTo(scenario, count, 60_000);
  }

  it('(a) the document is edited while "Generate Image" runs: the link lands right after the original selection', caseTimeout, () =>
    scene('a-edited', async () => {
      const scenario = await use('slow', { delayMs: slowDelayMs });
      const prompt = 'a red fox in the snow';
      await h.openFile(guide);
      await h.workbench.selectLine(5); // "a red fox in the snow"
      await paletteKeepingSelection('CPA Image: Generate Image');
      assert.equal((await h.workbench.quickInputState()).value, prompt, 'the prompt box starts with the selection');
      await h.workbench.typeInQuickInput(prompt);
      await h.requestTo(scenario, 1, 60_000);

      // The user goes on writing: a new first line, text on a line above the selection, text on a line below it.
      await h.workbench.goTo(1, 1);
      await h.page.keyboard.type('Written meanwhile');
      await h.page.keyboard.press('Enter');
      await h.workbench.goTo(4, 1);
      await h.page.keyboard.press('End');
      await h.page.keyboard.type(' More text above.');
      await h.workbench.goTo(8, 1);
      await h.page.keyboard.press('End');
      await h.page.keyboard.type(' (edited)');
      const edited = [
        'Written meanwhile',
        '# 产品指南 Product Guide',
        '',
        '这是一个示例文档。This is a sample document. More text above.',
        '',
        'a red fox in the snow',
        '',
        '## 结尾 The end (edited)',
        '',
      ].join('\n');
      await waitFor('the edits in the editor', async () => (await h.workbench.editorText()) === edited);
      assert.deepEqual(await h.listFiles('docs/images'), [], 'all edits were made before the image arrived');
      // (The progress toast is hidden by the Escape of Go to Line; the status bar item shows the run.)
      assert.equal(await h.workbench.statusBarItem(/CPA Image:/).count(), 1, 'still generating');
      await h.screenshot('reliability-a-editing');

      const saved = await notificationMatching(/^Saved docs\/images\/a-red-fox-in-the-snow/);
      assert.equal(saved, 'Saved docs/images/a-red-fox-in-the-snow.png');
      await generationEnded();
      assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, 'docs/images/a-red-fox-in-the-snow.png'))), h.gateway.imageFor(scenario.url));
      await waitFor('the link in the editor', async () => (await h.workbench.editorText()).includes('](images/'));
      await h.screenshot('reliability-a-inserted');
      assert.equal(
        await h.savedText(guide),
        edited.replace(
          'a red fox in the snow\n',
          'a red fox in the snow ![a red fox in the snow](images/a-red-fox-in-the-snow.png)\n',
        ),
        'the link is right after the original selection; every edit is kept',
      );
    }));

  it('(b) the document is closed during generation: no edit anywhere, the link is on the clipboard, the image is saved', caseTimeout, () =>
    scene('b-closed', async () => {
      const scenario = await use('slow', { delayMs: slowDelayMs });
      const prompt = 'a lantern left behind';
      await h.openFile(guide);
      await h.workbench.goTo(5, 1);
      await h.page.keyboard.press('End');
      await generate(scenario, prompt);
      // Something else on the clipboard first, so the test sees the extension replace it.
      await h.page.evaluate(() => navigator.clipboard.writeText('clipboard before the image'));
      await h.workbench.runCommand('View: Close All Editors');
      await waitFor('every editor to close', async () => (await h.page.locator('.editor-group-container .tab').count()) === 0);
      assert.deepEqual(await h.listFiles('docs/images'), [], 'the document was closed before the image arrived');
      await h.screenshot('reliability-b-closed');

      const message = await notificationMatching(/^Saved docs\/images\/a-lantern-left-behind/);
      assert.equal(message, 'Saved docs/images/a-lantern-left-behind.png. The document was closed, so the link was copied to the clipboard.');
      assert.deepEqual(await h.workbench.notificationButtons(message), ['Open Image']);
      await generationEnded();
      const clipboard = await h.page.evaluate(() => navigator.clipboard.readText());
      assert.equal(clipboard, '![a lantern left behind](images/a-lantern-left-behind.png)', 'the link, relative to the document');
      assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, 'docs/images/a-lantern-left-behind.png'))), h.gateway.imageFor(scenario.url));
      assert.deepEqual(
        await h.listFiles('.'),
        [...Object.keys(sampleFiles), 'docs/images/a-lantern-left-behind.png'].sort(),
        'the image and nothing else (no temporary file)',
      );
      for (const [file, text] of Object.entries(sampleFiles)) assert.equal(await h.readFile(file), text, `${file} is unchanged`);
      assert.equal(await h.page.locator('.editor-group-container .tab').count(), 0, 'no document was reopened to take the link');
      await h.screenshot('reliability-b-copied');

      await h.workbench.clickNotificationButton('Open Image', 'link was copied');
      await h.page
        .locator('.editor-group-container.active .tab.active', { hasText: 'a-lantern-left-behind.png' })
        .waitFor({ state: 'visible', timeout: 30_000 });
    }));

  it('(d) a redirect to another origin is not followed: the error names it, no file, nothing reaches the other origin', caseTimeout, () =>
    scene('d-redirect', async () => {
      const scenario = await use('redirect');
      await h.openFile(guide);
      await h.workbench.goTo(5, 1);
      await h.page.keyboard.press('End');
      await generate(scenario, 'a fox behind a detour sign');
      const message = await notificationMatching(/redirected/);
      assert.match(
        message,
        /^The configuration is not usable: The gateway redirected the request \(307\) to http:\/\/127\.0\.0\.2:\d+; it was not followed and the API key was not sent there\. Set the base URL to the gateway's real address\.$/,
      );
      assert.deepEqual(await h.workbench.notificationButtons('redirected'), ['Show Log']);
      await generationEnded();
      await h.screenshot('reliability-d-redirect');
      assert.equal(h.gateway.requestsFor(scenario.url).length, 1, 'one request, not retried');
      assert.deepEqual(h.gateway.redirectedRequests, [], 'the 127.0.0.2 listener received nothing: not followed, the key not sent');
      assert.deepEqual(await h.listFiles('.'), Object.keys(sampleFiles).sort(), 'no image, no temporary file');
      assert.equal(await h.workbench.activeTabIsDirty(), false, 'no edit');
      assert.equal(await h.workbench.editorText(), sampleFiles[guide]);
    }));

  it('(e) a file already at the target is kept byte for byte: the image is saved as <slug>-2.png and the link points there', caseTimeout, () =>
    scene('e-existing', async () => {
      const scenario = await use('ok');
      const prompt = 'a lighthouse on a cliff';
      const existing = makePng(3, 2);
      assert.notDeepEqual(existing, h.gateway.imageFor(scenario.url));
      await mkdir(path.join(h.workspaceDir, 'docs/images'), { recursive: true });
      await writeFile(path.join(h.workspaceDir, 'docs/images/a-lighthouse-on-a-cliff.png'), existing);
      await h.openFile(guide);
      await h.workbench.goTo(5, 1);
      await h.page.keyboard.press('End');
      await generate(scenario, prompt);
      const saved = await notificationMatching(/^Saved docs\/images\/a-lighthouse-on-a-cliff/);
      assert.equal(saved, 'Saved docs/images/a-lighthouse-on-a-cliff-2.png');
      await generationEnded();
      await waitFor('the link in the editor', async () => (await h.workbench.editorText()).includes('](images/'));
      await h.screenshot('reliability-e-existing');
      assert.deepEqual(await h.listFiles('docs/images'), ['docs/images/a-lighthouse-on-a-cliff-2.png', 'docs/images/a-lighthouse-on-a-cliff.png']);
      assert.deepEqual(await readFile(path.join(h.workspaceDir, 'docs/images/a-lighthouse-on-a-cliff.png')), existing, 'the old file is untouched');
      const generated = await readFile(path.join(h.workspaceDir, 'docs/images/a-lighthouse-on-a-cliff-2.png'));
      assert.ok(isPng(generated));
      assert.deepEqual(withoutProvenance(generated), h.gateway.imageFor(scenario.url));
      assert.equal(
        await h.savedText(guide),
        (sampleFiles[guide] as string).replace(
          'a red fox in the snow\n',
          'a red fox in the snow ![a lighthouse on a cliff](images/a-lighthouse-on-a-cliff-2.png)\n',
        ),
      );
    }));

  it('(f) docs/images is a symbolic link to a folder outside the workspace: refused, naming the folder; nothing written there', caseTimeout, () =>
    scene('f-symlink', async () => {
      const outside = await realpath(await mkdtemp(path.join(os.tmpdir(), 'cpa-e2e-outside-')));
      const link = path.join(h.workspaceDir, 'docs', 'images');
      try {
        await symlink(outside, link, 'dir');
        const scenario = await use('ok');
        await h.openFile(guide);
        await h.workbench.goTo(5, 1);
        await h.page.keyboard.press('End');
        await generate(scenario, 'a door that opens onto the street');
        // A "Saved" notification ends the wait too: without the check the image is written through the link.
        const message = await notificationMatching(/could not be saved|^Saved /);
        const ws = await realpath(h.workspaceDir);
        assert.ok(message.startsWith('The image could not be saved: '), message);
        assert.ok(message.includes(`the folder ${ws}/docs/images is a symbolic link`), `names the folder: ${message}`);
        assert.ok(message.includes(`leads to ${outside}, outside the workspace folder ${ws}`), `says where it leads: ${message}`);
        assert.ok(message.includes('Nothing was saved.'), message);
        assert.deepEqual(await h.workbench.notificationButtons('could not be saved'), ['Show Log']);
        await generationEnded();
        await h.screenshot('reliability-f-symlink');
        assert.deepEqual(await readdir(outside), [], 'no image and no temporary file outside the workspace');
        assert.equal(await readlink(link), outside, 'the link itself is left alone');
        assert.equal(h.gateway.requestsFor(scenario.url).length, 1);
        assert.equal(await h.workbench.activeTabIsDirty(), false, 'no edit');
        assert.equal(await h.workbench.editorText(), sampleFiles[guide]);
        assert.equal(await h.readFile(guide), sampleFiles[guide]);
      } finally {
        await removeInside(h.workspaceDir, 'docs/images');
        await removeTempFolder(outside);
      }
    }));

  it('(c) the key is changed in another window during a request: the request in flight finishes with the old key, the next one sends the new key, neither is logged', { timeout: 420_000 }, () =>
    scene('c-key-change', async () => {
      const scenario = await use('slow', { delayMs: slowDelayMs });
      const second = await openSecondWindow();
      try {
        // Window 2 opens the same folder; it starts without editors so its generation below touches no document.
        await second.runCommand('View: Close All Editors');
        await waitFor('window 2 to have no editor', async () => (await second.page.locator('.editor-group-container .tab').count()) === 0);

        await h.page.bringToFront();
        await h.openFile(guide);
        await h.workbench.goTo(5, 1);
        await h.page.keyboard.press('End');
        await generate(scenario, 'a key that changes hands');
        const first = h.gateway.requestsFor(scenario.url)[0];
        // Compared, never printed: a failing assert.equal would put the key in the test output.
        assert.ok(first?.headers.authorization === `Bearer ${keyA}`, 'the first request carries key A');

        await second.page.bringToFront();
        await second.runCommand('CPA Image: Set API Key');
        await second.typeInQuickInput(keyB, { password: true });
        const savedKey = await notificationMatching(/^API key saved/, second);
        assert.equal(savedKey, `API key saved (…${keyB.slice(-4)}).`);
        assert.deepEqual(await h.listFiles('docs/images'), [], 'key B was stored while the first request was still open');
        await second.screenshot('reliability-c-window2-key-saved');

        await h.page.bringToFront();
        const saved = await notificationMatching(/^Saved docs\/images\/a-key-that-changes-hands/);
        assert.equal(saved, 'Saved docs/images/a-key-that-changes-hands.png');
        await generationEnded();
        assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, 'docs/images/a-key-that-changes-hands.png'))), h.gateway.imageFor(scenario.url));
        await waitFor('the link in the editor', async () => (await h.workbench.editorText()).includes('](images/a-key-that-changes-hands.png)'));
        await h.screenshot('reliability-c-window1-saved');

        // The next generation, from the window where the key was changed, sends key B.
        await second.page.bringToFront();
        await generate(scenario, 'after the key change', second, 2);
        const next = h.gateway.requestsFor(scenario.url)[1];
        assert.ok(next?.headers.authorization === `Bearer ${keyB}`, 'the next request carries key B');
        assert.equal(await notificationMatching(/^Saved images\/after-the-key-change/, second), 'Saved images/after-the-key-change.png');
        await generationEnded(second);
        assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, 'images/after-the-key-change.png'))), h.gateway.imageFor(scenario.url));
        await second.screenshot('reliability-c-window2-saved');

        // Window 1, whose request was in flight: code-server keeps each tab's secrets in memory, read from the
        // browser's storage when the tab loads, and tells no other tab of a change. So window 1 goes on sending key A
        // until it is reloaded (a limit of code-server's secret storage, RELIABILITY.md §12), then sends key B.
        await h.page.bringToFront();
        assert.equal(
          await h.savedText(guide),
          (sampleFiles[guide] as string).replace(
            'a red fox in the snow\n',
            'a red fox in the snow ![a key that changes hands](images/a-key-that-changes-hands.png)\n',
          ),
          'the link of the request in flight was inserted after the cursor',
        );
        await h.workbench.runCommand('View: Close All Editors');
        await waitFor('window 1 to have no editor', async () => (await h.page.locator('.editor-group-container .tab').count()) === 0);
        await generate(scenario, 'window one before its reload', h.workbench, 3);
        const third = h.gateway.requestsFor(scenario.url)[2];
        assert.ok(third?.headers.authorization === `Bearer ${keyA}`, 'code-server: window 1 still sends key A before it reloads');
        await notificationMatching(/^Saved images\/window-one-before-its-reload/);
        await generationEnded();

        await Promise.all([h.page.waitForEvent('load', { timeout: 60_000 }), h.workbench.runCommand('Developer: Reload Window')]);
        await h.page.locator('.explorer-folders-view').waitFor({ state: 'visible', timeout: 60_000 });
        await h.waitForCommand('CPA Image: Generate Image');
        await generate(scenario, 'window one after its reload', h.workbench, 4);
        const fourth = h.gateway.requestsFor(scenario.url)[3];
        assert.ok(fourth?.headers.authorization === `Bearer ${keyB}`, 'window 1 sends key B once reloaded');
        await notificationMatching(/^Saved images\/window-one-after-its-reload/);
        await generationEnded();
        await h.screenshot('reliability-c-window1-reloaded');

        // Neither key in any file of the server side: both windows' extension logs, settings, state, workspace.
        const logs = path.join(h.userDataDir, 'logs');
        await waitFor('window 2\'s extension log to record key B by its last four characters', () =>
          h.filesContaining(`…${keyB.slice(-4)}`, [logs]).some((f) => f.includes('cpa-image.cpa-gpt-image')),
        );
        const ownLogs = h.filesContaining('generating: model', [logs]).filter((f) => f.includes('cpa-image.cpa-gpt-image'));
        // Window 1 before its reload, window 2, window 1 after its reload: each extension host has its own log.
        assert.ok(ownLogs.length >= 2, `the extension logs of both windows were searched: ${JSON.stringify(ownLogs)}`);
        assert.deepEqual(h.filesContaining(keyA, [h.root, h.logFile]), [], 'key A is in no file');
        assert.deepEqual(h.filesContaining(keyB, [h.root, h.logFile]), [], 'key B is in no file');
      } finally {
        await second.page.close().catch(() => undefined);
        await h.page.bringToFront();
      }
    }));

  /**
   * A second browser tab on the same folder, in the same browser context: in code-server that is another VS Code
   * window, with its own extension host, sharing the browser's storage (where code-server keeps SecretStorage).
   */
  async function openSecondWindow(): Promise<Workbench> {
    const page = await h.workbench.context.newPage();
    try {
      await page.goto(`${h.codeServer.url}/?folder=${encodeURIComponent(h.workspaceDir)}`, { timeout: 60_000 });
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
      await page.locator('.explorer-folders-view').waitFor({ state: 'visible', timeout: 60_000 });
      // Workbench's constructor is private (Workbench.open starts a browser of its own, which would not share the
      // secret storage); its helpers only need the page, so one is made for this tab of the same browser.
      const WorkbenchFor = Workbench as unknown as new (browser: Browser, context: BrowserContext, page: Page) => Workbench;
      const second = new WorkbenchFor(h.workbench.browser, h.workbench.context, page);
      await waitFor('window 2 to list "CPA Image: Set API Key"', async () =>
        (await second.paletteLabels('CPA Image: Set API Key')).includes('CPA Image: Set API Key'),
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      return second;
    } catch (error) {
      await page.close().catch(() => undefined);
      throw error;
    }
  }
});
