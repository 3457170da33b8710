/**
 * End to end, the Chinese UI seen (issue 11 item 6): code-server started with `--locale zh-cn` and a Chinese
 * (Simplified) language pack installed (the minimal test pack in fixtures/zh-cn-language-pack: no npm or Debian
 * package carries Microsoft's). The palette lists our commands with the titles of package.nls.zh-cn.json, and a
 * notification of ours reads as in l10n/bundle.l10n.zh-cn.json.
 *
 * Run: E2E_FILES="test/e2e/chinese.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Harness, waitFor } from './harness';
import { repoRoot } from './vscodeSession';

const titles = JSON.parse(readFileSync(path.join(repoRoot, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
const bundle = JSON.parse(readFileSync(path.join(repoRoot, 'l10n', 'bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
const category = titles['cpaImage.category'];
const generate = `${category}: ${titles['cpaImage.command.generate.title']}`;
const checkConnection = `${category}: ${titles['cpaImage.command.checkConnection.title']}`;
/** The start of the zh-cn text of "No gateway URL is configured…" (the message may go on with the fix). */
const noUrl = Object.entries(bundle).find(([english]) => english.startsWith('No gateway URL is configured'))?.[1];

describe('the Chinese UI under --locale zh-cn with a language pack (code-server + Chromium)', { timeout: 5 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    assert.ok(noUrl, 'l10n/bundle.l10n.zh-cn.json translates "No gateway URL is configured…"');
    h = await Harness.start({
      logName: 'code-server-chinese.log',
      locale: 'zh-cn',
      testExtensions: ['zh-cn-language-pack'],
      readyCommand: generate,
    });
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  it('the palette lists our commands in Chinese', { timeout: 120_000 }, async () => {
    const labels = await h.workbench.paletteLabels(category, { keepOpen: true });
    await h.screenshot('chinese-palette', { settle: false });
    await h.page.keyboard.press('Escape');
    assert.ok(labels.includes(generate), `palette: ${JSON.stringify(labels)}`);
    assert.ok(labels.includes(checkConnection), `palette: ${JSON.stringify(labels)}`);
    // The English originals are listed too: VS Code shows a translated command's English title under it (its alias).
    const chinese = labels.filter((label) => label.startsWith(`${category}: `) && /[\u4e00-\u9fff]/.test(label));
    assert.ok(chinese.length >= 5, `Chinese titles: ${JSON.stringify(chinese)}`);
  });

  it('a notification of ours is in Chinese', { timeout: 120_000 }, async () => {
    await h.setUserSettings({ 'cpaImage.baseUrl': '' });
    await h.workbench.runCommand(generate);
    const prefix = noUrl!.split(/[。.]/)[0]!;
    const text = await waitFor(
      'the Chinese "no gateway URL" notification',
      async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith(prefix)),
      { timeoutMs: 60_000 },
    );
    await h.screenshot('chinese-notification');
    assert.match(text, /[\u4e00-\u9fff]/);
  });
});
