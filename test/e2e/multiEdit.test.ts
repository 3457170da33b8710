/**
 * End to end (issue 14 item 4): Edit Image… on a multi-selection in the Explorer of the packaged extension. Two PNGs
 * selected with a click and a Ctrl+click, the menu opened on the second: both go to the gateway as `input_image` data
 * URLs, the clicked one first, and the result lands next to it as `<name>-edit.png`. A selection holding a file that
 * only pretends to be a PNG is refused before any request, naming that file; so is a selection of 17 images (the
 * limit is 16).
 *
 * Every case works in the workspace folder `multi/` (removed before each case).
 * Run: export PATH=$(bash scripts/node24.sh):$PATH; E2E_FILES="test/e2e/multiEdit.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { makePng } from '../gateway/images';
import { withoutProvenance } from '../gateway/inspect';
import { removeInside } from '../support/removeInside';
import { Harness, makeTestKey, waitFor } from './harness';

const apiKey = makeTestKey();
const caseTimeout = { timeout: 150_000 };
const folder = 'multi';
/** Opened first so that "Reveal Active File in Explorer View" expands the case's folder. */
const readme = `${folder}/readme.md`;

/** The recorded body of a /v1/responses request (only what these cases look at). */
interface ResponsesBody {
  tools?: { type?: unknown; action?: unknown }[];
  input?: { role?: string; content?: { type?: string; text?: string; image_url?: string }[] }[];
}

describe('Edit Image… on several images selected in the Explorer, in a real VS Code', { timeout: 10 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-multi-edit.log' });
    await h.setApiKey(apiKey);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
    await removeInside(h.workspaceDir, folder, { recursive: true });
  });

  const scene = (name: string, body: () => Promise<void>) =>
    h.scene(`multi-edit-${name}`, body, async () => [`selected rows: ${JSON.stringify(await selectedRows())}`]);

  async function writeCaseFile(name: string, content: string | Uint8Array): Promise<void> {
    const file = path.join(h.workspaceDir, folder, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }

  const row = (name: string) =>
    h.page.locator('.explorer-folders-view .monaco-list-row', { hasText: new RegExp(`^${name.replace(/\./g, '\\.')}$`) }).first();

  async function selectedRows(): Promise<string[]> {
    const texts = await h.page.locator('.explorer-folders-view .monaco-list-row[aria-selected="true"]').allInnerTexts();
    return texts.map((text) => text.trim()).sort();
  }

  /**
   * Selects `names` in the Explorer as a user does (a click on the first, then Ctrl+click on each other, or with
   * `range` a Shift+click on the last), right-clicks `clicked` and clicks "Edit Image…". The Explorer re-renders rows
   * when it notices files the case has just written, which can drop a selection or close a menu opened a moment
   * before: then the selection is made again.
   */
  async function editSelection(names: string[], clicked: string, range = false): Promise<string[]> {
    await h.openFile(readme);
    await h.workbench.runCommand('File: Reveal Active File in Explorer View');
    for (const name of names) await row(name).waitFor({ state: 'visible', timeout: 15_000 });
    const item = h.page.locator('.monaco-menu .action-label', { hasText: /^\s*Edit Image…\s*$/ }).first();
    const wanted = [...names].sort();
    await waitFor(
      `the selection ${JSON.stringify(names)} and the context menu on ${clicked}`,
      async () => {
        if ((await item.isVisible()) && JSON.stringify(await selectedRows()) === JSON.stringify(wanted)) return true;
        await h.page.keyboard.press('Escape');
        await row(names[0] as string).click();
        if (range) await row(names[names.length - 1] as string).click({ modifiers: ['Shift'] });
        else for (const name of names.slice(1)) await row(name).click({ modifiers: ['Control'] });
        if (JSON.stringify(await selectedRows()) !== JSON.stringify(wanted)) return false;
        await row(clicked).click({ button: 'right' });
        return (await item.isVisible()) && JSON.stringify(await selectedRows()) === JSON.stringify(wanted);
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    const menu = await h.workbench.contextMenuTitles();
    await h.workbench.clickContextMenu('Edit Image…');
    return menu;
  }

  /** The bytes of a `data:image/png;base64,…` URL. */
  function pngDataUrlBytes(url: string | undefined): Buffer {
    const match = /^data:image\/png;base64,(.+)$/.exec(url ?? '');
    assert.ok(match, `a PNG data URL: ${String(url).slice(0, 40)}`);
    return Buffer.from(match[1] as string, 'base64');
  }

  it('two PNGs selected (click, Ctrl+click): both are sent, the clicked one first, and <clicked>-edit.png is saved next to it', caseTimeout, () =>
    scene('two-images', async () => {
      const scenario = await h.useScenario('ok', undefined, { 'cpaImage.preview.openOnGenerate': false });
      const alpha = makePng(24, 16, { noise: true, seed: 1 });
      const beta = makePng(20, 20, { noise: true, seed: 2 });
      await writeCaseFile('readme.md', '# Pictures\n');
      await writeCaseFile('alpha.png', alpha);
      await writeCaseFile('beta.png', beta);
      const instruction = 'put the fox from the first image into the second';

      // Selected in the order alpha, beta; the menu opened on beta, so beta is the first image and the result is its.
      const menu = await editSelection(['alpha.png', 'beta.png'], 'beta.png');
      assert.ok(menu.includes('Edit Image…'), JSON.stringify(menu));

      const box = await h.workbench.quickInputState();
      assert.match(box.message, /^Describe the change\. 2 images are sent, in this order: beta\.png, alpha\.png\. The result is saved as a new file next to beta\.png; the originals are not modified\./);
      await h.page.keyboard.type(instruction);
      await h.screenshot('multi-edit-instruction');
      await h.page.keyboard.press('Enter');

      const request = await h.requestTo(scenario);
      const body = request.json as ResponsesBody;
      assert.equal(body.tools?.[0]?.action, 'edit');
      const content = body.input?.[0]?.content ?? [];
      assert.deepEqual(content.map((part) => part.type), ['input_text', 'input_image', 'input_image']);
      assert.deepEqual(content[0], { type: 'input_text', text: instruction });
      assert.deepEqual(pngDataUrlBytes(content[1]?.image_url), beta, 'the first image is the clicked file, byte for byte');
      assert.deepEqual(pngDataUrlBytes(content[2]?.image_url), alpha, 'the second is the other selected file, byte for byte');

      const saved = await waitFor('the "Saved" notification', async () =>
        (await h.workbench.notificationTexts()).find((t) => t.startsWith('Saved ')), { timeoutMs: 30_000 });
      assert.ok(saved.includes(`${folder}/beta-edit.png`), saved);
      const edited = await readFile(path.join(h.workspaceDir, folder, 'beta-edit.png'));
      assert.deepEqual(withoutProvenance(edited), h.gateway.imageFor(scenario.url), 'the edited image is the one the gateway sent');
      assert.deepEqual(await readFile(path.join(h.workspaceDir, folder, 'alpha.png')), alpha, 'the originals are unchanged');
      assert.deepEqual(await readFile(path.join(h.workspaceDir, folder, 'beta.png')), beta);
      assert.equal(h.gateway.requestsFor(scenario.url).length, 1, 'one request for the two images');
      assert.deepEqual(await h.listFiles(folder), ['multi/alpha.png', 'multi/beta-edit.png', 'multi/beta.png', 'multi/readme.md']);
      await waitFor('the new file in the explorer', async () => (await row('beta-edit.png').count()) > 0);
      await h.screenshot('multi-edit-saved');
    }));

  it('a selection holding a text file named .png is refused before any request, naming that file', caseTimeout, () =>
    scene('not-image', async () => {
      const scenario = await h.useScenario('ok');
      await writeCaseFile('readme.md', '# Pictures\n');
      await writeCaseFile('real.png', makePng(16, 16));
      await writeCaseFile('fake.png', 'hello, I am text pretending to be a PNG\n');

      await editSelection(['real.png', 'fake.png'], 'real.png');
      const error = await waitFor('the error notification', async () =>
        (await h.workbench.notificationTexts()).find((t) => t.includes('Nothing was sent')),
      );
      assert.equal(
        error,
        'fake.png is not a PNG, JPEG or WebP image (it starts with: hello, I am text pretend…). Nothing was sent: 1 of the 2 selected files cannot be edited.',
      );
      assert.equal(await h.workbench.quickInput.isVisible(), false, 'no instruction is asked for');
      await h.screenshot('multi-edit-refused');
      assert.equal(h.gateway.requestsFor(scenario.url).length, 0, 'nothing reached the gateway');
      assert.deepEqual(await h.listFiles(folder), ['multi/fake.png', 'multi/readme.md', 'multi/real.png']);
    }));

  it('17 images selected (click, Shift+click): refused before any request, saying the limit of 16', caseTimeout, () =>
    scene('too-many', async () => {
      const scenario = await h.useScenario('ok');
      await writeCaseFile('readme.md', '# Pictures\n');
      const names = Array.from({ length: 17 }, (_, i) => `img-${String(i + 1).padStart(2, '0')}.png`);
      for (const [i, name] of names.entries()) await writeCaseFile(name, makePng(8, 8, { seed: i }));

      await editSelection(names, 'img-05.png', true);
      const error = await waitFor('the error notification', async () =>
        (await h.workbench.notificationTexts()).find((t) => t.includes('at most')),
      );
      assert.equal(error, 'Edit Image sends at most 16 images at once; 17 files are selected. Select fewer and try again. Nothing was sent.');
      assert.equal(await h.workbench.quickInput.isVisible(), false, 'no instruction is asked for');
      await h.screenshot('multi-edit-too-many');
      assert.equal(h.gateway.requestsFor(scenario.url).length, 0, 'nothing reached the gateway');
      assert.equal((await h.listFiles(folder)).length, 18, 'no file was added');
    }));
});
