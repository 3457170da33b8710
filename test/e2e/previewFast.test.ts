/**
 * End to end: the image preview when a generation is over before its webview has even loaded — the usual case with
 * a fast gateway (scenario `ok` answers in a few milliseconds). The panel opens beside the editor when the run
 * starts; whatever the order in which the webview loads and the run ends, it must end up showing the run's outcome:
 * the final image with its prompt, the failure message of a failed run, the edited image of an Edit Image run.
 * Each case starts from a closed panel (resetWorkspace closes every editor), as in the main suite, so each run opens
 * a new webview, whose `ready` comes in while the run is still saving or just after it ended. (A render started on
 * such a `ready` used to reset the panel to "No image yet" with the new image listed below it; that takes a loaded
 * machine, e.g. this file run beside extension.test.ts, where it failed the second-run and Edit Image cases.)
 * The content of the webview lives in nested iframes; it is found by the `data-testid` attributes src/webview/preview.ts
 * draws.
 *
 * Run: export PATH=/work/main/.tools/node24/node_modules/.bin:$PATH; npm run -s package &&
 *      node --import tsx --test --test-concurrency=1 test/e2e/previewFast.test.ts
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { makePng } from '../gateway/images';
import { Harness, isPng, makeTestKey, waitFor } from './harness';
import { withoutProvenance } from '../gateway/inspect';
import { removeInside } from '../support/removeInside';

const apiKey = makeTestKey();
const guide = 'docs/guide.md';
const caseTimeout = { timeout: 180_000 };
/** How long the panel may take to show the outcome of a run that has already ended (the machine may be loaded). */
const shownWithin = 45_000;

describe('Image preview after fast generations in a real VS Code', { timeout: 20 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-previewFast.log' });
    await h.setApiKey(apiKey);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
    await removeInside(h.workspaceDir, 'docs/photo.png');
    await removeInside(h.workspaceDir, 'docs/photo-edit.png');
  });

  /** Runs a case; on failure keeps a screenshot and says what each webview frame held. */
  const scene = (name: string, body: () => Promise<void>) =>
    h.scene(`previewFast-${name}`, body, async () => ['webview frames:', ...(await describeFrames()).map((f) => `  ${f}`)]);

  /** For a failure message: the URL of each frame and, for ours, whether it has drawn and what. */
  async function describeFrames(): Promise<string[]> {
    const lines: string[] = [];
    for (const frame of h.page.frames()) {
      if (frame === h.page.mainFrame() || frame.isDetached()) continue;
      const info = await frame
        .evaluate(
          `(() => {
            const root = document.querySelector('[data-testid="preview-root"]');
            if (!root) return 'no preview root';
            const current = document.getElementById('current');
            return 'readyState=' + document.readyState + ' drawn=' + document.body.getAttribute('data-ready') + ' current=' + (current && current.getAttribute('data-kind')) +
              ' text=' + JSON.stringify((current && current.textContent || '').slice(0, 160));
          })()`,
        )
        .catch((e: unknown) => `unreadable: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      lines.push(`${frame.url().slice(0, 120)} → ${String(info)}`);
    }
    return lines;
  }

  /** The tab of the preview panel in the editor area. */
  function previewTab() {
    return h.page.locator('.editor-group-container .tab', { hasText: 'Image Preview' });
  }

  /**
   * The frame of our webview once its top part shows `kind` (`entry`, `failed`, …) — a bounded wait on what the user
   * sees, however late the webview loaded compared with the run.
   */
  async function previewShowing(kind: string): Promise<Frame> {
    return waitFor(
      `the preview to show a "${kind}" state`,
      async () => {
        for (const frame of h.page.frames()) {
          if (frame === h.page.mainFrame() || frame.isDetached()) continue;
          const shown = await frame.locator(`body[data-ready="true"] #current[data-kind="${kind}"]`).count().catch(() => 0);
          if (shown > 0) return frame;
        }
        return undefined;
      },
      { timeoutMs: shownWithin, intervalMs: 200 },
    );
  }

  async function currentText(frame: Frame, testid: string): Promise<string> {
    return (await frame.locator(`#current [data-testid="${testid}"]`).first().innerText()).trim();
  }

  /** The displayed size of the final image, once it has loaded from the saved file (under the strict CSP). */
  async function finalImageSize(frame: Frame): Promise<{ width: number; height: number }> {
    const image = frame.locator('#current img[data-kind="final"]');
    await image.waitFor({ state: 'visible', timeout: shownWithin });
    return waitFor('the final image to load', async () => {
      const size = await image.evaluate((img) => ({
        width: (img as HTMLImageElement).naturalWidth,
        height: (img as HTMLImageElement).naturalHeight,
      }));
      return size.width > 0 ? size : undefined;
    });
  }

  async function savedNotification(): Promise<string> {
    const saved = await waitFor(
      'the "Saved" notification',
      async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Saved ')),
      { timeoutMs: 60_000 },
    );
    await waitFor('the progress notification and the status bar item to go', async () =>
      !(await h.workbench.notificationTexts()).some((t) => t.includes('Generating image')) &&
      (await h.workbench.statusBarItem(/CPA Image:/).count()) === 0,
    );
    return saved;
  }

  it('a fast generation from the palette: the panel that opened shows the final image and its prompt', caseTimeout, () =>
    scene('generate', async () => {
      const scenario = await h.useScenario('ok', undefined, { 'cpaImage.preview.openOnGenerate': true });
      const prompt = 'a watercolor fox reading a book';
      await h.openFile(guide);
      await h.workbench.goTo(3, 1);
      await h.page.keyboard.press('End');
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput(prompt);
      await h.gateway.waitForRequest(scenario.url);
      await savedNotification();
      const files = await h.listFiles('docs/images');
      assert.equal(files.length, 1, JSON.stringify(files));
      const image = files[0] as string;
      assert.ok(isPng(await readFile(path.join(h.workspaceDir, image))));

      await previewTab().first().waitFor({ state: 'visible', timeout: 15_000 });
      const frame = await previewShowing('entry');
      assert.deepEqual(await finalImageSize(frame), { width: 8, height: 8 }, 'the saved 8x8 image is displayed');
      assert.equal(await currentText(frame, 'current-prompt'), prompt);
      assert.equal(await currentText(frame, 'current-path'), image);
      assert.equal(await currentText(frame, 'current-caption'), 'Final image');
      const history = await frame.locator('[data-testid="history-prompt"]').allInnerTexts();
      assert.deepEqual(history.map((t) => t.trim()), [prompt]);
      // The panel did not take the document's place: the document is still the active editor.
      assert.equal(
        (await h.page.locator('.editor-group-container.active .tab.active').innerText()).replace(/\s+/g, ''),
        'guide.md',
      );
      await h.screenshot('previewFast-generate');
    }));

  it('a second fast generation into the panel that is already open shows the new image, not the old one', caseTimeout, () =>
    scene('second-run', async () => {
      await h.useScenario('ok', { width: 40, height: 30 }, { 'cpaImage.preview.openOnGenerate': true });
      await h.openFile(guide);
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a lighthouse at dusk');
      await savedNotification();
      const first = await previewShowing('entry');
      assert.deepEqual(await finalImageSize(first), { width: 40, height: 30 });
      await h.workbench.runCommand('Notifications: Clear All Notifications');

      // The panel stays open beside the document; the next run must replace what it shows.
      await h.savedText(guide);
      await h.useScenario('ok', { width: 24, height: 36 }, { 'cpaImage.preview.openOnGenerate': true });
      await h.workbench.openFile(guide);
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a fox under the northern lights');
      await savedNotification();
      assert.equal(await previewTab().count(), 1, 'one panel');
      const frame = await previewShowing('entry');
      await waitFor('the preview to show the second prompt', async () =>
        (await currentText(frame, 'current-prompt').catch(() => '')) === 'a fox under the northern lights',
      { timeoutMs: shownWithin });
      assert.deepEqual(await finalImageSize(frame), { width: 24, height: 36 });
      const history = await frame.locator('[data-testid="history-prompt"]').allInnerTexts();
      assert.deepEqual(history.map((t) => t.trim()), ['a fox under the northern lights', 'a lighthouse at dusk', 'a watercolor fox reading a book']);
      await h.screenshot('previewFast-second-run');
    }));

  it('a failed generation: the panel shows the failure and the prompt, not a blank page', caseTimeout, () =>
    scene('failed', async () => {
      const scenario = await h.useScenario('auth-string-error', undefined, { 'cpaImage.preview.openOnGenerate': true });
      const prompt = 'a fox that will never be drawn';
      await h.openFile(guide);
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput(prompt);
      await h.gateway.waitForRequest(scenario.url);
      await waitFor('the error notification', async () =>
        (await h.workbench.notificationTexts()).some((t) => /rejected the API key/.test(t)),
      );
      await previewTab().first().waitFor({ state: 'visible', timeout: 15_000 });
      const frame = await previewShowing('failed');
      assert.equal(await currentText(frame, 'current-state'), 'Failed');
      assert.equal(await currentText(frame, 'current-prompt'), prompt);
      assert.match(await currentText(frame, 'current-error'), /rejected the API key \(HTTP 401\)/);
      assert.ok(!(await currentText(frame, 'current-error')).includes(apiKey), 'never the key');
      assert.deepEqual(await h.listFiles('docs/images'), []);
      await h.screenshot('previewFast-failed');
    }));

  it('Edit Image on a PNG (command cpaImage.editImage): the panel shows the edited image', caseTimeout, () =>
    scene('edit-image', async () => {
      const scenario = await h.useScenario('ok', { width: 36, height: 20 }, { 'cpaImage.preview.openOnGenerate': true });
      await mkdir(path.join(h.workspaceDir, 'docs'), { recursive: true });
      await writeFile(path.join(h.workspaceDir, 'docs', 'photo.png'), makePng(24, 16));
      // Open the PNG in VS Code's image preview; its title bar offers "Edit Image…" (the command cpaImage.editImage).
      // The keyboard is inside that editor's webview then, so the button is clicked rather than the palette used.
      await h.page.keyboard.press('Escape');
      await h.page.keyboard.press('Control+P');
      await h.workbench.quickInputBox.fill('docs/photo.png');
      await h.page.locator('.quick-input-list .monaco-list-row', { hasText: 'photo.png' }).first().click();
      await h.page.locator('.editor-group-container.active .tab.active', { hasText: 'photo.png' }).waitFor({ state: 'visible', timeout: 30_000 });
      const button = h.page.locator('.editor-group-container.active .editor-actions .action-label[aria-label^="Edit Image"]').first();
      await button.waitFor({ state: 'visible', timeout: 30_000 });
      await button.click();
      const title = h.page.locator('.quick-input-widget .quick-input-title');
      await waitFor('the Edit Image input box for photo.png', async () =>
        (await title.isVisible()) && (await title.innerText()).includes('Edit Image: photo.png'),
      );
      const instruction = 'make it night, with snow falling';
      await h.workbench.typeInQuickInput(instruction);

      const request = await h.gateway.waitForRequest(scenario.url);
      assert.equal((request.json as { tools?: { action?: unknown }[] }).tools?.[0]?.action, 'edit');
      const saved = await savedNotification();
      assert.ok(saved.includes('docs/photo-edit.png'), saved);
      const edited = await readFile(path.join(h.workspaceDir, 'docs', 'photo-edit.png'));
      assert.deepEqual(withoutProvenance(edited), h.gateway.imageFor(scenario.url));

      await previewTab().first().waitFor({ state: 'visible', timeout: 15_000 });
      const frame = await previewShowing('entry');
      assert.deepEqual(await finalImageSize(frame), { width: 36, height: 20 }, 'the edited image, not the original 24x16');
      assert.equal(await currentText(frame, 'current-prompt'), instruction);
      assert.equal(await currentText(frame, 'current-path'), 'docs/photo-edit.png');
      assert.equal(await frame.locator('#current [data-testid="current-empty"]').count(), 0, 'not "No image yet"');
      await h.screenshot('previewFast-edit-image');
    }));
});
