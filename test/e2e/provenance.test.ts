/**
 * End to end (issue 12 item 4): provenance in the saved file and Regenerate from File, in the packaged extension.
 * "Generate Image" saves a PNG whose iTXt holds the prompt; the Explorer's context menu on that image offers
 * "Regenerate from File", which sends the same prompt to the gateway again and saves `<name>-regenerated.png` next
 * to it; on a PNG without provenance it says so and sends nothing.
 *
 * Run: export PATH=$(bash scripts/node24.sh):$PATH; E2E_FILES="test/e2e/provenance.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { makePng } from '../gateway/images';
import { checkPng } from '../gateway/inspect';
import { removeInside } from '../support/removeInside';
import { Harness, makeTestKey, waitFor } from './harness';

const apiKey = makeTestKey();
const guide = 'docs/guide.md';
const caseTimeout = { timeout: 180_000 };
const menuTitle = 'Regenerate from File';

/** The text of the PNG's iTXt chunk `keyword`, read without src/core. */
function iTxt(bytes: Buffer, keyword: string): string | undefined {
  for (let at = 8; at + 12 <= bytes.length; at += 12 + bytes.readUInt32BE(at)) {
    if (bytes.toString('latin1', at + 4, at + 8) !== 'iTXt') continue;
    const data = bytes.subarray(at + 8, at + 8 + bytes.readUInt32BE(at));
    const keyEnd = data.indexOf(0);
    if (data.toString('latin1', 0, keyEnd) !== keyword) continue;
    const translated = data.indexOf(0, data.indexOf(0, keyEnd + 3) + 1);
    return data.toString('utf8', translated + 1);
  }
  return undefined;
}

describe('Provenance and Regenerate from File, in a real VS Code', { timeout: 10 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-provenance.log' });
    await h.setApiKey(apiKey);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
    // This file's images are saved in docs/ itself (cpaImage.destination below): remove the earlier cases' ones.
    for (const name of await readdir(path.join(h.workspaceDir, 'docs'))) {
      if (/\.(png|jpe?g|webp)$/i.test(name)) await removeInside(h.workspaceDir, `docs/${name}`);
    }
  });

  /** Runs a case; on failure keeps a screenshot of what the user would have seen (Harness.scene). */
  const scene = (name: string, body: () => Promise<void>) => h.scene(`provenance-${name}`, body);

  async function savedNotification(): Promise<string> {
    const saved = await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Saved ')), {
      timeoutMs: 60_000,
    });
    await waitFor('the progress notification to go', async () => !(await h.workbench.notificationTexts()).some((t) => t.includes('Generating image')));
    return saved;
  }

  /** Right-clicks docs/`name` in the Explorer until the menu offers Regenerate from File, then picks it. */
  async function regenerateFromExplorer(name: string): Promise<string[]> {
    await h.openFile(guide);
    await h.workbench.runCommand('File: Reveal Active File in Explorer View');
    const row = h.page.locator('.explorer-folders-view .monaco-list-row', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    const item = h.page.locator('.monaco-menu .action-label', { hasText: new RegExp(`^\\s*${menuTitle}\\s*$`) }).first();
    // The explorer re-renders a row when it notices a new file, which can close a menu just opened: open it again.
    await waitFor(`the explorer context menu to offer "${menuTitle}"`, async () => {
      if (await item.isVisible()) return true;
      await h.page.keyboard.press('Escape');
      await row.click({ button: 'right' });
      return item.isVisible();
    }, { timeoutMs: 60_000, intervalMs: 2_000 });
    const titles = await h.workbench.contextMenuTitles();
    await h.screenshot('provenance-explorer-menu');
    const menu = h.page.locator('.monaco-menu');
    await waitFor(`"${menuTitle}" to run`, async () => {
      if (!(await menu.first().isVisible())) return true;
      await item.click({ timeout: 2_000 }).catch(() => undefined);
      return !(await menu.first().isVisible());
    }, { intervalMs: 500 });
    return titles;
  }

  it('a generated PNG holds its prompt; Regenerate from File sends the same prompt and saves a new image next to it', caseTimeout, () =>
    scene('regenerate', async () => {
      const scenario = await h.useScenario('ok', undefined, {
        'cpaImage.preview.openOnGenerate': false,
        'cpaImage.destination': '${documentDirName}/${slug}.${ext}',
      });
      const prompt = 'a lighthouse keeper </x:xmpmeta> reading at night';
      await h.openFile(guide);
      await h.workbench.goTo(3, 1);
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput(prompt);
      const first = await h.requestTo(scenario);
      await savedNotification();
      const images = (await readdir(path.join(h.workspaceDir, 'docs'))).filter((n) => n.endsWith('.png'));
      assert.equal(images.length, 1, JSON.stringify(images));
      const name = images[0] as string;
      const saved = await readFile(path.join(h.workspaceDir, 'docs', name));
      checkPng(saved);
      assert.equal(iTxt(saved, 'prompt'), prompt, 'the saved PNG\'s iTXt holds the prompt');
      assert.match(iTxt(saved, 'software') ?? '', /^CPA GPT Image /);
      // The link went into the guide: saved, so the guide on disk is what the editor shows again.
      assert.ok((await h.savedText(guide)).includes(`](${name})`), 'the link to the image is in the guide');
      await h.workbench.runCommand('Notifications: Clear All Notifications');

      const menu = await regenerateFromExplorer(name);
      assert.ok(menu.includes('Edit Image…'), JSON.stringify(menu));
      const second = await h.requestTo(scenario, 2);
      assert.deepEqual(second.json, first.json, 'the same prompt and settings are sent again');
      const note = await savedNotification();
      const base = name.replace(/\.png$/, '');
      assert.ok(note.includes(`docs/${base}-regenerated.png`), note);
      const again = await readFile(path.join(h.workspaceDir, 'docs', `${base}-regenerated.png`));
      checkPng(again);
      assert.equal(iTxt(again, 'prompt'), prompt, 'the new image carries the prompt too');
      await waitFor('the new file in the explorer', async () =>
        (await h.page.locator('.explorer-folders-view .monaco-list-row', { hasText: `${base}-regenerated.png` }).count()) > 0,
      );
      await h.screenshot('provenance-regenerated');
    }));

  it('a PNG without provenance: a clear message, and nothing is sent', caseTimeout, () =>
    scene('no-provenance', async () => {
      const scenario = await h.useScenario('ok', undefined, { 'cpaImage.preview.openOnGenerate': false });
      await mkdir(path.join(h.workspaceDir, 'docs'), { recursive: true });
      await writeFile(path.join(h.workspaceDir, 'docs/plain.png'), makePng(24, 16));
      await regenerateFromExplorer('plain.png');
      const note = await waitFor('the "no prompt" message', async () => (await h.workbench.notificationTexts()).find((t) => t.includes('holds no prompt')), {
        timeoutMs: 30_000,
      });
      assert.equal(note, 'plain.png holds no prompt saved by CPA GPT Image, so it cannot be regenerated.');
      await h.screenshot('provenance-no-prompt');
      assert.equal(h.gateway.requestsFor(scenario.url).length, 0, 'nothing reached the gateway');
    }));
});
