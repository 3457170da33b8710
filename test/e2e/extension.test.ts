/**
 * End to end: the packaged extension (.vsix) in a real VS Code (code-server 4.139 = VS Code 1.139), driven
 * in Chromium like a user drives it: the command palette, the input box, the password box (SecretStorage),
 * the editor's context menu, notifications and the status bar. The gateway is the loopback test gateway;
 * it records every request and checks the API key. One code-server serves the whole file; each case starts
 * from a fresh workspace state. Screenshots of each case go to test-results/e2e/.
 *
 * Run: export PATH=$(bash scripts/node24.sh):$PATH; npm run package;
 *      node --import tsx --test --test-concurrency=1 test/e2e/extension.test.ts
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Harness, isPng, makeTestKey, sampleFiles, waitFor } from './harness';
import { withoutProvenance } from '../gateway/inspect';

const apiKey = makeTestKey();
const keyHint = apiKey.slice(-4);
const guide = 'docs/guide.md';
const caseTimeout = { timeout: 180_000 };

/** The recorded body of a /v1/responses request. */
interface ResponsesBody {
  model?: unknown;
  input?: unknown;
  stream?: unknown;
  tools?: { type?: unknown; partial_images?: unknown }[];
}

/** `inserted` appears in `after` exactly at `offset` of `before` (only whitespace may surround it). */
function assertInsertedAt(before: string, after: string, offset: number, inserted: string): void {
  const index = after.indexOf(inserted);
  assert.notEqual(index, -1, `expected ${JSON.stringify(inserted)} in:\n${after}`);
  assert.equal(after.indexOf(inserted, index + 1), -1, 'inserted once');
  assert.equal(after.slice(0, index).trimEnd(), before.slice(0, offset).trimEnd(), 'text before the insertion kept');
  assert.equal(after.slice(index + inserted.length).trimStart(), before.slice(offset).trimStart(), 'text after the insertion kept');
}

describe('CPA GPT Image in a real VS Code (code-server + Chromium)', { timeout: 15 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey });
  }, { timeout: 180_000 });

  after(async () => {
    await h?.close();
  });

  // Each case states the key it needs instead of inheriting it from case (d): the stored key is set before every
  // case except (d), which removes it first (and waits for the answer), so any case passes alone and after a failure.
  beforeEach(async (t) => {
    await h.resetWorkspace();
    if (t.name.startsWith('(d)')) await removeStoredKey();
    else await h.setApiKey(apiKey);
    await h.workbench.runCommand('Notifications: Clear All Notifications');
  });

  /** "Clear API Key", waiting for its answer: removed now, or there was none. */
  async function removeStoredKey(): Promise<void> {
    await h.workbench.runCommand('CPA Image: Clear API Key');
    await waitFor('the key to be removed', async () =>
      (await h.workbench.notificationTexts()).some((t) => t.startsWith('API key removed') || t.startsWith('No API key is stored')),
    );
  }

  /** Runs a case; on failure keeps a screenshot of what the user would have seen (Harness.scene). */
  const scene = (name: string, body: () => Promise<void>) => h.scene(`${name}`, body);

  /** Waits until no generation shows: no progress notification, no status bar item. */
  async function generationEnded(): Promise<void> {
    await waitFor('the progress notification and the status bar item to go', async () =>
      !(await h.workbench.notificationTexts()).some((t) => t.includes('Generating image')) &&
      (await h.workbench.statusBarItem(/CPA Image:/).count()) === 0,
    );
  }

  /** Waits for the "Saved …" notification and the end of the run; returns the single file under `relDir`. */
  async function savedImage(relDir: string): Promise<string> {
    await waitFor('the "Saved" notification', async () => (await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), {
      timeoutMs: 30_000,
    });
    await generationEnded();
    const files = await h.listFiles(relDir);
    assert.equal(files.length, 1, `exactly one image under ${relDir}: ${JSON.stringify(files)}`);
    return files[0] as string;
  }

  it('installs from the .vsix and lists its commands in the palette', caseTimeout, () =>
    scene('smoke', async () => {
      assert.match(h.installedExtensions, /cpa-image\.cpa-gpt-image@\d+\.\d+\.\d+/);
      const labels = await h.workbench.paletteLabels('CPA Image');
      for (const title of ['Generate Image', 'Set API Key', 'Clear API Key', 'Show Resolved Configuration', 'Check Connection', 'Show Log']) {
        assert.ok(labels.includes(`CPA Image: ${title}`), `palette lists "CPA Image: ${title}": ${JSON.stringify(labels)}`);
      }
      // Only offered where it can work: with a selection.
      assert.ok(!labels.includes('CPA Image: Generate Image from Selection'), 'no "from Selection" without a selection');
      await h.workbench.paletteLabels('CPA Image', { keepOpen: true });
      await h.screenshot('smoke-palette');
      await h.page.keyboard.press('Escape');
    }));

  it('(d) without a key nothing is sent; "Set API Key" stores it and the gateway receives it', caseTimeout, () =>
    scene('d-set-api-key', async () => {
      const scenario = await h.useScenario('ok');
      await h.openFile(guide);
      // The configuration is checked before the prompt box opens: no prompt is typed for nothing.
      await h.workbench.runCommand('CPA Image: Generate Image');
      const noKey = await waitFor('the "no API key" error', async () =>
        (await h.workbench.notificationTexts()).find((t) => /API key/.test(t)),
      );
      assert.match(noKey, /No API key is configured/);
      assert.equal(await h.workbench.quickInput.isVisible(), false, 'no prompt box before the configuration is usable');
      assert.deepEqual(await h.workbench.notificationButtons('No API key'), ['Set API Key', 'Set Up Gateway…', 'Show Log']);
      assert.equal(h.gateway.requestsFor(scenario.url).length, 0, 'nothing reaches the gateway without a key');
      await generationEnded();
      await h.screenshot('d-no-key');
      await h.workbench.runCommand('Notifications: Clear All Notifications');

      const saved = await h.setApiKey(apiKey);
      assert.ok(saved.includes(keyHint), `names the key by its last four characters: ${saved}`);
      assert.ok(!saved.includes(apiKey), 'never shows the key');
      await h.screenshot('d-key-saved');

      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a lighthouse at dusk');
      const request = await h.requestTo(scenario);
      // Compared, never printed: a failing assert.equal would put the key in the test output.
      assert.ok(request.headers.authorization === `Bearer ${apiKey}`, 'the stored key is sent as the bearer token');
      const image = await savedImage('docs/images');
      assert.ok(isPng(await readFile(path.join(h.workspaceDir, image))));
    }));

  it('(a) palette "Generate Image": saves docs/images/….png and inserts ![prompt](images/….png) after the cursor', caseTimeout, () =>
    scene('a-generate', async () => {
      const scenario = await h.useScenario('ok');
      const prompt = 'a watercolor fox reading a book';
      await h.openFile(guide);
      const before = sampleFiles[guide] as string;
      const line3 = before.split('\n')[2] as string;
      await h.workbench.goTo(3, 1);
      await h.page.keyboard.press('End');
      const cursorOffset = before.indexOf(line3) + line3.length;

      await h.workbench.runCommand('CPA Image: Generate Image');
      const box = await h.workbench.quickInputState();
      assert.equal(box.value, '', 'no selection: the box starts empty');
      await h.screenshot('a-prompt-box');
      await h.workbench.typeInQuickInput(prompt);

      const request = await h.requestTo(scenario);
      const body = request.json as ResponsesBody;
      assert.equal(body.input, prompt);
      assert.equal(body.model, 'gpt-5.4', 'a text model, never gpt-image-*');
      assert.equal(body.tools?.[0]?.type, 'image_generation');

      const image = await savedImage('docs/images');
      assert.match(image, /^docs\/images\/[^/]+\.png$/);
      const bytes = await readFile(path.join(h.workspaceDir, image));
      assert.ok(isPng(bytes), 'a real PNG');
      assert.deepEqual(withoutProvenance(bytes), h.gateway.imageFor(scenario.url), 'the bytes the gateway served');
      const savedNote = (await h.workbench.notificationTexts()).find((t) => t.startsWith('Saved ')) as string;
      assert.deepEqual(await h.workbench.notificationButtons(savedNote), ['Open Image', 'Reveal in Explorer']);
      await waitFor('the link in the editor', async () => (await h.workbench.editorText()).includes('](images/'));
      await h.screenshot('a-inserted');

      const after = await h.savedText(guide);
      assertInsertedAt(before, after, cursorOffset, `![${prompt}](images/${path.posix.basename(image)})`);
    }));

  it('(b) right-click a selection → "Generate Image from Selection": the link goes after it, the prompt text stays', caseTimeout, () =>
    scene('b-selection', async () => {
      const scenario = await h.useScenario('ok');
      const selection = 'a red fox in the snow';
      await h.openFile(guide);
      const before = sampleFiles[guide] as string;
      await h.workbench.selectLine(5);
      await h.workbench.rightClickSelection(selection);
      const menu = await h.workbench.contextMenuTitles();
      assert.ok(menu.includes('Generate Image from Selection'), `context menu: ${JSON.stringify(menu)}`);
      await h.screenshot('b-context-menu');
      await h.workbench.clickContextMenu('Generate Image from Selection');

      const request = await h.requestTo(scenario);
      assert.equal((request.json as ResponsesBody).input, selection, 'the selection is the prompt, no question asked');
      const image = await savedImage('docs/images');
      assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, image))), h.gateway.imageFor(scenario.url));
      await waitFor('the link in the editor', async () => (await h.workbench.editorText()).includes('](images/'));
      await h.screenshot('b-inserted');

      const after = await h.savedText(guide);
      const end = before.indexOf(selection) + selection.length;
      assertInsertedAt(before, after, end, `![${selection}](images/${path.posix.basename(image)})`);
    }));

  it('(c) in a plain-text file the inserted text is the image path relative to the workspace', caseTimeout, () =>
    scene('c-plain-text', async () => {
      const scenario = await h.useScenario('ok');
      const prompt = 'sketch of a lighthouse at dusk';
      const notes = 'docs/notes.txt';
      await h.openFile(notes);
      const before = sampleFiles[notes] as string;
      await h.workbench.goTo(2, 1);
      await h.page.keyboard.press('End');
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput(prompt);
      await h.requestTo(scenario);
      const image = await savedImage('docs/images');
      assert.match(image, /^docs\/images\/[^/]+\.png$/);
      assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, image))), h.gateway.imageFor(scenario.url));
      await waitFor('the path in the editor', async () => (await h.workbench.editorText()).includes(image));
      await h.screenshot('c-inserted');
      const after = await h.savedText(notes);
      // Relative to the workspace folder (docs/images/…), not to the document (images/…), and no markdown.
      assertInsertedAt(before, after, before.indexOf('dusk') + 'dusk'.length, image);
      assert.ok(!after.includes(']('), 'no markdown link in a plain-text file');
    }));

  it('(e) a rejected key: the error says so and "Set API Key" opens the password box', caseTimeout, () =>
    scene('e-auth-error', async () => {
      const scenario = await h.useScenario('auth-string-error');
      await h.openFile(guide);
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a fox that will never be drawn');
      await h.requestTo(scenario);
      const message = await waitFor('the error notification', async () =>
        (await h.workbench.notificationTexts()).find((t) => /rejected the API key/.test(t)),
      );
      assert.match(message, /HTTP 401/);
      assert.match(message, /Set API Key/);
      assert.ok(!message.includes(apiKey), 'the key is not in the message');
      assert.deepEqual(await h.workbench.notificationButtons('rejected the API key'), ['Set API Key', 'Retry', 'Show Log']);
      await generationEnded();
      await h.screenshot('e-auth-error');
      assert.equal(h.gateway.requestsFor(scenario.url).length, 1, 'a 401 is not retried');
      assert.deepEqual(await h.listFiles('docs/images'), []);

      await h.workbench.clickNotificationButton('Set API Key', 'rejected the API key');
      const box = h.page.locator('.quick-input-widget .quick-input-box input[type="password"]');
      await box.waitFor({ state: 'visible', timeout: 10_000 });
      await h.screenshot('e-set-key-from-error');
      await h.page.keyboard.press('Escape');
      assert.equal(await h.workbench.activeTabIsDirty(), false, 'the document is untouched');
    }));

  it('(f) Cancel on the progress notification stops the request: no file, no edit', caseTimeout, () =>
    scene('f-cancel', async () => {
      const scenario = await h.useScenario('hang');
      await h.openFile(guide);
      await h.workbench.goTo(5, 1);
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a picture that takes forever');
      await h.requestTo(scenario);
      const progress = await waitFor('the progress notification', async () =>
        (await h.workbench.notificationTexts()).find((t) => t.includes('Generating image')),
      );
      assert.match(progress, /a picture that takes forever/);
      await waitFor('the status bar item', async () => (await h.workbench.statusBarItem(/CPA Image:/).count()) > 0);
      await h.screenshot('f-running');

      await h.workbench.clickNotificationButton('Cancel', 'Generating image');
      const outcome = await h.outcomeOf(scenario);
      assert.equal(outcome.finished, false, 'the connection was closed by the client');
      await generationEnded();
      await h.screenshot('f-cancelled');
      assert.ok(
        !(await h.workbench.notificationTexts()).some((t) => /error|failed/i.test(t)),
        'a cancel is not reported as an error',
      );
      assert.deepEqual(await h.listFiles('.'), Object.keys(sampleFiles).sort(), 'no image, no temporary file');
      assert.equal(await h.workbench.activeTabIsDirty(), false, 'no edit');
      assert.equal(await h.workbench.editorText(), sampleFiles[guide]);
      assert.equal(h.gateway.requestsFor(scenario.url).length, 1, 'not retried after the cancel');
    }));

  it('(g) streaming partial images: the status bar shows "partial image 1/2", then the image lands', caseTimeout, () =>
    scene('g-partial-images', async () => {
      const scenario = await h.useScenario('slow', { delayMs: 700 }, { 'cpaImage.stream': true, 'cpaImage.partialImages': 2 });
      await h.openFile(guide);
      await h.workbench.goTo(5, 1);
      await h.page.keyboard.press('End');
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a fox in three brush strokes');
      const request = await h.requestTo(scenario);
      const body = request.json as ResponsesBody;
      assert.equal(body.stream, true);
      assert.equal(body.tools?.[0]?.partial_images, 2);
      const status = await waitFor(
        'the status bar to show "partial image 1/2"',
        async () => (await h.workbench.statusBarTexts()).find((t) => t.includes('partial image 1/2')),
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      assert.match(status, /CPA Image: partial image 1\/2 · \d+:\d\d/);
      await h.screenshot('g-partial-image-status', { settle: false });
      const progress = (await h.workbench.notificationTexts()).find((t) => t.includes('Generating image'));
      assert.ok(progress, 'the progress notification is up as well');

      const image = await savedImage('docs/images');
      assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, image))), h.gateway.imageFor(scenario.url));
      await h.screenshot('g-done');
    }));

  it('a workspace .vscode/settings.json cannot redirect the request (and the key) to another host', caseTimeout, () =>
    scene('security-workspace-baseurl', async () => {
      const scenario = await h.useScenario('ok');
      await mkdir(path.join(h.workspaceDir, '.vscode'), { recursive: true });
      await writeFile(
        path.join(h.workspaceDir, '.vscode', 'settings.json'),
        JSON.stringify({ 'cpaImage.baseUrl': 'http://127.0.0.2:9/evil', 'editor.lineNumbers': 'off' }, null, 2),
      );
      await h.openFile(guide);
      // The line numbers disappear once VS Code has read this workspace's settings file.
      await waitFor('the workspace settings to apply', async () =>
        (await h.workbench.activeEditor.locator('.line-numbers').count()) === 0,
      );
      await h.workbench.runCommand('CPA Image: Generate Image');
      await h.workbench.typeInQuickInput('a locked treasure chest');
      const request = await h.requestTo(scenario);
      assert.ok(request.headers.authorization === `Bearer ${apiKey}`, 'the key went to the user-settings gateway');
      const image = await savedImage('docs/images');
      assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, image))), h.gateway.imageFor(scenario.url));
      assert.equal(h.gateway.redirectedRequests.length, 0);
      await h.screenshot('security-workspace-baseurl');
    }));

  it('"Show Resolved Configuration" names each source and shows the key only by its last four characters', caseTimeout, () =>
    scene('resolved-configuration', async () => {
      const scenario = await h.useScenario('ok');
      await h.workbench.runCommand('CPA Image: Show Resolved Configuration');
      // Rendered by VS Code's markdown preview (a webview), not shown as markdown source: read its table's cells.
      const text = await waitFor('the rendered resolved configuration', async () => {
        for (const frame of h.page.frames()) {
          if (frame === h.page.mainFrame() || frame.isDetached()) continue;
          const heading = await frame.locator('h1', { hasText: 'resolved configuration' }).count().catch(() => 0);
          if (heading === 0) continue;
          const rows = await frame
            .locator('table tr')
            .evaluateAll((trs) => trs.map((tr) => `| ${Array.from(tr.children, (cell) => (cell.textContent ?? '').trim()).join(' | ')} |`))
            .catch(() => [] as string[]);
          // The data's invisible breaks (core/text/inertText.ts) are not part of what is compared.
          if (rows.length > 1) return rows.join('\n').replace(/\u200b/g, '');
        }
        return undefined;
      });
      assert.equal(await h.page.locator('.tab', { hasText: 'Preview resolved-configuration.md' }).count(), 1, 'the markdown preview\'s tab');
      const row = (name: string) => text.split('\n').find((line) => line.startsWith(`| ${name} |`)) ?? '';
      assert.ok(row('Base URL').includes(scenario.url), `the base URL and its source:\n${text}`);
      assert.match(row('Base URL'), /cpaImage\.baseUrl/);
      assert.ok(row('API key').includes(`…${keyHint}`), `the key by its last four characters:\n${text}`);
      assert.match(row('API key'), /SecretStorage/);
      assert.ok(!text.includes(apiKey), 'never the key');
      await h.screenshot('resolved-configuration');
    }));

  it('the key is never written to settings, the workspace or the logs', caseTimeout, () =>
    scene('key-not-leaked', async () => {
      await h.workbench.runCommand('CPA Image: Show Log');
      await waitFor('the log output', async () => (await h.workbench.outputText().catch(() => '')).includes('[info]'));
      await h.screenshot('log-output');
      const logs = path.join(h.userDataDir, 'logs');
      // The extension's own log file (what "Show Log" shows) must be among the files searched.
      const ownLog = h.filesContaining('SecretStorage', [logs]).find((f) => f.includes('cpa-image.cpa-gpt-image'));
      assert.ok(ownLog, 'the extension log file was found and mentions where the key came from');
      assert.ok((await readFile(ownLog, 'utf8')).includes(keyHint), 'the log names the key by its last four characters');
      // code-server keeps SecretStorage in the browser, so no file of the server side may hold the key:
      // not the user data (settings, logs, state), not the workspace, not code-server's own log.
      const leaks = h.filesContaining(apiKey, [h.root, h.logFile]);
      assert.deepEqual(leaks, []);
    }));
});
