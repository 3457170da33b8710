/**
 * End to end: the image preview panel and the image history (SPEC §7) in a real VS Code (code-server), driven in
 * Chromium like a user drives it. The preview is a webview: its content lives in nested iframes, found here by the
 * `data-testid` attributes src/webview/preview.ts puts on what it draws. One code-server session with its own loopback
 * gateway serves the file, but every case starts from the same state and builds what it needs itself: before each
 * case any generation still running is cancelled, every editor (the panel too) is closed, the sample files are
 * rewritten, the images folders removed and the history cleared through "Clear Image History" — each step waited
 * for. So a case passes alone (`--test-name-pattern`) and after another one failed half-way.
 *
 * Run: export PATH=/work/main/.tools/node24/node_modules/.bin:$PATH; npm run -s package &&
 *      node --import tsx --test --test-concurrency=1 test/e2e/preview.test.ts
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { removeInside } from '../support/removeInside';
import { Harness, isPng, makeTestKey, waitFor, type Scenario } from './harness';
import { withoutProvenance } from '../gateway/inspect';

const apiKey = makeTestKey();
const guide = 'docs/guide.md';
// Generous: every settings change reloads the window, and the machine may be busy (E2E_STRESS=1).
const caseTimeout = { timeout: 480_000 };

/** The recorded body of a /v1/responses request. */
interface ResponsesBody {
  model?: unknown;
  input?: unknown;
  stream?: unknown;
  tools?: Record<string, unknown>[];
}

/**
 * Runs in the webview: records every change of the main image (kind, partial number, caption) in `window.__shown`,
 * from now on, so no step can be missed between two polls.
 */
const recordShownImages = `(() => {
  const seen = [];
  const statuses = [];
  window.__shown = seen;
  window.__statuses = statuses;
  const record = () => {
    const status = document.querySelector('#current [data-testid="current-status"]')?.textContent ?? '';
    if (status !== '' && statuses[statuses.length - 1] !== status) statuses.push(status);
    const image = document.querySelector('#current [data-testid="current-image"]');
    const caption = document.querySelector('#current [data-testid="current-caption"]')?.textContent ?? '';
    const item = image
      ? { kind: image.getAttribute('data-kind') ?? '', index: image.getAttribute('data-index') ?? '', caption, src: (image.getAttribute('src') ?? '').slice(0, 40) }
      : { kind: 'none', index: '', caption, src: '' };
    const last = seen[seen.length - 1];
    if (!last || last.kind !== item.kind || last.index !== item.index) seen.push(item);
  };
  record();
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true });
})()`;

/** What the preview showed as its main image, in the order it showed it. */
interface Shown {
  kind: string;
  index: string;
  caption: string;
  /** The start of the image's src. */
  src: string;
}

describe('Image preview panel and history in a real VS Code', { timeout: 20 * 60_000 }, () => {
  let h: Harness;
  const streamedPrompt = 'a fox made of autumn leaves';
  /** What the gateway receives for it: the asked size (cpaImage.size below) is also stated in the prompt (cpaImage.sizeInPrompt). */
  const streamedInput = `${streamedPrompt}\n\nImage size: 1536×1024 (landscape).`;
  const harbourPrompt = 'a quiet harbour at dawn';
  /** The settings of the streamed run: Regenerate must repeat them, not the settings changed since. */
  const streamedSettings = { 'cpaImage.stream': true, 'cpaImage.partialImages': 2, 'cpaImage.size': '1536x1024', 'cpaImage.quality': 'high' };

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-preview.log' });
    await h.setApiKey(apiKey);
    await h.workbench.runCommand('Notifications: Clear All Notifications');
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await generationStopped();
    await h.resetWorkspace();
    await clearHistory();
  }, { timeout: 180_000 });

  /** A case that failed half-way may have left a run going: cancel it and wait until it has ended. */
  async function generationStopped(): Promise<void> {
    if ((await h.workbench.statusBarItem(/CPA Image:/).count()) > 0) {
      await h.page.keyboard.press('Escape');
      await h.workbench.runCommand('CPA Image: Cancel Image Generation').catch(() => undefined);
    }
    await waitFor('no generation running', async () => (await h.workbench.statusBarItem(/CPA Image:/).count()) === 0, { timeoutMs: 60_000 });
  }

  /**
   * "Clear Image History" until it answers that the history is empty: the proof that no entry of an earlier case
   * is left (the command confirms in a modal dialog when there are entries, and says "empty" when there are none).
   */
  async function clearHistory(): Promise<void> {
    await h.workbench.runCommand('Notifications: Clear All Notifications');
    const confirm = h.page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Clear History' });
    for (let attempt = 1; ; attempt += 1) {
      await h.workbench.runCommand('CPA Image: Clear Image History');
      const outcome = await waitFor('the history to be cleared or reported empty', async () => {
        if ((await h.workbench.notificationTexts()).some((t) => t.includes('The image history is empty.'))) return 'empty';
        return (await confirm.isVisible()) ? 'confirm' : undefined;
      });
      if (outcome === 'empty') break;
      assert.ok(attempt < 5, 'the history is still not empty after clearing it four times');
      await confirm.click();
      await waitFor('the confirmation to close', async () => !(await confirm.isVisible()));
    }
    await h.workbench.runCommand('Notifications: Clear All Notifications');
  }

  /** Runs a case; on failure keeps a screenshot of what the user would have seen (Harness.scene). */
  const scene = (name: string, body: () => Promise<void>) => h.scene(`preview-${name}`, body);

  /** The frame of our webview (the inner iframe that holds src/webview/preview.ts's page), once it has drawn. */
  async function preview(): Promise<Frame> {
    return waitFor('the preview webview', async () => {
      for (const frame of h.page.frames()) {
        if (frame === h.page.mainFrame() || frame.isDetached()) continue;
        const ready = await frame.locator('body[data-ready="true"] [data-testid="preview-root"]').count().catch(() => 0);
        if (ready > 0) return frame;
      }
      return undefined;
    }, { timeoutMs: 30_000 });
  }

  /** The text of the element `testid` in the preview's top part. */
  async function currentText(frame: Frame, testid: string): Promise<string> {
    return (await frame.locator(`#current [data-testid="${testid}"]`).first().innerText()).trim();
  }

  /** The history items as the panel lists them: id, prompt, whether the file exists, whether Insert is enabled. */
  async function historyItems(frame: Frame): Promise<{ id: string; prompt: string; exists: boolean; insertEnabled: boolean; regenerateEnabled: boolean }[]> {
    return frame.locator('[data-testid="history-item"]').evaluateAll((items) =>
      items.map((item) => ({
        id: item.getAttribute('data-entry-id') ?? '',
        prompt: item.querySelector('[data-testid="history-prompt"]')?.textContent ?? '',
        exists: item.getAttribute('data-exists') === 'true',
        insertEnabled: !(item.querySelector('[data-testid="history-insert"]') as HTMLButtonElement | null)?.disabled,
        regenerateEnabled: !(item.querySelector('[data-testid="history-regenerate"]') as HTMLButtonElement | null)?.disabled,
      })),
    );
  }

  /** The tab of the preview panel in the editor area. */
  function previewTab() {
    return h.page.locator('.editor-group-container .tab', { hasText: 'Image Preview' });
  }

  /** Waits for the "Saved …" notification of a finished run and for the progress to go. */
  async function runFinished(): Promise<void> {
    await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), {
      timeoutMs: 60_000,
    });
    await waitFor('the progress notification and the status bar item to go', async () =>
      !(await h.workbench.notificationTexts()).some((t) => t.includes('Generating image')) &&
      (await h.workbench.statusBarItem(/CPA Image:/).count()) === 0,
    );
  }

  /**
   * Builds a case's history through the palette: generates `prompt` from the end of line 5 of the guide under
   * `scenario` (its `count`-th request) and waits until the run has saved its image and ended. Returns that image.
   */
  async function generate(scenario: Scenario, prompt: string, count: number): Promise<string> {
    const before = await h.listFiles('docs/images');
    await h.workbench.runCommand('Notifications: Clear All Notifications');
    await h.savedText(guide); // the link of an earlier run is saved, so the editor shows what is on disk
    await h.openFile(guide);
    await h.workbench.goTo(5, 1);
    await h.page.keyboard.press('End');
    await h.workbench.runCommand('CPA Image: Generate Image');
    await h.workbench.typeInQuickInput(prompt);
    await h.gateway.waitForRequest(scenario.url, count);
    await runFinished();
    const added = (await h.listFiles('docs/images')).filter((f) => !before.includes(f));
    assert.equal(added.length, 1, `one new image: ${JSON.stringify(added)}`);
    return added[0] as string;
  }

  /**
   * The history the later cases start from, built by the case itself: the harbour (non-streamed), the streamed fox
   * with `streamedSettings`, and with `regenerated` a second fox (the newest entry, `…-2.png`).
   */
  async function seedHistory(options: { harbour: boolean; regenerated: boolean }): Promise<{ harbourImage: string; streamedImage: string; regeneratedImage: string; streamedUrl: string }> {
    // One settings change (each one reloads the window): the harbour is made with the same settings as the fox.
    const streamed = await h.useScenario('ok', { width: 480, height: 320 }, streamedSettings);
    let sent = 0;
    const harbourImage = options.harbour ? await generate(streamed, harbourPrompt, ++sent) : '';
    const streamedImage = await generate(streamed, streamedPrompt, ++sent);
    const regeneratedImage = options.regenerated ? await generate(streamed, streamedPrompt, ++sent) : '';
    const frame = await preview();
    await waitFor('the preview to show the newest image', async () =>
      (await currentText(frame, 'current-path').catch(() => '')) === (regeneratedImage || streamedImage),
    );
    return { harbourImage, streamedImage, regeneratedImage, streamedUrl: streamed.url };
  }

  it('with cpaImage.preview.openOnGenerate off, a generation opens no panel; "Show Image Preview" then shows its image', caseTimeout, () =>
    scene('open-on-generate-off', async () => {
      const scenario = await h.useScenario('ok', { width: 480, height: 320 }, { 'cpaImage.preview.openOnGenerate': false });
      await h.openFile(guide);
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a quiet harbour at dawn');
      await h.gateway.waitForRequest(scenario.url);
      await runFinished();
      const files = await h.listFiles('docs/images');
      assert.equal(files.length, 1, JSON.stringify(files));
      const firstImage = files[0] as string;
      assert.equal(await previewTab().count(), 0, 'no preview panel opened');

      await h.workbench.runCommand('CPA Image: Show Image Preview');
      await previewTab().first().waitFor({ state: 'visible', timeout: 15_000 });
      const frame = await preview();
      await frame.locator('#current img[data-kind="final"]').waitFor({ state: 'visible', timeout: 15_000 });
      assert.equal(await currentText(frame, 'current-prompt'), 'a quiet harbour at dawn');
      assert.equal(await currentText(frame, 'current-path'), firstImage);
      await h.screenshot('preview-show-command');
    }));

  it('opens beside the editor when a generation starts, shows partial image 1 and 2 before the final image, then its prompt, size and time', caseTimeout, () =>
    scene('streaming', async () => {
      const scenario = await h.useScenario(
        // 1.5 s between events: the checks made while a partial image is up stay ahead of the final image.
        'slow',
        { delayMs: 1500, width: 480, height: 320 },
        streamedSettings,
      );
      await h.openFile(guide);
      await h.workbench.goTo(5, 1);
      await h.page.keyboard.press('End');
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput(streamedPrompt);
      await h.gateway.waitForRequest(scenario.url);

      await previewTab().first().waitFor({ state: 'visible', timeout: 15_000 });
      const frame = await preview();
      // Record every change of the main image from now on, in the webview itself, so no step can be missed.
      // (A string, not a function: tsx would wrap a function's inner helpers in a `__name` the webview lacks.)
      await frame.evaluate(recordShownImages);
      const shown = async (): Promise<Shown[]> => (await frame.evaluate('window.__shown')) as Shown[];

      // The panel did not take the keyboard: the document is still the active editor.
      assert.equal(
        (await h.page.locator('.editor-group-container.active .tab.active').innerText()).replace(/\s+/g, ''),
        'guide.md',
        'the document stays the active editor',
      );
      assert.match((await h.workbench.activeEditor.getAttribute('class')) ?? '', /\bfocused\b/, 'the editor keeps the keyboard');
      assert.equal(await currentText(frame, 'current-prompt'), streamedPrompt);

      await waitFor('partial image 1 in the preview', async () => (await shown()).some((s) => s.kind === 'partial' && s.index === '1'), {
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      // What the panel showed while the partial image was up, as recorded then: on a busy machine the next event
      // (the final image "receiving") can replace the status before a poll reads it.
      const partialShown = (await shown()).find((s) => s.kind === 'partial' && s.index === '1');
      assert.match(partialShown?.caption ?? '', /^partial image 1\/2$/);
      const statuses = (await frame.evaluate('window.__statuses')) as string[];
      assert.ok(statuses.some((status) => /partial image [12]\/2 · \d+:\d\d/.test(status)), `the status named a partial image: ${JSON.stringify(statuses)}`);
      await h.screenshot('preview-partial');
      // A partial image is shown from the bytes that streamed in (a data: URL), not from a file.
      assert.match(partialShown?.src ?? '', /^data:image\/png;base64,/);
      assert.deepEqual(await h.listFiles('docs/images'), [], 'nothing saved yet while partial images stream');

      await frame.locator('#current img[data-kind="final"]').waitFor({ state: 'visible', timeout: 60_000 });
      await runFinished();
      const sequence = (await shown()).filter((s) => s.kind !== 'none');
      assert.deepEqual(
        sequence.map((s) => `${s.kind}${s.index}`),
        ['partial1', 'partial2', 'final'],
        `partial images 1 and 2 before the final image: ${JSON.stringify(sequence)}`,
      );
      assert.deepEqual(sequence.slice(0, 2).map((s) => s.caption), ['partial image 1/2', 'partial image 2/2']);

      const files = await h.listFiles('docs/images');
      assert.equal(files.length, 1, `one image was saved: ${JSON.stringify(files)}`);
      const streamedImage = files[0] as string;
      const bytes = await readFile(path.join(h.workspaceDir, streamedImage));
      assert.ok(isPng(bytes));
      assert.deepEqual(withoutProvenance(bytes), h.gateway.imageFor(scenario.url));

      // The final image is the saved file, loaded through the webview's resource roots under the strict CSP.
      const natural = await frame
        .locator('#current img[data-kind="final"]')
        .evaluate((img) => ({ width: (img as HTMLImageElement).naturalWidth, height: (img as HTMLImageElement).naturalHeight }));
      assert.deepEqual(natural, { width: 480, height: 320 }, 'the saved image is displayed');
      assert.equal(await currentText(frame, 'current-caption'), 'Final image');
      assert.equal(await currentText(frame, 'current-prompt'), streamedPrompt);
      assert.match(await currentText(frame, 'current-revised-prompt'), new RegExp(`A detailed illustration of ${streamedPrompt}`));
      assert.equal(await currentText(frame, 'current-size'), '480x320', 'the size the gateway reported');
      assert.equal(await currentText(frame, 'current-model'), 'gpt-5.4');
      assert.match(await currentText(frame, 'current-details'), /quality high/);
      assert.match(await currentText(frame, 'current-time'), /^\d+\.\d s$/);
      assert.equal(await currentText(frame, 'current-path'), streamedImage);
      const buttons = (await frame.locator('#current .actions button').allInnerTexts()).map((t) => t.trim());
      assert.deepEqual(buttons, ['Insert', 'Regenerate', 'Copy Path', 'Reveal in Explorer', 'Edit…', 'Edit Region…']);
      await h.screenshot('preview-final');

      // The CSP of the panel: nothing remote, scripts only with a nonce.
      const csp = await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      assert.match(csp ?? '', /default-src 'none'/);
      assert.match(csp ?? '', /script-src 'nonce-[^']+'/);
      assert.doesNotMatch(csp ?? '', /unsafe-inline|unsafe-eval|https?:\/\/(?!\S*vscode)/);
    }));

  it('Insert puts the link into the document the generation started from, at its cursor; Copy Path copies the path', caseTimeout, () =>
    scene('insert', async () => {
      const { streamedImage } = await seedHistory({ harbour: false, regenerated: false });
      const link = `![${streamedPrompt}](images/${path.posix.basename(streamedImage)})`;
      // The normal insert already put one link after line 5 when the run ended.
      await waitFor('the link of the run in the editor', async () => (await h.workbench.editorText()).includes(link));
      const before = await h.savedText(guide);
      assert.equal(before.split(link).length - 1, 1);
      // The user moves on to the end of the document, then chooses Insert in the panel.
      await h.workbench.cursorToEnd();
      const frame = await preview();
      await frame.locator('#current [data-testid="action-insert"]').click();
      await waitFor('the second link in the editor', async () => (await h.workbench.editorText()).split(link).length - 1 === 2);
      const after = await h.savedText(guide);
      assert.equal(after.split(link).length - 1, 2, after);
      assert.equal(after.trimEnd().slice(-link.length), link, 'inserted at the cursor, at the end of the document');
      assert.equal(after.slice(0, after.lastIndexOf(link)).trimEnd(), before.trimEnd(), 'nothing else changed');
      await h.screenshot('preview-insert');

      await (await preview()).locator('#current [data-testid="action-copy-path"]').click();
      const expected = path.join(h.workspaceDir, streamedImage);
      const copied = await waitFor('the path on the clipboard', async () => {
        const text = await h.page.evaluate(() => navigator.clipboard.readText());
        return text === expected ? text : undefined;
      });
      assert.equal(copied, expected);
      await waitFor('the "Copied" status bar message', async () => (await h.workbench.statusBarTexts()).some((t) => t.includes(`Copied ${expected}`)));

      // Edit… hands the image to "Edit Image…", which asks for the change to make to this very file.
      await (await preview()).locator('#current [data-testid="action-edit"]').click();
      const title = h.page.locator('.quick-input-widget .quick-input-title');
      await waitFor('the Edit Image input box', async () => (await title.isVisible()) && (await title.innerText()).includes(path.posix.basename(streamedImage)));
      assert.match(await title.innerText(), /Edit Image/);
      await h.screenshot('preview-edit');
      await h.page.keyboard.press('Escape');
      await waitFor('the input box to close', async () => !(await h.workbench.quickInput.isVisible()));
    }));

  it('Regenerate sends the same prompt and settings again (not the settings changed since) and adds the new image to the history', caseTimeout, () =>
    scene('regenerate', async () => {
      const { streamedImage, streamedUrl: scenarioUrl } = await seedHistory({ harbour: true, regenerated: false });
      const first = h.gateway.requestsFor(scenarioUrl).filter((r) => (r.json as ResponsesBody | undefined)?.input === streamedInput);
      assert.equal(first.length, 1);
      // The user changes the settings meanwhile: Regenerate still repeats the entry's own settings.
      await h.setUserSettings({
        'cpaImage.baseUrl': scenarioUrl,
        'cpaImage.stream': true,
        'cpaImage.partialImages': 2,
        'cpaImage.quality': 'low',
      });
      const documentBefore = await h.savedText(guide);
      const frame = await preview();
      const sentBefore = h.gateway.requestsFor(scenarioUrl).length;
      await frame.locator('#current [data-testid="action-regenerate"]').click();
      const second = await h.gateway.waitForRequest(scenarioUrl, sentBefore + 1);
      const a = first[0]?.json as ResponsesBody;
      const b = second.json as ResponsesBody;
      assert.equal(b.input, streamedInput, 'the same prompt, with the same size phrase');
      assert.equal(b.model, a.model, 'the same model');
      assert.deepEqual(b.tools, a.tools, 'the same image tool settings');
      assert.equal(b.tools?.[0]?.['quality'], 'high', 'the quality of the entry, not the new setting');
      assert.equal(b.tools?.[0]?.['size'], '1536x1024');

      // The panel follows the new run (its "Generating…" state can be over before a loaded machine looks, so the
      // test waits for the outcome: the new file shown as the current image).
      await runFinished();
      const files = await h.listFiles('docs/images');
      assert.equal(files.length, 3, `a new file, the others kept: ${JSON.stringify(files)}`);
      const regeneratedImage = files.find((f) => f !== streamedImage && !f.includes('harbour')) ?? '';
      assert.equal(regeneratedImage, streamedImage.replace(/\.png$/, '-2.png'), 'next to the first one, never overwriting it');
      const again = await preview();
      await waitFor('the panel to show the regenerated image', async () =>
        (await again.locator('#current img[data-kind="final"]').isVisible()) && (await currentText(again, 'current-path')) === regeneratedImage,
      { timeoutMs: 45_000 });
      assert.equal(await h.savedText(guide), documentBefore, 'Regenerate does not insert a second link by itself');

      const items = await historyItems(again);
      assert.deepEqual(items.map((i) => i.prompt), [streamedPrompt, streamedPrompt, harbourPrompt], 'newest first');
      assert.ok(items.every((i) => i.exists && i.insertEnabled));
      await h.screenshot('preview-history');
    }));

  it('a configuration error on Regenerate shows in the panel with the actions that fix it; Open Settings opens that setting', caseTimeout, () =>
    scene('configuration-error', async () => {
      await seedHistory({ harbour: false, regenerated: false });
      // The gateway URL is removed meanwhile (useScenario sets it again for the next case).
      await h.setUserSettings({ 'cpaImage.baseUrl': '' });
      const documentBefore = await h.savedText(guide);
      const filesBefore = await h.listFiles('docs/images');
      const requestsBefore = h.gateway.requests.length;
      const frame = await preview();
      await frame.locator('#current [data-testid="action-regenerate"]').click();
      const failed = await preview();
      await failed.locator('#current [data-testid="current-state"]').filter({ hasText: 'Failed' }).waitFor({ timeout: 30_000 });
      assert.equal(await currentText(failed, 'current-prompt'), streamedPrompt);
      assert.match(await currentText(failed, 'current-error'), /^No gateway URL is configured/);
      const fixes = failed.locator('#current [data-testid="current-fix"]');
      assert.deepEqual((await fixes.allInnerTexts()).map((t) => t.trim()), ['Set Up Gateway…', 'Open Settings'], 'the same actions as the notification, less Show Log');
      await h.screenshot('preview-configuration-error');
      await fixes.filter({ hasText: 'Open Settings' }).click();
      await waitFor('the Settings editor showing only cpaImage.baseUrl', async () => {
        const labels = await h.page.locator('.settings-editor .setting-item-label').allInnerTexts().catch(() => [] as string[]);
        return labels.length === 1 && labels[0]?.trim() === 'Base Url' ? true : undefined;
      });
      await h.screenshot('preview-configuration-error-settings');
      assert.equal(h.gateway.requests.length, requestsBefore, 'nothing was sent');
      assert.deepEqual(await h.listFiles('docs/images'), filesBefore, 'no file written');
      assert.equal(await h.savedText(guide), documentBefore, 'the document is unchanged');
    }));

  it('an image deleted outside VS Code keeps its history entry: shown as deleted, Insert disabled, Regenerate still offered', caseTimeout, () =>
    scene('deleted-file', async () => {
      const { harbourImage } = await seedHistory({ harbour: true, regenerated: true });
      await removeInside(h.workspaceDir, harbourImage, { force: false });
      const frame = await preview();
      const items = await waitFor('the history to mark the entry as deleted', async () => {
        const list = await historyItems(frame);
        return list.find((i) => i.prompt === 'a quiet harbour at dawn' && !i.exists) ? list : undefined;
      });
      const deleted = items.find((i) => i.prompt === 'a quiet harbour at dawn');
      assert.deepEqual(
        { exists: deleted?.exists, insert: deleted?.insertEnabled, regenerate: deleted?.regenerateEnabled },
        { exists: false, insert: false, regenerate: true },
      );
      assert.equal(items.length, 3, 'no entry lost');
      assert.ok(items.filter((i) => i !== deleted).every((i) => i.exists), 'the other entries are untouched');
      const deletedItem = frame.locator(`[data-testid="history-item"][data-entry-id="${deleted?.id}"]`);
      assert.equal((await deletedItem.locator('[data-testid="history-deleted"]').innerText()).trim(), 'file deleted');

      // Choosing it shows what is known about it, with Insert disabled and Regenerate enabled.
      await deletedItem.locator('[data-testid="history-prompt"]').click();
      await frame.locator('#current [data-testid="current-deleted"]').waitFor({ timeout: 10_000 });
      assert.equal(await currentText(frame, 'current-prompt'), 'a quiet harbour at dawn');
      assert.equal(await frame.locator('#current [data-testid="action-insert"]').isDisabled(), true);
      assert.equal(await frame.locator('#current [data-testid="action-regenerate"]').isDisabled(), false);
      assert.match(await currentText(frame, 'current-path'), /\(file deleted\)$/);
      await h.screenshot('preview-history-deleted');
    }));

  it('the history survives a window reload, in the panel ("Show Image History") and in the Explorer view', caseTimeout, () =>
    scene('reload', async () => {
      const { harbourImage, regeneratedImage } = await seedHistory({ harbour: true, regenerated: true });
      await removeInside(h.workspaceDir, harbourImage, { force: false });
      await h.workbench.runCommand('Developer: Reload Window');
      await h.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
      await h.waitForCommand('CPA Image: Show Image History');
      // VS Code brings the panel back by itself, in its place, showing the newest image.
      await previewTab().first().waitFor({ state: 'visible', timeout: 30_000 });
      const restored = await preview();
      await restored.locator('#current img[data-kind="final"]').waitFor({ state: 'visible', timeout: 15_000 });
      assert.equal(await currentText(restored, 'current-path'), regeneratedImage);
      await h.workbench.runCommand('CPA Image: Show Image History');
      assert.equal(await previewTab().count(), 1, 'one panel, not a second one');
      assert.equal(await h.page.locator('.editor-group-container').count(), 2, 'the document and the panel, no empty group');
      const frame = await preview();
      const items = await waitFor('the history after the reload', async () => {
        const list = await historyItems(frame);
        return list.length === 3 ? list : undefined;
      });
      assert.deepEqual(
        items.map((i) => [i.prompt, i.exists]),
        [
          [streamedPrompt, true],
          [streamedPrompt, true],
          ['a quiet harbour at dawn', false],
        ],
      );
      // The thumbnails of the existing files load; the deleted one shows a placeholder instead.
      await waitFor('the thumbnails to load', async () => {
        const sizes = await frame
          .locator('[data-testid="history-thumb"]')
          .evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth));
        return sizes.length === 2 && sizes.every((w) => w === 480);
      });
      assert.equal(await frame.locator('[data-testid="history-deleted"]').count(), 1);
      await h.screenshot('preview-after-reload');

      // The Explorer's "CPA Image History" view lists the same entries.
      await h.workbench.runCommand('View: Show Explorer');
      const header = h.page.locator('.pane-header', { hasText: 'CPA Image History' });
      await header.waitFor({ state: 'visible', timeout: 15_000 });
      if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
      const pane = h.page.locator('.pane', { has: header });
      const rows = pane.locator('.monaco-list-row');
      await waitFor('the history view to list the entries', async () => (await rows.count()) === 3);
      const labels = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
      assert.ok(labels[0]?.startsWith(streamedPrompt), JSON.stringify(labels));
      assert.match(labels[2] ?? '', /a quiet harbour at dawn.*file deleted/);
      await h.screenshot('preview-history-view');
    }));
});
