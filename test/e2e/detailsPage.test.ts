/**
 * End to end, the Extensions details page (issue 11 item 5): the .vsix the harness installs is opened from the
 * Extensions view the way a user finds it, and its README tab renders the packaged README. The machine is offline,
 * so the pictures themselves cannot load here; what is checked is what decides whether they load online: the
 * heading and first paragraph rendered, and every <img> an https:// address on the repository's main branch (no
 * relative source, which is what broke them before). The screenshot is test-results/e2e/details-page.png.
 *
 * Run: E2E_FILES="test/e2e/detailsPage.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { Harness, repoRoot, resultsDir, waitFor } from './harness';
import { removeInside } from '../support/removeInside';

const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { displayName: string; repository: { url: string } };
/** Where `npm run package` points the README's images: the repository's main branch (vsce --githubBranch main). */
const imageBase = `${manifest.repository.url.replace(/\.git$/, '')}/raw/main/`;

describe('the Extensions details page shows the README (code-server + Chromium)', { timeout: 5 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ logName: 'code-server-details.log' });
  }, { timeout: 180_000 });

  after(async () => {
    await h?.close();
  });

  /** The webview frame that renders the README: the one whose first heading is the extension's name. */
  async function readmeFrame(): Promise<Frame> {
    return waitFor('the README rendered in the details page', async () => {
      for (const frame of h.page.frames()) {
        if (frame === h.page.mainFrame() || frame.isDetached()) continue;
        const heading = await frame.locator('h1', { hasText: manifest.displayName }).count().catch(() => 0);
        const images = await frame.locator('img').count().catch(() => 0);
        if (heading > 0 && images > 0) return frame;
      }
      return undefined;
    }, { timeoutMs: 45_000 });
  }

  it('opens from the Extensions view; the README renders, its images are https:// on the repository', { timeout: 90_000 }, async () => {
    await removeInside(resultsDir, 'details-page-FAILED.png');
    try {
      await h.workbench.runCommand('Extensions: Show Installed Extensions');
      const item = h.page.locator('.extensions-viewlet .extension-list-item', {
        has: h.page.locator('.name', { hasText: manifest.displayName }),
      }).first();
      await item.waitFor({ state: 'visible', timeout: 30_000 });
      await item.click();
      await h.page.locator('.extension-editor .header .name', { hasText: manifest.displayName }).waitFor({ state: 'visible', timeout: 30_000 });

      const frame = await readmeFrame();
      const firstParagraph = (await frame.locator('p').first().innerText()).replace(/\s+/g, ' ').trim();
      assert.match(firstParagraph, /^Turn a prompt .* into an image, without leaving VS Code\./, 'the first paragraph says what it is');
      const sources = await frame.locator('img').evaluateAll((imgs) => imgs.map((img) => img.getAttribute('src') ?? ''));
      assert.ok(sources.length >= 10, `the README's screenshots are there (${sources.length})`);
      for (const src of sources) assert.ok(src.startsWith(imageBase), `an https:// image on the repository: ${src}`);
      // The first screen shows it: the first picture comes before the second heading.
      const firstImageBeforeSection = await frame.evaluate(() => {
        const image = document.querySelector('img');
        const section = document.querySelector('h2');
        return !!image && !!section && (image.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
      });
      assert.ok(firstImageBeforeSection, 'a picture before the first section');
      await h.screenshot('details-page');
    } catch (error) {
      await h.screenshot('details-page-FAILED').catch(() => undefined);
      throw error;
    }
  });
});
