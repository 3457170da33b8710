/**
 * End to end (issue 12): the saved image fits the document in the packaged extension. Against a gateway that sends
 * 1536×1024 whatever is asked (`ignores-size`), with cpaImage.size 1024x1536, cpaImage.fit crop, cpaImage.save.format
 * webp and cpaImage.save.maxWidth 800, "Generate Image" saves a WebP of 800×1200, inserts a link ending in .webp, the
 * request states the size in the prompt, and the notification says what happened.
 *
 * Run: export PATH=$(bash scripts/node24.sh):$PATH; E2E_STRESS=1 E2E_FILES="test/e2e/fit.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Harness, makeTestKey, waitFor } from './harness';
import { checkWebp, readPngPixels } from '../gateway/inspect';
import { removeInside } from '../support/removeInside';
import { BUILT_IN_STYLES } from '../../src/core/prompt/styles';

const apiKey = makeTestKey();
const guide = 'docs/guide.md';

describe('Images that fit the document, in a real VS Code', { timeout: 10 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-fit.log' });
    await h.setApiKey(apiKey);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
    await h.workbench.runCommand('Notifications: Clear All Notifications');
  });

  it('crop to the asked portrait size, WebP at most 800 wide: the file, the link and the notification say so', { timeout: 180_000 }, async () => {
    try {
      const scenario = await h.useScenario('ignores-size', {}, {
        'cpaImage.size': '1024x1536',
        'cpaImage.fit': 'crop',
        'cpaImage.save.format': 'webp',
        'cpaImage.save.maxWidth': 800,
      });
      await h.openFile(guide);
      await h.workbench.goTo(3, 1);
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a tall lighthouse');

      const request = await h.requestTo(scenario);
      assert.equal((request.json as { input?: unknown }).input, 'a tall lighthouse\n\nImage size: 1024×1536 (portrait).');

      const note = await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Saved ')), {
        timeoutMs: 60_000,
      });
      assert.match(note, /^Saved docs\/images\/[^ ]+\.webp \(asked 1024×1536, gateway sent 1536×1024, cropped, downscaled to 800×1200, converted PNG to WebP\)$/);
      await h.screenshot('fit-notification');
      const files = await h.listFiles('docs/images');
      assert.equal(files.length, 1, JSON.stringify(files));
      const image = files[0] as string;
      assert.match(image, /\.webp$/);
      assert.deepEqual(checkWebp(await readFile(path.join(h.workspaceDir, image))), { width: 800, height: 1200 });
      await waitFor('the .webp link in the editor', async () => (await h.workbench.editorText()).includes(`](images/${path.posix.basename(image)})`));
    } catch (error) {
      await h.screenshot('fit-FAILED').catch(() => undefined);
      if (error instanceof Error) error.message += `\n  notifications: ${JSON.stringify(await h.workbench.notificationTexts().catch(() => []))}`;
      throw error;
    }
  });

  it('the aspect chosen in the prompt box is sent as the size, the image is fitted to it, and the choice is kept for the next time', { timeout: 180_000 }, async () => {
    try {
      const scenario = await h.useScenario('ignores-size', {}, { 'cpaImage.fit': 'crop', 'cpaImage.size': '' });
      await h.openFile(guide);
      await h.workbench.goTo(3, 1);
      await h.workbench.runCommand('CPA Image: Generate Image');
      const title = h.page.locator('.quick-input-widget .quick-input-title');
      await waitFor('the prompt box with Auto', async () => (await title.isVisible()) && (await title.innerText()).includes('Auto (cpaImage.size)'));
      // A DOM click: the box's placeholder hover can lie over its buttons and take a pointer click.
      const aspectButton = h.page.locator('.quick-input-widget .action-label[aria-label^="Aspect of this image"]').first();
      await aspectButton.dispatchEvent('click');
      const portrait = h.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: '2:3 · 1024×1536' }).first();
      await portrait.waitFor({ state: 'visible' });
      await h.screenshot('fit-aspect-list');
      await portrait.click();
      await waitFor('the prompt box with 2:3', async () => (await title.isVisible()) && (await title.innerText()).includes('2:3 · 1024×1536'));
      await h.screenshot('fit-aspect-choice');
      await h.workbench.typeInQuickInput('a tall lighthouse at night');

      const request = await h.requestTo(scenario);
      const body = request.json as { input?: unknown; tools?: { size?: unknown }[] };
      assert.equal(body.tools?.[0]?.size, '1024x1536', 'the chosen aspect is the size sent');
      assert.equal(body.input, 'a tall lighthouse at night\n\nImage size: 1024×1536 (portrait).');
      const note = await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Saved ')), {
        timeoutMs: 60_000,
      });
      assert.match(note, /\(asked 1024×1536, gateway sent 1536×1024, cropped\)$/);
      const files = await h.listFiles('docs/images');
      assert.equal(files.length, 1, JSON.stringify(files));
      const bytes = await readFile(path.join(h.workspaceDir, files[0] as string));
      assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [1024, 1536], 'the PNG is 1024×1536');

      // The next prompt box starts from the same choice.
      await h.workbench.runCommand('Notifications: Clear All Notifications');
      await h.workbench.runCommand('CPA Image: Generate Image');
      await waitFor('the next prompt box with 2:3', async () => (await title.isVisible()) && (await title.innerText()).includes('2:3 · 1024×1536'));
      // Back to Auto, so that no later case inherits this choice (it lives in the profile's global state).
      await aspectButton.dispatchEvent('click');
      await h.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Auto (cpaImage.size)' }).first().click();
      await waitFor('the prompt box with Auto again', async () => (await title.isVisible()) && (await title.innerText()).includes('Auto (cpaImage.size)'));
      await h.page.keyboard.press('Escape');
    } catch (error) {
      await h.screenshot('fit-aspect-FAILED').catch(() => undefined);
      if (error instanceof Error) error.message += `\n  notifications: ${JSON.stringify(await h.workbench.notificationTexts().catch(() => []))}`;
      throw error;
    }
  });

  it('a transparent background refused by the gateway (400) is asked again without it and removed locally: the corners of the saved PNG are transparent, and the notification says so', { timeout: 180_000 }, async () => {
    try {
      const scenario = await h.useScenario('refuse-transparent', { width: 240, height: 160, subject: '1' }, { 'cpaImage.background': 'transparent', 'cpaImage.size': '' });
      await h.openFile(guide);
      await h.workbench.goTo(3, 1);
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a blue disc');
      const note = await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Saved ')), {
        timeoutMs: 60_000,
      });
      assert.match(note, /^Saved docs\/images\/[^ ]+\.png \(the gateway refused a transparent background, background removed locally\)$/);
      await h.screenshot('fit-transparent');
      const backgrounds = h.gateway.requestsFor(scenario.url).map((r) => (r.json as { tools?: { background?: unknown }[] }).tools?.[0]?.background);
      assert.deepEqual(backgrounds, ['transparent', undefined], 'asked with transparency, then once without');
      const files = await h.listFiles('docs/images');
      assert.equal(files.length, 1, JSON.stringify(files));
      const { width, rgba } = readPngPixels(await readFile(path.join(h.workspaceDir, files[0] as string)));
      const alpha = (x: number, y: number) => rgba[(y * width + x) * 4 + 3];
      assert.deepEqual([alpha(0, 0), alpha(239, 159), alpha(120, 80)], [0, 0, 255], 'corners transparent, the subject opaque');
    } catch (error) {
      await h.screenshot('fit-transparent-FAILED').catch(() => undefined);
      if (error instanceof Error) error.message += `\n  notifications: ${JSON.stringify(await h.workbench.notificationTexts().catch(() => []))}`;
      throw error;
    }
  });

  it("a document's front matter image-style reaches the gateway's prompt; the prompt box shows it as the default and can pick another", { timeout: 180_000 }, async () => {
    const styled = 'docs/styled.md';
    try {
      const scenario = await h.useScenario('ok', {}, { 'cpaImage.style': 'photo', 'cpaImage.size': '' });
      await writeFile(path.join(h.workspaceDir, styled), '---\ntitle: Manual\nimage-style: watercolor\n---\n# Manual\n\nA harbour.\n');
      await h.openFile(styled);
      await h.workbench.goTo(7, 1);
      await h.workbench.runCommand('CPA Image: Generate Image');
      const title = h.page.locator('.quick-input-widget .quick-input-title');
      await waitFor('the prompt box with the front matter style', async () => (await title.isVisible()) && (await title.innerText()).includes('watercolor'));
      // The Style button lists the default (from the front matter, over cpaImage.style), no style, and every style.
      await h.page.locator('.quick-input-widget .action-label[aria-label^="Style of this image"]').first().dispatchEvent('click');
      const rows = h.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      await rows.filter({ hasText: 'Default: watercolor (the front matter)' }).first().waitFor({ state: 'visible' });
      await h.screenshot('style-choice');
      await rows.filter({ hasText: 'Default: watercolor (the front matter)' }).first().click();
      await waitFor('the prompt box again', async () => (await title.isVisible()) && (await title.innerText()).includes('watercolor'));
      await h.workbench.typeInQuickInput('a quiet harbour');
      const request = await h.requestTo(scenario);
      assert.equal((request.json as { input?: unknown }).input, `a quiet harbour\n\n${BUILT_IN_STYLES['watercolor']}`, 'the front matter style, not cpaImage.style');
      await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), { timeoutMs: 60_000 });
    } catch (error) {
      await h.screenshot('style-FAILED').catch(() => undefined);
      if (error instanceof Error) error.message += `\n  notifications: ${JSON.stringify(await h.workbench.notificationTexts().catch(() => []))}`;
      throw error;
    } finally {
      await h.resetWorkspace();
      await removeInside(h.workspaceDir, styled, { force: true });
    }
  });
});
