/**
 * End to end, in a real VS Code (code-server) driven in Chromium: "Write Alt Text" and "Write Alt Text for All
 * Images" (issue 14 item 5). The quick fix (Ctrl+.) on `![](img/chart.png)` sends the local image to the text model
 * with no image tool and writes the gateway's sentence into the alt only; the command for all images fills every
 * local image without alt text (the one in a Chinese paragraph in Chinese), skips the remote one with a note and
 * leaves the one in a code block alone. While the model answers the user may edit: the alt is found where the edits
 * moved it, and an alt the user wrote meanwhile is never overwritten.
 *
 * Run: E2E_FILES="test/e2e/altText.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { makePng } from '../gateway/images';
import { ALT_TEXT_REPLY, ALT_TEXT_REPLY_ZH } from '../gateway/scenarios';
import type { RecordedRequest } from '../gateway/server';
import { Harness, makeTestKey, waitFor } from './harness';
import { removeInside } from '../support/removeInside';

const apiKey = makeTestKey();
const caseTimeout = { timeout: 180_000 };
const doc = 'docs/alt.md';

type Json = Record<string, unknown>;

/** The content parts of a recorded text request: the instruction, then the image. */
function partsOf(request: RecordedRequest): Json[] {
  const input = (request.json as { input?: unknown }).input as Json[] | undefined;
  return (input?.[0]?.content as Json[] | undefined) ?? [];
}

describe('Write Alt Text in a real VS Code', { timeout: 20 * 60_000 }, () => {
  let h: Harness;
  const chart = makePng(8, 6);
  const flow = makePng(5, 7);

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-alttext.log' });
    await h.setApiKey(apiKey);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
    await removeInside(h.workspaceDir, doc);
    await removeInside(h.workspaceDir, 'docs/img', { recursive: true });
  });

  /** Runs a case; on failure keeps a screenshot of what the user would have seen. */
  async function scene(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      await h.screenshot(`alttext-${name}-FAILED`).catch(() => undefined);
      const notifications = await h.workbench.notificationTexts().catch(() => []);
      if (error instanceof Error) error.message += `\n  notifications: ${JSON.stringify(notifications)}`;
      throw error;
    }
  }

  async function writeWorkspaceFile(relPath: string, content: string | Uint8Array): Promise<void> {
    const file = path.join(h.workspaceDir, relPath);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }

  function assertTextRequest(request: RecordedRequest, image: Buffer): void {
    const body = request.json as Json;
    assert.equal(body.tools, undefined, 'no tools: the image tool is not offered, no image quota is spent');
    assert.equal(body.tool_choice, undefined);
    const parts = partsOf(request);
    assert.equal(parts[0]?.type, 'input_text');
    assert.equal(parts[1]?.type, 'input_image');
    assert.equal(parts[1]?.image_url, `data:image/png;base64,${image.toString('base64')}`, 'the local image, as a data URL');
  }

  it('quick fix (Ctrl+.) on ![](img/chart.png): Write Alt Text fills the alt with the gateway\'s sentence and nothing else', caseTimeout, () =>
    scene('quick-fix', async () => {
      const scenario = await h.useScenario('alt-text');
      const before = ['# Sales', '', 'The sales of the year, month by month, for our three products:', '', '![](img/chart.png "Sales")', '', 'The end.', ''].join('\n');
      await writeWorkspaceFile('docs/img/chart.png', chart);
      await writeWorkspaceFile(doc, before);
      await h.openFile(doc);

      const action = h.page.locator('.action-widget .monaco-list-row', { hasText: 'Write Alt Text' });
      // Ctrl+. pressed before the extension host has answered for this newly opened document shows "no code actions":
      // ask again until the list holds the action.
      await waitFor(
        'the quick fix list to offer "Write Alt Text"',
        async () => {
          if (await action.first().isVisible()) return true;
          await h.page.keyboard.press('Escape');
          await h.workbench.goTo(5, 5); // inside the image's target
          await h.page.keyboard.press('Control+.');
          return action.first().isVisible();
        },
        { timeoutMs: 60_000, intervalMs: 2_000 },
      );
      await h.screenshot('alttext-quick-fix');
      await action.first().click();

      const request = await h.requestTo(scenario);
      assertTextRequest(request, chart);
      assert.match(String(partsOf(request)[0]?.text), /in English/);
      await waitFor('the alt in the editor', async () => (await h.workbench.editorText()).includes(`![${ALT_TEXT_REPLY}](img/chart.png "Sales")`));
      await h.screenshot('alttext-quick-fix-filled');
      assert.equal(await h.savedText(doc), before.replace('![](img/chart.png', `![${ALT_TEXT_REPLY}](img/chart.png`), 'only the alt changed');
      assert.equal(h.gateway.requestsFor(scenario.url).length, 1);
    }));

  /** Opens the quick fix list on the image at `line`, `column` and picks Write Alt Text. */
  async function quickFixWriteAltText(line: number, column: number): Promise<void> {
    const action = h.page.locator('.action-widget .monaco-list-row', { hasText: 'Write Alt Text' });
    await waitFor(
      'the quick fix list to offer "Write Alt Text"',
      async () => {
        if (await action.first().isVisible()) return true;
        await h.page.keyboard.press('Escape');
        await h.workbench.goTo(line, column);
        await h.page.keyboard.press('Control+.');
        return action.first().isVisible();
      },
      { timeoutMs: 60_000, intervalMs: 2_000 },
    );
    await action.first().click();
  }

  it('the alt is still found after the user edits the document while the model answers', caseTimeout, () =>
    scene('tracking', async () => {
      // 15 s for the user's typing below, enough on a busy machine.
      const scenario = await h.useScenario('alt-text', { delayMs: 15000 });
      const before = ['# Sales', '', 'The sales of the year, month by month, for our three products:', '', '![](img/chart.png) ends the line', ''].join('\n');
      await writeWorkspaceFile('docs/img/chart.png', chart);
      await writeWorkspaceFile(doc, before);
      await h.openFile(doc);
      await quickFixWriteAltText(5, 8);
      await h.requestTo(scenario);

      // The user keeps writing: a new first line, and more text after the image on its line.
      await h.workbench.goTo(1, 1);
      await h.page.keyboard.type('Draft');
      await waitFor('"Draft" typed', async () => (await h.workbench.editorText()).startsWith('Draft# Sales'));
      await waitFor(
        'the new first line',
        async () => {
          if ((await h.workbench.editorText()).startsWith('Draft# Sales')) await h.page.keyboard.press('Enter');
          return (await h.workbench.editorText()).startsWith('Draft\n# Sales');
        },
        { intervalMs: 3_000 },
      );
      await h.workbench.goTo(6, 1);
      await h.page.keyboard.press('End');
      await h.page.keyboard.type(', edited meanwhile');
      await waitFor('the text typed after the image', async () => (await h.workbench.editorText()).includes('![](img/chart.png) ends the line, edited meanwhile'));

      await waitFor('the alt in the editor', async () => (await h.workbench.editorText()).includes(`![${ALT_TEXT_REPLY}](img/chart.png)`), { timeoutMs: 60_000 });
      assert.equal(
        await h.savedText(doc),
        ['Draft', '# Sales', '', 'The sales of the year, month by month, for our three products:', '', `![${ALT_TEXT_REPLY}](img/chart.png) ends the line, edited meanwhile`, ''].join('\n'),
      );
    }));

  it('an alt the user writes meanwhile is never overwritten: the answer goes to the clipboard instead', caseTimeout, () =>
    scene('user-wins', async () => {
      const scenario = await h.useScenario('alt-text', { delayMs: 10000 });
      const before = ['# Sales', '', 'The sales of the year, month by month, for our three products:', '', '![](img/chart.png)', ''].join('\n');
      await writeWorkspaceFile('docs/img/chart.png', chart);
      await writeWorkspaceFile(doc, before);
      await h.openFile(doc);
      await quickFixWriteAltText(5, 8);
      await h.requestTo(scenario);
      await h.workbench.goTo(5, 3); // between the brackets
      await h.page.keyboard.type('My chart');
      await waitFor("the user's own alt", async () => (await h.workbench.editorText()).includes('![My chart](img/chart.png)'));
      const warning = await waitFor(
        'the warning that the image changed',
        async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('The image changed while its alt text was written')),
        { timeoutMs: 60_000 },
      );
      assert.ok(warning.includes(ALT_TEXT_REPLY.slice(0, 20)), warning);
      await h.screenshot('alttext-user-wins');
      assert.equal(await h.savedText(doc), before.replace('![](', '![My chart]('), "the user's alt is kept");
    }));

  it('Write Alt Text for All Images: every local image gets its alt (Chinese next to Chinese), the remote one is skipped, code is left alone', caseTimeout, () =>
    scene('all', async () => {
      const scenario = await h.useScenario('alt-text', undefined, { 'cpaImage.concurrency': 2 });
      const before = [
        '# Build',
        '',
        'The sales of the year, month by month, for our three products:',
        '',
        '![image](img/chart.png)',
        '',
        '下面的流程图展示了扩展如何调用网关并保存生成的图片文件：![图片](img/flow.png)',
        '',
        'A remote one: ![](https://example.test/remote.png)',
        '',
        '```md',
        '![](img/in-code.png)',
        '```',
        '',
      ].join('\n');
      await writeWorkspaceFile('docs/img/chart.png', chart);
      await writeWorkspaceFile('docs/img/flow.png', flow);
      await writeWorkspaceFile(doc, before);
      await h.openFile(doc);

      await h.workbench.runCommand('CPA Image: Write Alt Text for All Images');
      const summary = await waitFor(
        'the summary notification',
        async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Alt text written for')),
        { timeoutMs: 60_000 },
      );
      assert.match(summary, /Alt text written for 2 of 3 images\. 1 skipped/);
      await h.screenshot('alttext-all-summary');
      const requests = h.gateway.requestsFor(scenario.url);
      assert.equal(requests.length, 2, 'one request per local image; none for the remote one or the one in code');
      const byImage = new Map(requests.map((r) => [String(partsOf(r)[1]?.image_url), r]));
      assertTextRequest(byImage.get(`data:image/png;base64,${chart.toString('base64')}`) as RecordedRequest, chart);
      const zh = byImage.get(`data:image/png;base64,${flow.toString('base64')}`) as RecordedRequest;
      assertTextRequest(zh, flow);
      assert.match(String(partsOf(zh)[0]?.text), /in Chinese/, 'the image in the Chinese paragraph is asked for in Chinese');

      const expected = before
        .replace('![image](img/chart.png)', `![${ALT_TEXT_REPLY}](img/chart.png)`)
        .replace('![图片](img/flow.png)', `![${ALT_TEXT_REPLY_ZH}](img/flow.png)`);
      await waitFor('both alts in the editor', async () => (await h.workbench.editorText()) === expected);
      assert.equal(await h.savedText(doc), expected, 'only the two alts changed');
    }));
});
