/**
 * End to end, in a real VS Code (code-server) driven in Chromium: "Generate All Missing Images" (issue 13 item 1).
 * A document with three placeholders and a fourth inside a fenced code block: the quick pick offers the three, they
 * are generated together while the user types elsewhere in the document, each fills only its own target; a refused
 * prompt keeps its placeholder while the others are filled, and the summary offers Retry Failed (which asks again
 * for that one only).
 *
 * Run: E2E_FILES="test/e2e/fillAll.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Harness, makeTestKey, waitFor } from './harness';
import { removeInside } from '../support/removeInside';

const apiKey = makeTestKey();
const caseTimeout = { timeout: 180_000 };
const doc = 'docs/fill-all.md';
const command = 'CPA Image: Generate All Missing Images';

/** The document: three placeholders to fill (empty, missing, blank target) and one in a fenced block to leave. */
function documentWith(alts: readonly [string, string, string]): string {
  return [
    '# Field guide',
    '',
    'Intro paragraph.',
    '',
    `![${alts[0]}]()`,
    '',
    '```md',
    '![inside a code block, not a request]()',
    '```',
    '',
    `A line with ![${alts[1]}] in it.`,
    '',
    `End ![${alts[2]}]( ) here.`,
    '',
  ].join('\n');
}

/** The `input` of a recorded /v1/responses request (the prompt). */
function promptOf(json: unknown): string {
  const input = (json as { input?: unknown } | undefined)?.input;
  return typeof input === 'string' ? input : JSON.stringify(input);
}

describe('Generate All Missing Images in a real VS Code', { timeout: 20 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-fillall.log' });
    await h.setApiKey(apiKey);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
    await removeInside(h.workspaceDir, doc);
  });

  /** Runs a case; on failure keeps a screenshot of what the user would have seen (Harness.scene). */
  const scene = (name: string, body: () => Promise<void>) => h.scene(`fillall-${name}`, body);

  function codeLenses() {
    return h.workbench.activeEditor.locator('.codelens-decoration a, .codelens-decoration span');
  }

  async function writeDoc(text: string): Promise<void> {
    const file = path.join(h.workspaceDir, doc);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }

  /** Opens the document, runs the command, checks the quick pick lists the three links, all ticked, and accepts it. */
  async function runAndAcceptAll(alts: readonly string[], screenshot?: string): Promise<void> {
    await h.openFile(doc);
    const lens = h.workbench.activeEditor.locator('.codelens-decoration a', { hasText: 'Generate Image from Alt Text' });
    await lens.first().waitFor({ state: 'visible', timeout: 20_000 });
    await h.workbench.runCommand(command);
    const state = await waitFor('the quick pick of the links', async () => {
      const s = await h.workbench.quickInputState().catch(() => undefined);
      return s && s.items.length === 3 ? s : undefined;
    });
    assert.deepEqual(state.items, alts, 'the three links, in order, not the one in the code block');
    const title = await h.page.locator('.quick-input-widget .quick-input-title').innerText();
    assert.match(title, /Generate All Missing Images: 3/);
    const ticked = await h.page.locator('.quick-input-list .monaco-list-row input[type="checkbox"]:checked').count();
    const checkedRows = ticked > 0 ? ticked : await h.page.locator('.quick-input-list .monaco-list-row[aria-checked="true"]').count();
    assert.equal(checkedRows, 3, 'all three ticked');
    if (screenshot) await h.screenshot(screenshot);
    await h.page.keyboard.press('Enter');
    await waitFor('the quick pick to close', async () => !(await h.workbench.quickInput.isVisible()));
  }

  it('fills the three placeholders together while the user types elsewhere; the fenced block is left alone', caseTimeout, () =>
    scene('three', async () => {
      // Streaming, 1.5 s between events: each runs for several seconds, with partial images on the way. Two at a
      // time, so the third waits its turn (its CodeLens says "Queued").
      const scenario = await h.useScenario('slow', { delayMs: 1500 }, { 'cpaImage.preview.openOnGenerate': false, 'cpaImage.concurrency': 2 });
      const alts = ['a red kite over hills', 'a blue boat at dawn', 'a green lamp'] as const;
      const original = documentWith(alts);
      await writeDoc(original);
      await runAndAcceptAll(alts, 'fillall-quickpick');

      await h.requestTo(scenario, 2);
      await codeLenses().filter({ hasText: 'Queued for generation' }).first().waitFor({ state: 'visible', timeout: 20_000 });
      await codeLenses().filter({ hasText: 'partial image received' }).first().waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(h.gateway.requestsFor(scenario.url).filter((r) => r.path.endsWith('/responses')).length, 2, 'two at a time: the third waits');
      await h.screenshot('fillall-codelens-running');

      // The user keeps writing, on a line above two of the links (their targets move).
      await h.workbench.goTo(3, 1);
      await h.page.keyboard.press('End');
      await h.page.keyboard.type(' Typed meanwhile.');
      await waitFor('the typed text', async () => (await h.workbench.editorText()).includes('Intro paragraph. Typed meanwhile.'));

      const summary = await waitFor(
        'the summary',
        async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Generated and linked')),
        { timeoutMs: 90_000 },
      );
      assert.equal(summary, 'Generated and linked 3 of 3 images.');
      await h.screenshot('fillall-summary');

      const requests = h.gateway.requestsFor(scenario.url).filter((r) => r.path.endsWith('/responses'));
      assert.equal(requests.length, 3, 'three requests');
      assert.deepEqual(requests.map((r) => promptOf(r.json)).sort(), [...alts].sort(), 'the alt texts are the prompts');
      const images = await h.listFiles('docs/images');
      assert.deepEqual(images, ['docs/images/a-blue-boat-at-dawn.png', 'docs/images/a-green-lamp.png', 'docs/images/a-red-kite-over-hills.png']);

      const expected = original
        .replace('Intro paragraph.', 'Intro paragraph. Typed meanwhile.')
        .replace(`![${alts[0]}]()`, `![${alts[0]}](images/a-red-kite-over-hills.png)`)
        .replace(`![${alts[1]}]`, `![${alts[1]}](images/a-blue-boat-at-dawn.png)`)
        .replace(`![${alts[2]}]( )`, `![${alts[2]}](images/a-green-lamp.png)`);
      assert.ok(expected.includes('```md\n![inside a code block, not a request]()\n```'), 'the fenced block as it was');
      assert.equal(await h.savedText(doc), expected, 'the three targets filled, the typed text kept, nothing else changed');
    }));

  it('a refused prompt keeps its placeholder, the others are filled, and Retry Failed asks again for that one only', caseTimeout, () =>
    scene('refused', async () => {
      const scenario = await h.useScenario('refuse-prompt', { word: 'FORBIDDEN', delayMs: 100 }, { 'cpaImage.preview.openOnGenerate': false, 'cpaImage.concurrency': 2 });
      const alts = ['a red kite over hills', 'a FORBIDDEN sign', 'a green lamp'] as const;
      const original = documentWith(alts);
      await writeDoc(original);
      await runAndAcceptAll(alts);

      const summary = await waitFor(
        'the summary',
        async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Generated and linked')),
        { timeoutMs: 90_000 },
      );
      assert.match(summary, /^Generated and linked 2 of 3 images; 1 failed and kept their placeholders\./);
      assert.ok((await h.workbench.notificationButtons('Generated and linked')).includes('Retry Failed'), 'Retry Failed is offered');
      await codeLenses().filter({ hasText: 'Image failed' }).first().waitFor({ state: 'visible', timeout: 20_000 });
      await h.screenshot('fillall-summary-failed');

      const responses = () => h.gateway.requestsFor(scenario.url).filter((r) => r.path.endsWith('/responses'));
      const refusedBefore = responses().filter((r) => promptOf(r.json).includes('FORBIDDEN')).length;
      const totalBefore = responses().length;
      assert.ok(refusedBefore >= 1);
      // Retry Failed right away: the summary stays a toast only while nothing else is done in the window.
      await h.workbench.clickNotificationButton('Retry Failed', 'Generated and linked 2 of 3');
      const second = await waitFor(
        'the summary of the retry',
        async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Generated and linked 0 of 1')),
        { timeoutMs: 90_000 },
      );
      assert.match(second, /1 failed/);
      const retried = responses().slice(totalBefore);
      assert.ok(retried.length >= 1, 'the retry asked again');
      assert.ok(retried.every((r) => promptOf(r.json).includes('FORBIDDEN')), 'only the failed link was asked again');
      const expected = original
        .replace(`![${alts[0]}]()`, `![${alts[0]}](images/a-red-kite-over-hills.png)`)
        .replace(`![${alts[2]}]( )`, `![${alts[2]}](images/a-green-lamp.png)`);
      assert.equal(await h.savedText(doc), expected, 'the refused placeholder is unchanged, the other two filled');
      assert.deepEqual(await h.listFiles('docs/images'), ['docs/images/a-green-lamp.png', 'docs/images/a-red-kite-over-hills.png']);
    }));
});
