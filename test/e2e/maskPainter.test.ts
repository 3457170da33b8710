/**
 * End to end (issue 14 item 3): Edit Region… in the image preview. An image is generated into the workspace, the
 * preview's Edit Region… opens the mask painter over it, a stroke is painted with the mouse on the canvas, Next asks
 * for the instruction, and the request the gateway records carries the image and a mask PNG of the image's size whose
 * painted pixels are fully transparent and the rest opaque (the image API's convention); the result is saved next to
 * the image as <name>-edit.png. Once on the Images route (the mask in the JSON edit body), once on the Responses route
 * (the tool's input_image_mask). A third case: Next stays disabled until something is painted, Undo (and Ctrl+Z) takes
 * the stroke back, Escape closes the painter without any request.
 *
 * Run: export PATH=$(bash scripts/node24.sh):$PATH; E2E_FILES="test/e2e/maskPainter.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { Harness, isPng, makeTestKey, waitFor } from './harness';
import type { Scenario } from './harness';
import { readPngPixels, withoutProvenance } from '../gateway/inspect';
import type { RecordedRequest } from '../gateway/server';

const apiKey = makeTestKey();
const guide = 'docs/guide.md';
const caseTimeout = { timeout: 240_000 };
/** The generated image: large enough to paint on at its displayed size. */
const width = 256;
const height = 192;

describe('Edit Region… with a mask painter in the preview, in a real VS Code', { timeout: 20 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-maskPainter.log' });
    await h.setApiKey(apiKey);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
  });

  const scene = (name: string, body: () => Promise<void>) => h.scene(`maskPainter-${name}`, body, async () => ['webview frames:', ...(await describeFrames())]);

  async function describeFrames(): Promise<string[]> {
    const lines: string[] = [];
    for (const frame of h.page.frames()) {
      if (frame === h.page.mainFrame() || frame.isDetached()) continue;
      const kind = await frame.locator('#current').getAttribute('data-kind', { timeout: 1000 }).catch(() => null);
      if (kind !== null) lines.push(`  preview frame: current=${kind}`);
    }
    return lines;
  }

  /** The preview's frame once its top part shows `kind` (`entry`, `painter`, …). */
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
      { timeoutMs: 45_000, intervalMs: 200 },
    );
  }

  /** Generates the image to edit into docs/images and returns its workspace-relative path. */
  async function generateImage(): Promise<string> {
    await h.openFile(guide);
    await h.workbench.goTo(3, 1);
    await h.workbench.runCommand('CPA Image: Generate Image');
    await h.workbench.typeInQuickInput('a quiet room with a blank wall');
    await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), { timeoutMs: 60_000 });
    const files = await h.listFiles('docs/images');
    assert.equal(files.length, 1, JSON.stringify(files));
    await h.workbench.runCommand('Notifications: Clear All Notifications');
    return files[0] as string;
  }

  /** Opens the painter on the image the preview shows, once its canvas has the image's size. */
  async function openPainter(): Promise<Frame> {
    const entry = await previewShowing('entry');
    await entry.locator('[data-testid="action-edit-region"]').click();
    const frame = await previewShowing('painter');
    await frame.locator(`[data-testid="mask-painter"][data-sized="true"][data-width="${width}"][data-height="${height}"]`).waitFor({ state: 'attached', timeout: 30_000 });
    return frame;
  }

  /**
   * A horizontal stroke by mouse across the middle of the canvas, from 30 % to 70 % of its width; returns the image
   * pixels it passes through.
   */
  async function paintStroke(frame: Frame): Promise<{ x: number; y: number }[]> {
    const box = await frame.locator('[data-testid="mask-canvas"]').boundingBox();
    assert.ok(box && box.width > 50 && box.height > 30, `the canvas is shown: ${JSON.stringify(box)}`);
    const y = box.y + box.height / 2;
    await h.page.mouse.move(box.x + box.width * 0.3, y);
    await h.page.mouse.down();
    for (let step = 1; step <= 8; step++) await h.page.mouse.move(box.x + box.width * (0.3 + (0.4 * step) / 8), y);
    await h.page.mouse.up();
    await frame.locator('[data-testid="mask-painter"][data-painted="true"][data-strokes="1"]').waitFor({ state: 'attached', timeout: 15_000 });
    const row = Math.round(height / 2);
    return [0.35, 0.5, 0.65].map((f) => ({ x: Math.round(width * f), y: row }));
  }

  /** Next, then the instruction in the input box Edit Region asks it in. */
  async function nextWithInstruction(frame: Frame, name: string, instruction: string): Promise<void> {
    const next = frame.locator('[data-testid="mask-next"]');
    assert.equal(await next.isEnabled(), true, 'Next is enabled once something is painted');
    await next.click();
    const title = h.page.locator('.quick-input-widget .quick-input-title');
    await waitFor(`the Edit Region input box for ${name}`, async () => (await title.isVisible()) && (await title.innerText()).includes(`Edit Region: ${name}`));
    await h.workbench.typeInQuickInput(instruction);
  }

  /** The mask the gateway received: the image's size, alpha 0 under the stroke, 255 in the far corners. */
  function assertMask(mask: Uint8Array, stroke: { x: number; y: number }[]): void {
    const pixels = readPngPixels(mask);
    assert.deepEqual({ width: pixels.width, height: pixels.height }, { width, height }, 'the mask has the image’s size');
    const alpha = (x: number, y: number) => pixels.rgba[(y * pixels.width + x) * 4 + 3];
    for (const p of stroke) assert.equal(alpha(p.x, p.y), 0, `painted pixel ${p.x},${p.y} is transparent`);
    assert.equal(alpha(0, 0), 255, 'the top-left corner is opaque');
    assert.equal(alpha(width - 1, height - 1), 255, 'the bottom-right corner is opaque');
    assert.equal(alpha(Math.round(width / 2), 5), 255, 'above the stroke is opaque');
  }

  function dataUrlBytes(value: unknown): Buffer {
    assert.equal(typeof value, 'string');
    const match = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(value as string);
    assert.ok(match, `a PNG data URL: ${String(value).slice(0, 40)}`);
    return Buffer.from(match[1] as string, 'base64');
  }

  async function editRequest(scenario: Scenario, pathEnd: string, count: number): Promise<RecordedRequest> {
    return waitFor(`the edit request on ${pathEnd}`, async () => h.gateway.requestsFor(scenario.url).filter((r) => r.path.endsWith(pathEnd))[count - 1], { timeoutMs: 60_000 });
  }

  async function assertSavedNextTo(image: string, scenario: Scenario, attempt: number): Promise<void> {
    const edited = image.replace(/\.png$/, '-edit.png');
    await waitFor('the "Saved" notification of the edit', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ') && t.includes('-edit.png')), { timeoutMs: 60_000 });
    const bytes = await readFile(path.join(h.workspaceDir, edited));
    assert.ok(isPng(bytes));
    assert.ok(withoutProvenance(bytes).equals(h.gateway.imageFor(scenario.url, attempt)), 'the bytes the gateway served for the edit');
    assert.ok(isPng(await readFile(path.join(h.workspaceDir, image))), 'the original is still there');
  }

  it('Images route: the painted stroke reaches /v1/images/edits as the transparent part of the mask; the result is saved next to the image', caseTimeout, () =>
    scene('images-route', async () => {
      const scenario = await h.useScenario('images-ok', { width, height }, { 'cpaImage.api': 'images', 'cpaImage.preview.openOnGenerate': true });
      const image = await generateImage();
      const original = await readFile(path.join(h.workspaceDir, image));
      const frame = await openPainter();
      const stroke = await paintStroke(frame);
      await h.screenshot('mask-painter');
      await nextWithInstruction(frame, path.posix.basename(image), 'put a round window here');

      const request = await editRequest(scenario, '/v1/images/edits', 1);
      const body = request.json as { prompt?: unknown; images?: { image_url?: unknown }[]; mask?: { image_url?: unknown } };
      assert.equal(body.prompt, 'put a round window here');
      assert.equal(body.images?.length, 1);
      assert.ok(withoutProvenance(dataUrlBytes(body.images?.[0]?.image_url)).equals(withoutProvenance(original)), 'the image as saved');
      assertMask(dataUrlBytes(body.mask?.image_url), stroke);
      await assertSavedNextTo(image, scenario, 1);
    }));

  it('Responses route: the same stroke goes as the image tool’s input_image_mask', caseTimeout, () =>
    scene('responses-route', async () => {
      const scenario = await h.useScenario('ok', { width, height }, { 'cpaImage.api': 'responses', 'cpaImage.preview.openOnGenerate': true });
      const image = await generateImage();
      const frame = await openPainter();
      const stroke = await paintStroke(frame);
      await nextWithInstruction(frame, path.posix.basename(image), 'a painting on the wall');

      const request = await editRequest(scenario, '/v1/responses', 2);
      const body = request.json as { tools?: { action?: unknown; input_image_mask?: { image_url?: unknown } }[]; input?: unknown };
      assert.equal(body.tools?.[0]?.action, 'edit');
      assert.ok(JSON.stringify(body.input).includes('data:image/png;base64,'), 'the image goes as an input_image');
      assertMask(dataUrlBytes(body.tools?.[0]?.input_image_mask?.image_url), stroke);
      await assertSavedNextTo(image, scenario, 2);
    }));

  it('Next waits for paint; Undo and Ctrl+Z take the stroke back; Escape closes the painter and sends nothing', caseTimeout, () =>
    scene('next-undo-escape', async () => {
      const scenario = await h.useScenario('ok', { width, height }, { 'cpaImage.api': 'responses', 'cpaImage.preview.openOnGenerate': true });
      await generateImage();
      const frame = await openPainter();
      const next = frame.locator('[data-testid="mask-next"]');
      assert.equal(await next.isDisabled(), true, 'nothing painted: Next is disabled');
      assert.equal(await frame.locator('[data-testid="mask-note"]').isVisible(), true, 'and the painter says to paint first');
      await paintStroke(frame);
      assert.equal(await next.isEnabled(), true);
      await frame.locator('[data-testid="mask-undo"]').click();
      await frame.locator('[data-testid="mask-painter"][data-painted="false"][data-strokes="0"]').waitFor({ state: 'attached', timeout: 15_000 });
      assert.equal(await next.isDisabled(), true, 'undone: Next is disabled again');
      // Ctrl+Z undoes too (the stroke just painted left the keyboard in the panel).
      await paintStroke(frame);
      await h.page.keyboard.press('Control+Z');
      await frame.locator('[data-testid="mask-painter"][data-painted="false"][data-strokes="0"]').waitFor({ state: 'attached', timeout: 15_000 });
      await paintStroke(frame);
      await h.page.keyboard.press('Escape');
      await previewShowing('entry');
      assert.equal(h.gateway.requestsFor(scenario.url).length, 1, 'only the generation: no edit was sent');
      assert.deepEqual((await h.listFiles('docs/images')).filter((f) => f.includes('-edit')), []);
    }));
});
