/**
 * End to end, in a real VS Code (code-server) driven in Chromium: variants (issue 13 item 3). "3 variants" chosen in
 * the prompt box runs three requests at the same time (the gateway sees them overlap); the preview shows the three
 * side by side as they stream; nothing is written to the workspace until Use This One on the second saves exactly
 * that image (its pixels are the second candidate's, which is one of the gateway's three distinct images) where a
 * single generation's would go and links it where the writer was; the other two stay in the history, kept in the
 * extension's storage. Second case: never picking (the panel closed) writes nothing, and Save to Workspace… on a
 * stored variant writes it later. Then: a failed candidate fails only its card, all failed gives the usual error; and
 * Cancel stops every request of the run.
 *
 * The gateway's `distinct=1` gives each request of a scenario URL its own image (test/gateway/scenarios.ts).
 *
 * Run: E2E_FILES="test/e2e/variants.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { readPngPixels } from '../gateway/inspect';
import { Harness, makeTestKey, sampleFiles, waitFor, type Scenario } from './harness';

const apiKey = makeTestKey();
const guide = 'docs/guide.md';
const caseTimeout = { timeout: 300_000 };
const prompt = 'a lighthouse in a storm';
const slug = 'a-lighthouse-in-a-storm';

describe('Variants in a real VS Code', { timeout: 20 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-variants.log' });
    await h.setApiKey(apiKey);
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
      // With several runs, the command asks which: all are ticked.
      if (await h.workbench.quickInput.isVisible().catch(() => false)) await h.page.keyboard.press('Enter');
    }
    await waitFor('no generation running', async () => (await h.workbench.statusBarItem(/CPA Image:/).count()) === 0, { timeoutMs: 60_000 });
  }

  /** "Clear Image History" until it answers that the history is empty (as in preview.test.ts). */
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

  const scene = (name: string, body: () => Promise<void>) => h.scene(`variants-${name}`, body);

  /** The frame of the preview webview, once it has drawn. */
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

  /** Each card of the variants on show: its number, state, image kind and history entry. */
  async function cards(frame: Frame): Promise<{ variant: string; state: string; image: string; entryId: string; useEnabled: boolean }[]> {
    return frame.locator('[data-testid="variant-card"]').evaluateAll((nodes) =>
      nodes.map((node) => ({
        variant: node.getAttribute('data-variant') ?? '',
        state: node.getAttribute('data-state') ?? '',
        image: node.querySelector('[data-testid="variant-image"]')?.getAttribute('data-kind') ?? 'none',
        entryId: node.getAttribute('data-entry-id') ?? '',
        useEnabled: !((node.querySelector('[data-testid="variant-use"]') as HTMLButtonElement | null)?.disabled ?? true),
      })),
    );
  }

  /** The history items of the panel: id, whether kept in the extension's storage, the path in their title. */
  async function historyItems(frame: Frame): Promise<{ id: string; stored: boolean; path: string }[]> {
    return frame.locator('[data-testid="history-item"]').evaluateAll((items) =>
      items.map((item) => ({ id: item.getAttribute('data-entry-id') ?? '', stored: item.getAttribute('data-stored') === 'true', path: item.getAttribute('title') ?? '' })),
    );
  }

  /** The extension's folder of stored variants (under code-server's user data), once it exists. */
  async function variantsFolder(): Promise<string> {
    return waitFor('the stored variants folder', async () => {
      const found = (await readdir(h.userDataDir, { recursive: true, withFileTypes: true })).find(
        (entry) => entry.isDirectory() && entry.name === 'variants' && entry.parentPath.endsWith('cpa-image.cpa-gpt-image'),
      );
      return found ? path.join(found.parentPath, found.name) : undefined;
    });
  }

  /** The stored files (absolute paths) of run folders not in `before`. */
  async function storedFiles(folder: string, before: readonly string[]): Promise<string[]> {
    const runs = (await readdir(folder)).filter((name) => !before.includes(name));
    const files: string[] = [];
    for (const run of runs) for (const name of await readdir(path.join(folder, run))) files.push(path.join(folder, run, name));
    return files.sort();
  }

  async function runFolders(): Promise<string[]> {
    const folder = await variantsFolder().catch(() => undefined);
    return folder && existsSync(folder) ? readdir(folder) : [];
  }

  const pixels = (bytes: Uint8Array) => Buffer.from(readPngPixels(bytes).rgba).toString('hex');

  /** Opens the guide at the end of line 5 and runs Generate Image up to the prompt box. */
  async function openPromptBox(): Promise<void> {
    await h.openFile(guide);
    await h.workbench.goTo(5, 1);
    await h.page.keyboard.press('End');
    await h.workbench.runCommand('CPA Image: Generate Image');
  }

  it('3 variants from the prompt box: three requests at once, side by side; Use This One on the second saves and links only that image', caseTimeout, () =>
    scene('pick', async () => {
      // Streaming, 700 ms between events, two partial images each: the three runs are on the way together.
      const scenario: Scenario = await h.useScenario('slow', { delayMs: 700, distinct: 1 }, { 'cpaImage.stream': true, 'cpaImage.partialImages': 2 });
      const runsBefore = await runFolders();
      await openPromptBox();
      const title = h.page.locator('.quick-input-widget .quick-input-title');
      await waitFor('the prompt box', async () => (await title.isVisible()) && (await title.innerText()).startsWith('Generate Image'));
      assert.ok(!(await title.innerText()).includes('variants'), 'one image by default: the title does not speak of variants');
      await h.page.locator('.quick-input-widget .action-label[aria-label^="Variants of this image"]').first().dispatchEvent('click');
      const rows = h.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      await rows.filter({ hasText: '3 variants' }).first().waitFor({ state: 'visible' });
      await h.screenshot('variants-choice');
      await rows.filter({ hasText: '3 variants' }).first().click();
      await waitFor('the prompt box with 3 variants in its title', async () => (await title.isVisible()) && (await title.innerText()).includes('3 variants'));
      await h.workbench.typeInQuickInput(prompt);

      await h.requestTo(scenario, 3);
      const frame = await preview();
      await waitFor('three cards, a partial image in one of them', async () => {
        const shown = await cards(frame);
        return shown.length === 3 && shown.some((card) => card.image === 'partial');
      }, { timeoutMs: 60_000 });
      assert.equal(h.gateway.mostInFlight(scenario.url), 3, 'the three requests overlap at the gateway');
      await waitFor('the three final images', async () => {
        const shown = await cards(frame);
        return shown.length === 3 && shown.every((card) => card.state === 'done' && card.image === 'final' && card.useEnabled);
      }, { timeoutMs: 90_000 });
      await waitFor('the progress notification and the status bar item to go', async () =>
        !(await h.workbench.notificationTexts()).some((t) => t.includes('Generating 3 variants')) && (await h.workbench.statusBarItem(/CPA Image:/).count()) === 0,
      );
      await h.screenshot('variants-side-by-side');

      const requests = h.gateway.requestsFor(scenario.url).filter((r) => r.path.endsWith('/responses'));
      assert.equal(requests.length, 3, 'one request per variant');
      assert.ok(requests.every((r) => (r.json as { input?: unknown }).input === prompt), 'the same prompt each time');
      // Nothing in the workspace yet; the three candidates are in the extension's storage, each one of the gateway's images.
      assert.deepEqual(await h.listFiles('docs/images'), [], 'nothing written to the workspace before the pick');
      assert.equal(await h.savedText(guide), sampleFiles[guide], 'the document is unchanged before the pick');
      const folder = await variantsFolder();
      const stored = await storedFiles(folder, runsBefore);
      assert.deepEqual(stored.map((f) => path.basename(f)), [`${slug}-1.png`, `${slug}-2.png`, `${slug}-3.png`]);
      const servedPixels = [1, 2, 3].map((attempt) => pixels(h.gateway.imageFor(scenario.url, attempt)));
      assert.equal(new Set(servedPixels).size, 3, 'the gateway sent three different images');
      const storedPixels = await Promise.all(stored.map(async (f) => pixels(await readFile(f))));
      assert.deepEqual([...storedPixels].sort(), [...servedPixels].sort(), 'the stored candidates are the three images of the gateway');
      const second = storedPixels[1] as string;

      const shown = await cards(frame);
      const secondEntry = shown.find((card) => card.variant === '2')?.entryId;
      assert.ok(secondEntry, 'the second card has its history entry');
      await frame.locator('[data-testid="variant-card"][data-variant="2"] [data-testid="variant-use"]').click();
      await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), { timeoutMs: 60_000 });

      const images = await h.listFiles('docs/images');
      assert.deepEqual(images, [`docs/images/${slug}.png`], 'exactly one new file, named as a single generation names it');
      assert.equal(pixels(await readFile(path.join(h.workspaceDir, images[0] as string))), second, "its pixels are the second candidate's image");
      const text = await h.savedText(guide);
      const lines = (sampleFiles[guide] as string).split('\n');
      assert.match(text.split('\n')[4] ?? '', new RegExp(`^a red fox in the snow.*\\]\\(images/${slug}\\.png\\)`), 'the link where the writer was');
      assert.deepEqual(text.split('\n').filter((_, i) => i !== 4), lines.filter((_, i) => i !== 4), 'no other line changed');
      assert.equal((text.match(/\]\(/g) ?? []).length, 1, 'one link');

      // The other two stay in the history, kept in the extension's storage; the picked one is in the workspace.
      await waitFor('the history of the three', async () => (await historyItems(frame)).length === 3);
      const items = await historyItems(frame);
      assert.deepEqual(items.filter((i) => !i.stored).map((i) => i.id), [secondEntry], 'the picked entry is in the workspace');
      assert.equal(items.filter((i) => i.stored).length, 2, 'the other two are stored');
      assert.deepEqual((await storedFiles(folder, runsBefore)).map((f) => path.basename(f)), [`${slug}-1.png`, `${slug}-3.png`]);
      await h.screenshot('variants-picked');
    }));

  it('never picking writes nothing; Save to Workspace… on a stored variant saves it later, without a link', caseTimeout, () =>
    scene('save-later', async () => {
      // cpaImage.variants: 2 — the prompt box starts from the setting.
      const scenario = await h.useScenario('ok', { distinct: 1 }, { 'cpaImage.variants': 2 });
      const runsBefore = await runFolders();
      await openPromptBox();
      const title = h.page.locator('.quick-input-widget .quick-input-title');
      await waitFor('the prompt box with 2 variants in its title', async () => (await title.isVisible()) && (await title.innerText()).includes('2 variants'));
      await h.workbench.typeInQuickInput(prompt);
      await h.requestTo(scenario, 2);
      let frame = await preview();
      await waitFor('the two final images', async () => {
        const shown = await cards(frame);
        return shown.length === 2 && shown.every((card) => card.state === 'done' && card.image === 'final');
      }, { timeoutMs: 60_000 });

      // The panel closed without a pick: nothing in the workspace, the document unchanged.
      await h.workbench.runCommand('View: Close All Editors');
      await waitFor('every editor to close', async () => (await h.page.locator('.editor-group-container .tab').count()) === 0);
      assert.deepEqual(await h.listFiles('docs/images'), []);
      assert.equal(await h.readFile(guide), sampleFiles[guide]);

      await h.workbench.runCommand('CPA Image: Show Image History');
      frame = await preview();
      await waitFor('the two stored variants in the history', async () => {
        const items = await historyItems(frame);
        return items.length === 2 && items.every((i) => i.stored);
      });
      const [first] = await historyItems(frame);
      assert.ok(first);
      const storedBytes = await readFile(first.path);
      await frame.locator(`[data-testid="history-item"][data-entry-id="${first.id}"] [data-testid="history-save-to-workspace"]`).click();
      await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), { timeoutMs: 60_000 });
      const images = await h.listFiles('docs/images');
      assert.equal(images.length, 1, `one file saved: ${JSON.stringify(images)}`);
      assert.equal(pixels(await readFile(path.join(h.workspaceDir, images[0] as string))), pixels(storedBytes), 'the stored variant, saved');
      assert.equal(await h.readFile(guide), sampleFiles[guide], 'no link inserted');
      await waitFor('the entry to be in the workspace now', async () => (await historyItems(frame)).find((i) => i.id === first.id)?.stored === false);
      const left = await storedFiles(await variantsFolder(), runsBefore);
      assert.equal(left.length, 1, `the other variant is still stored: ${JSON.stringify(left)}`);
      await h.screenshot('variants-saved-later');
    }));

  it('a failed candidate fails only its card, the others can be picked; all failed: the usual error, nothing written', caseTimeout, () =>
    scene('failed', async () => {
      // The first request of this URL answers 503, and one attempt is all a run may make.
      const scenario = await h.useScenario('server-error-once', {}, { 'cpaImage.variants': 3, 'cpaImage.maxAttempts': 1 });
      await openPromptBox();
      await h.workbench.typeInQuickInput(prompt);
      await h.requestTo(scenario, 3);
      const frame = await preview();
      await waitFor('one failed card and two finished ones', async () => {
        const shown = await cards(frame);
        return shown.length === 3 && shown.filter((c) => c.state === 'failed').length === 1 && shown.filter((c) => c.state === 'done' && c.useEnabled).length === 2
          ? shown
          : undefined;
      }, { timeoutMs: 60_000 });
      assert.match(await frame.locator('[data-testid="variant-card"][data-state="failed"] [data-testid="variant-error"]').innerText(), /The gateway failed \(HTTP 503\)/);
      await h.screenshot('variants-one-failed');
      await frame.locator('[data-testid="variant-card"][data-state="done"] [data-testid="variant-use"]').first().click();
      await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), { timeoutMs: 60_000 });
      assert.deepEqual(await h.listFiles('docs/images'), [`docs/images/${slug}.png`]);
      await h.resetWorkspace();

      // Every request refused: the error of a single generation, and nothing in the workspace.
      const refused = await h.useScenario('forbidden', {}, { 'cpaImage.variants': 2, 'cpaImage.maxAttempts': 1 });
      await openPromptBox();
      await h.workbench.typeInQuickInput(prompt);
      await h.requestTo(refused, 2);
      const error = await waitFor('the error notification', async () =>
        (await h.workbench.notificationTexts()).find((t) => t.startsWith('The gateway accepted the key but refused the request')),
      { timeoutMs: 60_000 });
      assert.ok(error);
      await waitFor('two failed cards', async () => {
        const shown = await cards(await preview());
        return shown.length === 2 && shown.every((c) => c.state === 'failed');
      });
      assert.equal(h.gateway.requestsFor(refused.url).filter((r) => r.path.endsWith('/responses')).length, 2);
      assert.deepEqual(await h.listFiles('docs/images'), []);
      assert.equal(await h.readFile(guide), sampleFiles[guide]);
    }));

  it("the progress notification's Cancel stops every request of the run; nothing is written", caseTimeout, () =>
    scene('cancel', async () => {
      const scenario = await h.useScenario('hang', {}, { 'cpaImage.variants': 3 });
      await openPromptBox();
      await h.workbench.typeInQuickInput(prompt);
      await h.requestTo(scenario, 3);
      await waitFor('the progress notification', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Generating 3 variants')));
      await h.workbench.clickNotificationButton('Cancel', 'Generating 3 variants');
      for (const count of [1, 2, 3]) assert.equal((await h.outcomeOf(scenario, count)).finished, false, `request ${count} was closed by the client`);
      await waitFor('no generation running', async () => (await h.workbench.statusBarItem(/CPA Image:/).count()) === 0);
      assert.equal(h.gateway.requestsFor(scenario.url).filter((r) => r.path.endsWith('/responses')).length, 3, 'not retried after the cancel');
      assert.deepEqual(await h.listFiles('docs/images'), []);
      assert.equal(await h.savedText(guide), sampleFiles[guide]);
    }));
});
