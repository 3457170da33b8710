/**
 * End to end (issue 14): the Images route in the packaged extension. With cpaImage.api `auto` against a gateway whose
 * Responses route answers text and whose /v1/models lists gpt-image-2, "Generate Image" ends on /v1/images/generations,
 * saves the image and says so in a notification; Check Connection names the routes the gateway offers.
 *
 * Run: export PATH=$(bash scripts/node24.sh):$PATH; E2E_FILES="test/e2e/imagesRoute.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Harness, makeTestKey, waitFor } from './harness';
import { withoutProvenance } from '../gateway/inspect';

const apiKey = makeTestKey();
const guide = 'docs/guide.md';

describe('The Images route, in a real VS Code', { timeout: 10 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-images-route.log' });
    await h.setApiKey(apiKey);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
    await h.workbench.runCommand('Notifications: Clear All Notifications');
  });

  it('cpaImage.api auto: text on the Responses route → the image from the Images route, and a notification says so', { timeout: 180_000 }, async () => {
    try {
      const scenario = await h.useScenario('images-text-responses', {}, { 'cpaImage.api': 'auto' });
      await h.openFile(guide);
      await h.workbench.goTo(3, 1);
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a lighthouse at dusk');

      const note = await waitFor('the route notification', async () => (await h.workbench.notificationTexts()).find((t) => t.includes('Images route')), { timeoutMs: 90_000 });
      assert.match(note, /^The gateway's Responses route has no image tool \(it answered with text, not an image\), so the image was made on its Images route \(model gpt-image-2\)\. Set cpaImage\.api to images/);
      const images = h.gateway.requestsFor(scenario.url).filter((r) => r.path.endsWith('/v1/images/generations'));
      assert.equal(images.length, 1);
      assert.equal((images[0]?.json as { model?: unknown; prompt?: unknown }).model, 'gpt-image-2');
      await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), { timeoutMs: 60_000 });
      await h.screenshot('images-route-auto');
      const files = await h.listFiles('docs/images');
      assert.equal(files.length, 1, JSON.stringify(files));
      const saved = await readFile(path.join(h.workspaceDir, files[0] as string));
      assert.ok(withoutProvenance(saved).equals(h.gateway.imageFor(scenario.url)), 'the bytes the Images route served');
    } catch (error) {
      await h.screenshot('images-route-auto-FAILED').catch(() => undefined);
      if (error instanceof Error) error.message += `\n  notifications: ${JSON.stringify(await h.workbench.notificationTexts().catch(() => []))}`;
      throw error;
    }
  });

  it('Check Connection names the routes: both on a gateway that lists gpt-image-2', { timeout: 120_000 }, async () => {
    try {
      await h.useScenario('images-ok');
      await h.workbench.runCommand('CPA Image: Check Connection');
      const note = await waitFor('the connection notification', async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Connected to')), { timeoutMs: 60_000 });
      assert.match(note, /accepted the key \(6 models\)\. Routes: it offers both image routes, Responses .* and Images \(\/v1\/images\)\.$/);
      await h.screenshot('images-route-check-connection');
    } catch (error) {
      await h.screenshot('images-route-check-FAILED').catch(() => undefined);
      if (error instanceof Error) error.message += `\n  notifications: ${JSON.stringify(await h.workbench.notificationTexts().catch(() => []))}`;
      throw error;
    }
  });
});
