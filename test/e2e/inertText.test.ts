/**
 * End to end, issue 9 item 1: text from the gateway or the workspace never becomes a live link in a notification
 * (code-server 4.139 = VS Code 1.139, driven in Chromium). VS Code's notifications turn `[label](command:…)` into
 * a link that runs the command when clicked; here the command opens a terminal, so a click that runs it shows.
 *
 * - (a) the gateway answers 400 with `[Sign in again](command:workbench.action.terminal.new) Your session has
 *   expired.` (scenario `markdown-link-error`): the error notification shows the words as plain text;
 * - (b) the document lives in a workspace folder named `[Sign in again](command:workbench.action.terminal.new)`,
 *   so the "Saved …" notification names it: plain text too.
 *
 * Each case has its own code-server, started with `cpaImage.baseUrl` already on its scenario (no settings change
 * while it runs). Each case checks the notification's DOM (no `<a>` in the message), that the
 * words are visible, then clicks on the words and checks that no terminal exists after the click and after a
 * round trip through the command palette and the extension host ("CPA Image: Show Log" and its text in the Output
 * panel). Screenshots: test-results/e2e/inert-*.png.
 *
 * Run: E2E_STRESS=1 E2E_FILES="test/e2e/inertText.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ScenarioName } from '../gateway/server';
import { Harness, makeTestKey, waitFor, type Scenario } from './harness';

const apiKey = makeTestKey();
const guide = 'docs/guide.md';
const caseTimeout = { timeout: 240_000 };
const caseSettings = { 'cpaImage.preview.openOnGenerate': false };
const linkWords = 'Sign in again';
const commandLink = `[${linkWords}](command:workbench.action.terminal.new)`;
/** The zero-width space the extension puts inside link syntax: invisible, so the text reads as the gateway wrote it. */
const visible = (text: string) => text.replace(/\u200b/g, '');

/** One code-server per case, its base URL on `scenario` from the start, the key set; closed after the case. */
function withHarness(scenario: ScenarioName, logName: string): { h: () => Harness; scenario: () => Scenario } {
  let harness: Harness | undefined;
  before(async () => {
    harness = await Harness.start({ logName, settings: caseSettings, scenario });
    await harness.setApiKey(apiKey);
  }, { timeout: 240_000 });
  after(async () => {
    await harness?.close();
  });
  const h = (): Harness => {
    if (!harness) throw new Error('the harness did not start');
    return harness;
  };
  return { h, scenario: () => h().scenario as Scenario };
}

/** Runs a case; on failure keeps a screenshot of what the user would have seen (Harness.scene). */
const scene = (h: Harness, name: string, body: () => Promise<void>) => h.scene(`inert-${name}`, body);

/** Waits until no generation shows: no progress notification, no status bar item. */
async function generationEnded(h: Harness): Promise<void> {
  await waitFor(
    'the progress notification and the status bar item to go',
    async () =>
      !(await h.workbench.notificationTexts()).some((t) => t.includes('Generating image')) &&
      (await h.workbench.statusBarItem(/CPA Image:/).count()) === 0,
    { timeoutMs: 60_000 },
  );
}

/** Terminals the workbench shows or holds: xterm elements, terminal tabs, the terminal view. */
async function terminals(h: Harness): Promise<number> {
  return h.page.locator('.xterm, .terminal-tabs-entry, .single-terminal-tab, .integrated-terminal .terminal-wrapper').count();
}

interface Seen {
  /** `<a>` elements in the notification's message. */
  links: number;
  /** The message as shown, without the invisible breaks. */
  text: string;
  terminalsAfterClick: number;
}

/**
 * The notification whose message contains `words`: its links, its visible text, then a click on the link words
 * themselves (on the link when there is one), a round trip through the palette and the extension host ("Show
 * Log" and its text in the Output panel), and the terminals counted again.
 */
async function inspectAndClick(h: Harness, words: string, shot: string): Promise<Seen> {
  const toast = h.workbench.notification(words).first();
  const message = toast.locator('.notification-list-item-message');
  await message.waitFor({ state: 'visible', timeout: 30_000 });
  const links = await message.locator('a').count();
  const text = visible(await message.innerText());
  await h.screenshot(shot);

  // The centre of the words on screen, whether they are a link or plain text.
  const point = await message.evaluate((element, target) => {
    const walker = element.ownerDocument.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = (node.textContent ?? '').indexOf(target);
      if (at < 0) continue;
      const range = element.ownerDocument.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + target.length);
      // The first line box: the words may wrap onto two lines, and the middle of both could miss them.
      const rect = range.getClientRects()[0] ?? range.getBoundingClientRect();
      return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
    }
    return undefined;
  }, linkWords);
  assert.ok(point, `the words "${linkWords}" are on screen in the notification: ${JSON.stringify(text)}`);
  assert.equal(await terminals(h), 0, 'no terminal before the click');
  await h.page.mouse.click(point.x, point.y);

  // A round trip through the palette and the extension host. A terminal that opened takes the focus and can close
  // the palette: that is a failure reported by the terminal count below, so the round trip may fail.
  await h.workbench
    .runCommand('CPA Image: Show Log')
    .then(() => waitFor('the log in the Output panel', async () => /#\d+ /.test(await h.workbench.outputText().catch(() => '')), { timeoutMs: 30_000 }))
    .catch(() => undefined);
  return { links, text, terminalsAfterClick: await terminals(h) };
}

describe('(a) a 400 whose message is a command link (code-server + Chromium)', { timeout: 10 * 60_000 }, () => {
  const { h, scenario } = withHarness('markdown-link-error', 'code-server-inert-a.log');

  it('the error notification shows it as plain text; clicking the words runs nothing', caseTimeout, () =>
    scene(h(), 'a-gateway-error', async () => {
      await h().openFile(guide);
      await h().workbench.runCommand('CPA Image: Generate Image');
      await h().workbench.typeInQuickInput('a lighthouse at dusk');
      await h().requestTo(scenario());
      await waitFor('the error notification', async () =>
        (await h().workbench.notificationTexts()).find((t) => t.includes('Your session has expired')),
      );
      await generationEnded(h());

      const seen = await inspectAndClick(h(), 'Your session has expired', 'inert-a-error-notification');
      await h().screenshot('inert-a-after-click');
      assert.deepEqual(
        { links: seen.links, terminalsAfterClick: seen.terminalsAfterClick },
        { links: 0, terminalsAfterClick: 0 },
        `no link in the notification and no terminal after clicking "${linkWords}"`,
      );
      assert.ok(seen.text.includes(`${commandLink} Your session has expired.`), `the gateway's words shown as written: ${seen.text}`);
      assert.match(seen.text, /^The gateway rejected the request \(HTTP 400\): /);
    }));
});

describe('(b) a workspace folder named like a command link (code-server + Chromium)', { timeout: 10 * 60_000 }, () => {
  const { h, scenario } = withHarness('ok', 'code-server-inert-b.log');

  it('the "Saved …" notification shows the folder as plain text; clicking the words runs nothing', caseTimeout, () =>
    scene(h(), 'b-folder-name', async () => {
      const folder = commandLink;
      const documentPath = path.join(h().workspaceDir, folder, 'inert-folder.md');
      await mkdir(path.dirname(documentPath), { recursive: true });
      await writeFile(documentPath, '# A folder named like a link\n\ntext\n');
      await h().workbench.openFile('inert-folder.md');
      await waitFor('the document in the editor', async () => (await h().workbench.editorText()).includes('A folder named like a link'));
      await h().workbench.goTo(3, 1);
      await h().workbench.runCommand('CPA Image: Generate Image');
      await h().workbench.typeInQuickInput('a red fox in the snow');
      await h().requestTo(scenario());
      await waitFor('the "Saved" notification', async () => (await h().workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), {
        timeoutMs: 60_000,
      });
      const files = await h().listFiles(`${folder}/images`);
      assert.equal(files.length, 1, `one image saved in the folder: ${JSON.stringify(files)}`);

      const seen = await inspectAndClick(h(), 'Saved ', 'inert-b-saved-notification');
      await h().screenshot('inert-b-after-click');
      await generationEnded(h());
      assert.deepEqual(
        { links: seen.links, terminalsAfterClick: seen.terminalsAfterClick },
        { links: 0, terminalsAfterClick: 0 },
        `no link in the notification and no terminal after clicking "${linkWords}"`,
      );
      assert.equal(seen.text, `Saved ${files[0]}`, 'the saved path shown as it is on disk');
    }));
});
