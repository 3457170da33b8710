/**
 * End to end: token usage and plan quota in a real VS Code (issue 13 item 6). After a generation against the test
 * gateway's `codex-quota` scenario (the answer's usage, the image tool's own tokens, and the Codex quota headers CPA
 * passes through), the preview shows the image's tokens and the quota left, and the status bar item, which stays
 * between generations once an image was made, shows the session's tokens, with the session total and the quota in
 * its tooltip. A second run adds to the total. Each case reads the total before it runs, so the cases do not depend
 * on one another's order.
 *
 * Run: export PATH=/work/main/.tools/node24/node_modules/.bin:$PATH; npm run -s package &&
 *      E2E_FILES="test/e2e/usage.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { Harness, makeTestKey, waitFor } from './harness';

const apiKey = makeTestKey();
const guide = 'docs/guide.md';
const caseTimeout = { timeout: 180_000 };
/** What the `codex-quota` and `ok` scenarios report by default: 1280 tokens of the text model + 321 of the image tool. */
const DEFAULT_TOKENS = 1601;
/** `usage=platform`: the recorded platform usage. */
const PLATFORM_TOKENS = 4190;

describe('Token usage and plan quota in a real VS Code', { timeout: 15 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-usage.log' });
    await h.setApiKey(apiKey);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
  });

  /** Runs a case; on failure keeps a screenshot and says what the status bar showed. */
  async function scene(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      await h.screenshot(`usage-${name}-FAILED`).catch(() => undefined);
      const status = await h.workbench.statusBarTexts().catch(() => []);
      if (error instanceof Error) error.message += `\n  status bar: ${JSON.stringify(status)}`;
      throw error;
    }
  }

  /** The idle status bar item of the session's usage: `1,601 tokens` (its icon has no text). */
  const usageItem = () => h.workbench.statusBarItem(/^\s*[\d,]+ tokens\s*$/);

  /** The session's tokens as the status bar shows them now; 0 before the first image. */
  async function sessionTokens(): Promise<number> {
    if ((await usageItem().count()) === 0) return 0;
    return Number((await usageItem().first().innerText()).replace(/[^\d]/g, ''));
  }

  /** Generates one image from the palette into the guide and waits until the run is over. */
  async function generate(prompt: string): Promise<void> {
    await h.openFile(guide);
    await h.workbench.goTo(3, 1);
    await h.page.keyboard.press('End');
    await h.workbench.runCommand('CPA Image: Generate Image');
    await h.workbench.typeInQuickInput(prompt);
    await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), {
      timeoutMs: 60_000,
    });
    await waitFor('the generation to end', async () => (await h.workbench.statusBarItem(/CPA Image:/).count()) === 0);
  }

  /** The frame of the preview once it shows the final image of `prompt`. */
  async function previewOf(prompt: string): Promise<Frame> {
    return waitFor(
      `the preview to show "${prompt}"`,
      async () => {
        for (const frame of h.page.frames()) {
          if (frame === h.page.mainFrame() || frame.isDetached()) continue;
          const text = await frame
            .locator('body[data-ready="true"] #current[data-kind="entry"] [data-testid="current-prompt"]')
            .first()
            .innerText({ timeout: 1000 })
            .catch(() => '');
          if (text.trim() === prompt) return frame;
        }
        return undefined;
      },
      { timeoutMs: 45_000, intervalMs: 200 },
    );
  }

  async function currentText(frame: Frame, testid: string): Promise<string> {
    return (await frame.locator(`#current [data-testid="${testid}"]`).first().innerText()).trim();
  }

  /** Hovers the usage item and returns the text of its tooltip. */
  async function usageTooltip(): Promise<string> {
    const hover = h.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'This session' });
    return waitFor(
      'the status bar tooltip',
      async () => {
        await usageItem().first().hover();
        const shown = await hover.first().innerText({ timeout: 2000 }).catch(() => '');
        if (shown) return shown.replace(/\s+/g, ' ').trim();
        // Not shown yet (a hover needs the pointer to rest): move away and come back.
        await h.page.mouse.move(0, 0);
        return undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300 },
    );
  }

  it('after one generation: the preview shows its tokens and the quota left; the status bar tooltip the session total', caseTimeout, () =>
    scene('one', async () => {
      const before = await sessionTokens();
      const scenario = await h.useScenario('codex-quota', undefined, { 'cpaImage.preview.openOnGenerate': true });
      const prompt = 'a lighthouse drawn in ink';
      await generate(prompt);
      await h.requestTo(scenario);

      const frame = await previewOf(prompt);
      assert.equal(await currentText(frame, 'current-tokens'), '1,601 tokens (input 1,200 · output 80 · image 321)');
      const quota = await currentText(frame, 'current-quota');
      assert.match(quota, /^81% of 5 h left \(resets .+\) · 64% of 7 d left \(resets .+\)$/);

      const total = before + DEFAULT_TOKENS;
      await waitFor('the status bar to show the session total', async () => (await sessionTokens()) === total);
      const tooltip = await usageTooltip();
      assert.match(tooltip, new RegExp(`This session: \\d+ images? · ${total.toLocaleString('en')} tokens`));
      assert.match(tooltip, /Plan quota \(plus\): 81% of 5 h left \(resets .+\) · 64% of 7 d left/);
      assert.equal(await h.page.locator('.monaco-hover a[href^="command:"], .workbench-hover a[href^="command:"]').count(), 0, 'no command link in the tooltip');
      await h.screenshot('usage-one-generation');
    }));

  it('a second generation adds its tokens to the session total; an answer without quota headers shows no quota row', caseTimeout, () =>
    scene('two', async () => {
      await h.page.mouse.move(0, 0);
      const before = await sessionTokens();
      await h.useScenario('ok', { usage: 'platform' }, { 'cpaImage.preview.openOnGenerate': true });
      const prompt = 'a harbour at dawn';
      await generate(prompt);
      const frame = await previewOf(prompt);
      assert.equal(await currentText(frame, 'current-tokens'), '4,190 tokens (input 2,941 · output 1,249)');
      assert.equal(await frame.locator('#current [data-testid="current-quota"]').count(), 0, 'no quota row without quota headers');

      const total = before + PLATFORM_TOKENS;
      await waitFor('the status bar to add the second image', async () => (await sessionTokens()) === total);
      const tooltip = await usageTooltip();
      assert.match(tooltip, new RegExp(`This session: \\d+ images · ${total.toLocaleString('en')} tokens`));
      await h.screenshot('usage-session-total');
    }));
});
