/**
 * End to end, in a real VS Code (code-server 4.139 = VS Code 1.139) driven in Chromium: the three features of
 * SPEC §7 that work on what the user is writing.
 *
 * - Markdown authoring: the CodeLens "Generate Image from Alt Text" on `![alt]()` and the quick fix (Ctrl+.) on a
 *   missing target `![alt]`; the image is saved and only the target is filled in.
 * - Edit Image…: from the explorer's context menu on a PNG; the image goes to the gateway as an `input_image` data
 *   URL, the result lands next to it as `<name>-edit.png`, the original stays byte for byte the same; a file that
 *   only pretends to be a PNG is refused before any request.
 * - The agent tool `cpa-image_generate`: a test-only extension (test/e2e/fixtures/lm-tool-caller, packaged here into
 *   a temp folder and installed beside ours, never part of our .vsix) calls `vscode.lm.invokeTool` as an agent
 *   would; VS Code shows our confirmation, and the result names the saved path and the markdown link.
 *
 * Run: export PATH=/work/main/.tools/node24/node_modules/.bin:$PATH; npm run -s package;
 *      node --import tsx --test --test-concurrency=1 test/e2e/authoring.test.ts
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { makePng } from '../gateway/images';
import { Harness, makeTestKey, sampleFiles, waitFor } from './harness';
import { withoutProvenance } from '../gateway/inspect';
import { removeInside } from '../support/removeInside';

const apiKey = makeTestKey();
const caseTimeout = { timeout: 150_000 };
const guide = 'docs/guide.md';
const callerTitle = 'CPA Image E2E: Invoke the Generate Image Tool';

/** The recorded body of a /v1/responses request (only what these cases look at). */
interface ResponsesBody {
  input?: unknown;
  tools?: { type?: unknown; action?: unknown }[];
}

/** What the test-only caller extension writes after invoking the tool. */
interface ToolReport {
  listed: boolean;
  ok?: boolean;
  text?: string;
  errorName?: string;
  errorMessage?: string;
}


describe('Markdown authoring, Edit Image and the agent tool in a real VS Code', { timeout: 20 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-authoring.log', testExtensions: ['lm-tool-caller'] });
    await h.setApiKey(apiKey);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
    for (const extra of ['art', '.e2e', 'docs/fox.md', 'docs/lighthouse.md', 'docs/photo.png', 'docs/photo-edit.png', 'docs/fake.png']) {
      await removeInside(h.workspaceDir, extra, { recursive: true });
    }
  });

  /** Runs a case; on failure keeps a screenshot of what the user would have seen (Harness.scene). */
  const scene = (name: string, body: () => Promise<void>) => h.scene(`authoring-${name}`, body);

  /** Waits for the "Saved …" notification and for the progress notification to go. */
  async function savedNotification(): Promise<string> {
    const saved = await waitFor(
      'the "Saved" notification',
      async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Saved ')),
      { timeoutMs: 30_000 },
    );
    await waitFor('the progress notification to go', async () =>
      !(await h.workbench.notificationTexts()).some((t) => t.includes('Generating image')),
    );
    return saved;
  }

  /** The CodeLens entries the active editor shows. */
  function codeLenses() {
    return h.workbench.activeEditor.locator('.codelens-decoration a');
  }

  async function writeWorkspaceFile(relPath: string, content: string | Uint8Array): Promise<void> {
    const file = path.join(h.workspaceDir, relPath);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }

  it('CodeLens on ![alt](): generates from the alt text and fills in only the target', caseTimeout, () =>
    scene('codelens', async () => {
      const scenario = await h.useScenario('ok', undefined, { 'cpaImage.preview.openOnGenerate': false });
      const doc = 'docs/fox.md';
      const alt = 'a fox detective in neon rain';
      const line = `Chapter one. ![${alt}]() — *the rest* of this line stays.`;
      const before = ['# The fox files', '', line, '', '```md', '![a code sample, not a request]()', '```', '', 'The end.', ''].join('\n');
      await writeWorkspaceFile(doc, before);
      await h.openFile(doc);

      const lens = codeLenses().filter({ hasText: 'Generate Image from Alt Text' });
      await lens.first().waitFor({ state: 'visible', timeout: 20_000 });
      assert.equal(await lens.count(), 1, 'one CodeLens: none for the link inside the fenced code block');
      await h.screenshot('authoring-codelens');

      await lens.first().click();
      const request = await h.gateway.waitForRequest(scenario.url);
      assert.equal((request.json as ResponsesBody).input, alt, 'the alt text is the prompt');
      const saved = await savedNotification();
      const images = await h.listFiles('docs/images');
      assert.equal(images.length, 1, `one image saved: ${JSON.stringify(images)}`);
      const image = images[0] as string;
      assert.match(image, /^docs\/images\/a-fox-detective-in-neon-rain\.png$/);
      assert.ok(saved.includes(image), `the notification names ${image}: ${saved}`);
      assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, image))), h.gateway.imageFor(scenario.url));

      await waitFor('the filled link in the editor', async () => (await h.workbench.editorText()).includes(`![${alt}](images/`));
      await waitFor('the CodeLens to go', async () => (await codeLenses().filter({ hasText: 'Generate Image from Alt Text' }).count()) === 0);
      await h.screenshot('authoring-codelens-filled');
      const after = await h.savedText(doc);
      assert.equal(after, before.replace(`![${alt}]()`, `![${alt}](images/a-fox-detective-in-neon-rain.png)`), 'only the target changed');
    }));

  it('while the image is made the CodeLens says so, and the target is still found after the user edits the document', caseTimeout, () =>
    scene('codelens-tracking', async () => {
      // Without a stream the slow gateway answers after 10 × delayMs: 15 s for the user's typing below, enough on a busy machine.
      const scenario = await h.useScenario('slow', { delayMs: 1500 }, { 'cpaImage.preview.openOnGenerate': false });
      const doc = 'docs/fox.md';
      const alt = 'a fox detective in neon rain';
      const before = ['# The fox files', '', `![${alt}]( ) ends the line`, ''].join('\n');
      await writeWorkspaceFile(doc, before);
      await h.openFile(doc);
      const lens = codeLenses().filter({ hasText: 'Generate Image from Alt Text' });
      await lens.first().waitFor({ state: 'visible', timeout: 20_000 });
      await lens.first().click();
      await h.gateway.waitForRequest(scenario.url);
      await codeLenses().filter({ hasText: 'Generating image…' }).first().waitFor({ state: 'visible', timeout: 10_000 });
      await h.screenshot('authoring-codelens-generating');

      // The user keeps writing: a new line above the link, and more text after it on its line.
      await h.workbench.goTo(1, 1);
      await h.page.keyboard.type('Draft');
      await waitFor('"Draft" typed', async () => (await h.workbench.editorText()).startsWith('Draft# The fox files'));
      // On a busy machine an Enter was seen to vanish (the line stayed "Draft# The fox files"); the user would press it
      // again, and so does the test, only while the line is unchanged, 3 s apart (so never two new lines).
      await waitFor(
        'the new first line',
        async () => {
          const text = await h.workbench.editorText();
          if (text.startsWith('Draft# The fox files')) await h.page.keyboard.press('Enter');
          return (await h.workbench.editorText()).startsWith('Draft\n# The fox files');
        },
        { intervalMs: 3_000 },
      );
      await h.workbench.goTo(4, 1);
      await h.page.keyboard.press('End');
      await h.page.keyboard.type(', edited meanwhile');
      await waitFor('the text typed after the link', async () =>
        (await h.workbench.editorText()).includes(`![${alt}]( ) ends the line, edited meanwhile`),
      );
      assert.equal(h.gateway.requestsFor(scenario.url).length, 1, 'still the one generation');
      assert.equal(await h.listFiles('docs/images').then((files) => files.length), 0, 'typed before the image arrived');

      await savedNotification();
      const image = `images/${'a-fox-detective-in-neon-rain'}.png`;
      await waitFor('the filled link in the editor', async () => (await h.workbench.editorText()).includes(`](${image})`));
      const after = await h.savedText(doc);
      assert.equal(after, ['Draft', '# The fox files', '', `![${alt}](${image}) ends the line, edited meanwhile`, ''].join('\n'));
    }));

  it('a target the user fills in meanwhile is never overwritten: the link goes to the clipboard instead', caseTimeout, () =>
    scene('codelens-user-wins', async () => {
      // Without a stream the slow gateway answers after 10 × delayMs: 8 s for the user's typing below.
      const scenario = await h.useScenario('slow', { delayMs: 800 }, { 'cpaImage.preview.openOnGenerate': false });
      const doc = 'docs/fox.md';
      const alt = 'a fox at the window';
      const before = ['# Foxes', '', `![${alt}]() and more`, ''].join('\n');
      await writeWorkspaceFile(doc, before);
      await h.openFile(doc);
      const lens = codeLenses().filter({ hasText: 'Generate Image from Alt Text' });
      await lens.first().waitFor({ state: 'visible', timeout: 20_000 });
      await lens.first().click();
      await h.gateway.waitForRequest(scenario.url);
      await h.workbench.goTo(3, alt.length + 5); // between the parentheses
      await h.page.keyboard.type('mine.png');
      await waitFor('the user\'s own target', async () => (await h.workbench.editorText()).includes(`![${alt}](mine.png) and more`));

      const warning = await waitFor(
        'the warning that the link changed',
        async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('The image link changed')),
        { timeoutMs: 30_000 },
      );
      const image = 'images/a-fox-at-the-window.png';
      assert.ok(warning.endsWith(`![${alt}](${image})`), warning);
      assert.deepEqual(await h.listFiles('docs/images'), [`docs/${image}`], 'the image is saved all the same');
      const clipboard = await h.page.evaluate(() => navigator.clipboard.readText());
      assert.equal(clipboard, `![${alt}](${image})`, 'the link is on the clipboard');
      await h.screenshot('authoring-codelens-user-wins');
      assert.equal(await h.savedText(doc), before.replace('()', '(mine.png)'), 'the user\'s target is kept');
    }));

  it('quick fix (Ctrl+.) on a missing target ![alt]: lists the action and fills the target in', caseTimeout, () =>
    scene('quick-fix', async () => {
      const scenario = await h.useScenario('ok', undefined, { 'cpaImage.preview.openOnGenerate': false });
      const doc = 'docs/lighthouse.md';
      const alt = 'a lighthouse at dusk, \\[oil painting\\]';
      const before = ['# Coast', '', `Intro ![${alt}] and the text after it.`, ''].join('\n');
      await writeWorkspaceFile(doc, before);
      await h.openFile(doc);
      const action = h.page.locator('.action-widget .monaco-list-row', { hasText: 'Generate Image from Alt Text' });
      // Ctrl+. pressed before the extension host has answered for this newly opened document shows "no code actions":
      // ask again until the list holds the action.
      await waitFor(
        'the quick fix list to offer "Generate Image from Alt Text"',
        async () => {
          if (await action.first().isVisible()) return true;
          await h.page.keyboard.press('Escape');
          await h.workbench.goTo(3, 12); // inside the alt text
          await h.page.keyboard.press('Control+.');
          return action.first().isVisible();
        },
        { timeoutMs: 60_000, intervalMs: 2_000 },
      );
      await h.screenshot('authoring-quick-fix');
      await action.first().click();

      const request = await h.gateway.waitForRequest(scenario.url);
      assert.equal((request.json as ResponsesBody).input, 'a lighthouse at dusk, [oil painting]', 'the alt text, unescaped');
      await savedNotification();
      const images = await h.listFiles('docs/images');
      assert.deepEqual(images, ['docs/images/a-lighthouse-at-dusk-oil-painting.png']);
      await waitFor('the filled link in the editor', async () => (await h.workbench.editorText()).includes('](images/'));
      const after = await h.savedText(doc);
      assert.equal(after, before.replace(`![${alt}]`, `![${alt}](images/a-lighthouse-at-dusk-oil-painting.png)`));
    }));

  it('Illustrate This Section: the prompt is the headings and the paragraph at the cursor, the link lands after that paragraph', caseTimeout, () =>
    scene('illustrate-section', async () => {
      const scenario = await h.useScenario('ok', undefined, { 'cpaImage.preview.openOnGenerate': false });
      const doc = 'docs/lighthouse.md';
      const before = [
        '# Coast guide',
        '',
        '## The lighthouse',
        '',
        'The old **lighthouse** stands on a cliff',
        'above the harbour at dusk.',
        '',
        'Boats come home late.',
        '',
      ].join('\n');
      await writeWorkspaceFile(doc, before);
      await h.openFile(doc);
      await h.workbench.goTo(5, 10); // inside the first paragraph of "The lighthouse"
      await h.workbench.runCommand('CPA Image: Illustrate This Section');
      const box = await h.workbench.quickInputState();
      assert.equal(box.value, 'Coast guide › The lighthouse: The old lighthouse stands on a cliff above the harbour at dusk.');
      await h.screenshot('authoring-illustrate-section-prompt');
      await h.page.keyboard.press('Enter');

      const request = await h.gateway.waitForRequest(scenario.url);
      assert.match(String((request.json as ResponsesBody).input), /^Coast guide › The lighthouse: The old lighthouse stands on a cliff above the harbour at dusk\./);
      await savedNotification();
      assert.deepEqual(await h.listFiles('docs/images'), ['docs/images/coast-guide-the-lighthouse-the-old-lighthouse.png']);
      await waitFor('the link in the editor', async () => (await h.workbench.editorText()).includes('](images/'));
      const after = await h.savedText(doc);
      const lines = after.split('\n');
      assert.deepEqual(lines.slice(0, 7), before.split('\n').slice(0, 6).concat(['']), 'the text up to the paragraph is as it was');
      assert.match(lines[7] ?? '', /^!\[Coast guide › The lighthouse: The old lighthouse.*\]\(images\/coast-guide-the-lighthouse-the-old-lighthouse\.png\)$/);
      assert.deepEqual(lines.slice(8), ['', 'Boats come home late.', ''], 'the next paragraph follows, unchanged');
    }));

  it('Edit Image… from the explorer: sends the PNG as input_image, saves photo-edit.png next to it, keeps the original', caseTimeout, () =>
    scene('edit-image', async () => {
      const scenario = await h.useScenario('ok', undefined, { 'cpaImage.preview.openOnGenerate': false });
      const original = makePng(24, 16, { noise: true });
      await writeWorkspaceFile('docs/photo.png', original);
      const originalStat = await stat(path.join(h.workspaceDir, 'docs/photo.png'));
      const instruction = 'make it night, with snow falling';

      const menu = await explorerContextMenu('docs/photo.png');
      assert.ok(menu.includes('Edit Image…'), `the explorer menu offers "Edit Image…": ${JSON.stringify(menu)}`);
      await h.screenshot('authoring-edit-image-menu');
      await clickMenuItem('Edit Image…');

      const box = await h.workbench.quickInputState();
      assert.match(box.message + box.placeholder, /photo\.png/, `the input box names the image: ${JSON.stringify(box)}`);
      await h.page.keyboard.type(instruction);
      await h.screenshot('authoring-edit-image-instruction');
      await h.page.keyboard.press('Enter');

      const request = await h.gateway.waitForRequest(scenario.url);
      const body = request.json as ResponsesBody;
      assert.equal(body.tools?.[0]?.action, 'edit');
      const [message] = body.input as { role?: string; content?: { type?: string; text?: string; image_url?: string }[] }[];
      assert.equal(message?.role, 'user');
      assert.deepEqual(message?.content?.[0], { type: 'input_text', text: instruction });
      const image = message?.content?.[1];
      assert.equal(image?.type, 'input_image');
      const dataUrl = /^data:image\/png;base64,(.+)$/.exec(image?.image_url ?? '');
      assert.ok(dataUrl, 'a PNG data URL');
      assert.deepEqual(Buffer.from(dataUrl[1] as string, 'base64'), original, 'the data URL holds exactly the original bytes');

      const saved = await savedNotification();
      assert.ok(saved.includes('docs/photo-edit.png'), saved);
      const edited = await readFile(path.join(h.workspaceDir, 'docs/photo-edit.png'));
      assert.deepEqual(withoutProvenance(edited), h.gateway.imageFor(scenario.url), 'the edited image is the one the gateway sent');
      assert.deepEqual(await readFile(path.join(h.workspaceDir, 'docs/photo.png')), original, 'the original is unchanged');
      assert.equal((await stat(path.join(h.workspaceDir, 'docs/photo.png'))).mtimeMs, originalStat.mtimeMs, 'and was not rewritten');
      await waitFor('the new file in the explorer', async () =>
        (await h.page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^photo-edit\.png$/ }).count()) > 0,
      );
      await h.screenshot('authoring-edit-image-saved');
    }));

  it('Edit Image… is a button of the image preview too, and asks about the image shown', caseTimeout, () =>
    scene('edit-image-preview', async () => {
      const scenario = await h.useScenario('ok', undefined, { 'cpaImage.preview.openOnGenerate': false });
      await writeWorkspaceFile('docs/photo.png', makePng(24, 16));
      await h.page.keyboard.press('Escape');
      await h.page.keyboard.press('Control+P');
      await h.workbench.quickInputBox.fill('docs/photo.png');
      await h.page.locator('.quick-input-list .monaco-list-row', { hasText: 'photo.png' }).first().click();
      const button = h.page.locator('.editor-group-container.active .editor-actions .action-label[aria-label^="Edit Image"]');
      await button.first().waitFor({ state: 'visible', timeout: 15_000 });
      await h.screenshot('authoring-edit-image-preview-button');
      await button.first().click();
      const box = await h.workbench.quickInputState();
      assert.match(box.message, /next to photo\.png; the original is not modified/);
      await h.page.keyboard.press('Escape');
      await waitFor('the input box to close', async () => !(await h.workbench.quickInput.isVisible()));
      assert.equal(h.gateway.requestsFor(scenario.url).length, 0, 'Escape sends nothing');
      assert.deepEqual(await h.listFiles('docs'), ['docs/guide.md', 'docs/notes.txt', 'docs/photo.png']);
    }));

  it('Edit Image… refuses a file that is not really an image, before any request', caseTimeout, () =>
    scene('edit-image-not-image', async () => {
      const scenario = await h.useScenario('ok');
      await writeWorkspaceFile('docs/fake.png', 'hello, I am text pretending to be a PNG\n');
      const menu = await explorerContextMenu('docs/fake.png');
      assert.ok(menu.includes('Edit Image…'), 'offered by the name: the bytes are checked when it runs');
      await clickMenuItem('Edit Image…');
      const error = await waitFor('the error notification', async () =>
        (await h.workbench.notificationTexts()).find((t) => t.includes('is not a PNG, JPEG or WebP image')),
      );
      assert.match(error, /^fake\.png is not a PNG, JPEG or WebP image \(it starts with: hello, I am text/);
      assert.match(error, /Nothing was sent\.$/);
      assert.equal(await h.workbench.quickInput.isVisible(), false, 'no instruction is asked for');
      await h.screenshot('authoring-edit-image-refused');
      assert.equal(h.gateway.requestsFor(scenario.url).length, 0, 'nothing reached the gateway');
      assert.deepEqual(await h.listFiles('docs'), ['docs/fake.png', 'docs/guide.md', 'docs/notes.txt']);
    }));

  describe('the agent tool', () => {
    before(async () => {
      assert.match(h.installedExtensions, /cpa-image-e2e\.lm-tool-caller@0\.0\.1/);
      assert.match(h.installedExtensions, /cpa-image\.cpa-gpt-image@/, 'ours is installed beside it');
      await h.waitForCommand(callerTitle);
    }, { timeout: 240_000 });

    async function invokeTool(input: unknown): Promise<void> {
      await writeWorkspaceFile('.e2e/tool-input.json', JSON.stringify(input));
      await h.workbench.runCommand(callerTitle);
    }

    async function toolReport(): Promise<ToolReport> {
      const file = path.join(h.workspaceDir, '.e2e/tool-result.json');
      const text = await waitFor('the tool result', () => readFile(file, 'utf8').catch(() => undefined), { timeoutMs: 30_000 });
      return JSON.parse(text) as ToolReport;
    }

    function confirmation() {
      return h.page.locator('.monaco-dialog-box');
    }

    it('asks for confirmation, then saves to the destination, inserts the link and tells the model both', caseTimeout, () =>
      scene('tool', async () => {
        const scenario = await h.useScenario('ok');
        const prompt = 'a paper crane on a desk, soft morning light';
        await h.openFile(guide);
        const before = sampleFiles[guide] as string;
        await h.workbench.goTo(3, 1);
        await h.page.keyboard.press('End');
        await invokeTool({ prompt, destination: 'art/crane.png', insertIntoActiveMarkdown: true });

        const dialog = confirmation();
        await dialog.waitFor({ state: 'visible', timeout: 20_000 });
        const text = await dialog.innerText();
        assert.match(text, /Generate an image with CPA GPT Image\?/);
        assert.match(text, /uses your image generation quota/);
        assert.ok(text.includes(prompt), `the dialog shows the prompt:\n${text}`);
        assert.ok(text.includes('art/crane.png'), `and the destination:\n${text}`);
        assert.ok(text.includes(guide), `and the document the link goes into:\n${text}`);
        assert.equal(h.gateway.requestsFor(scenario.url).length, 0, 'nothing is sent before the user confirms');
        await h.screenshot('authoring-tool-confirmation');
        await dialog.getByRole('button', { name: 'Yes' }).click();

        const request = await h.gateway.waitForRequest(scenario.url);
        assert.equal((request.json as ResponsesBody).input, prompt);
        const report = await toolReport();
        assert.equal(report.listed, true, 'vscode.lm.tools lists the tool');
        assert.equal(report.ok, true, `the tool succeeded: ${JSON.stringify(report)}`);
        assert.deepEqual(await h.listFiles('art'), ['art/crane.png']);
        assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, 'art/crane.png'))), h.gateway.imageFor(scenario.url));
        const link = `![${prompt}](../art/crane.png)`;
        assert.match(report.text ?? '', /^Saved the image to art\/crane\.png \(image\/png, \d+ bytes\)\./);
        assert.ok(report.text?.includes(`Inserted into ${guide} at the cursor: ${link}`), report.text);
        assert.ok(report.text?.includes(`Markdown link (relative to that document): ${link}`), report.text);
        assert.ok(!(await h.workbench.notificationTexts()).some((t) => t.startsWith('Saved ')), 'quiet: the model is told, not a notification');

        await waitFor('the link in the editor', async () => (await h.workbench.editorText()).includes(link));
        await h.screenshot('authoring-tool-inserted');
        const afterText = await h.savedText(guide);
        const line3 = before.split('\n')[2] as string;
        assert.equal(afterText, before.replace(line3, `${line3} ${link}`));
      }));

    it('declining the confirmation sends nothing and saves nothing', caseTimeout, () =>
      scene('tool-declined', async () => {
        const scenario = await h.useScenario('ok');
        await invokeTool({ prompt: 'an image the user does not want' });
        const dialog = confirmation();
        await dialog.waitFor({ state: 'visible', timeout: 20_000 });
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        const report = await toolReport();
        assert.equal(report.ok, false, `the call failed: ${JSON.stringify(report)}`);
        assert.equal(h.gateway.requestsFor(scenario.url).length, 0);
        assert.deepEqual(await h.listFiles('images'), []);
        assert.deepEqual(await h.listFiles('docs/images'), []);
      }));

    it('a gateway refusal comes back to the model as the user-facing message, without the key', caseTimeout, () =>
      scene('tool-error', async () => {
        const scenario = await h.useScenario('content-policy');
        await invokeTool({ prompt: 'something the content policy refuses' });
        const dialog = confirmation();
        await dialog.waitFor({ state: 'visible', timeout: 20_000 });
        await dialog.getByRole('button', { name: 'Yes' }).click();
        await h.gateway.waitForRequest(scenario.url);
        const report = await toolReport();
        assert.equal(report.ok, false);
        assert.match(report.errorMessage ?? '', /^The image was refused by the content policy/);
        assert.ok(!(report.errorMessage ?? '').includes(apiKey));
        assert.deepEqual(await h.listFiles('images'), []);
      }));
  });

  /**
   * Clicks a context-menu entry. A menu that has only just opened can take the click as the end of the right-click
   * that opened it and stay open; then the entry is clicked again (only while the menu is still up, so never twice).
   */
  async function clickMenuItem(title: string): Promise<void> {
    const menu = h.page.locator('.monaco-menu');
    const item = menu.locator('.action-label', { hasText: new RegExp(`^\\s*${title}\\s*$`) }).first();
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    await waitFor(`"${title}" to run`, async () => {
      if (!(await menu.first().isVisible())) return true;
      await item.click({ timeout: 2_000 }).catch(() => undefined);
      return !(await menu.first().isVisible());
    }, { intervalMs: 500 });
  }

  /**
   * Right-clicks `relPath` (a file in docs/) in the explorer and returns the menu's titles. The folder is expanded by
   * revealing docs/guide.md first.
   */
  async function explorerContextMenu(relPath: string): Promise<string[]> {
    await h.openFile(guide);
    await h.workbench.runCommand('File: Reveal Active File in Explorer View');
    const name = path.posix.basename(relPath);
    const row = h.page.locator('.explorer-folders-view .monaco-list-row', { hasText: new RegExp(`^${name.replace('.', '\\.')}$`) }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    const item = h.page.locator('.monaco-menu .action-label', { hasText: 'Edit Image…' }).first();
    // The explorer re-renders the row when it notices the file the case has just written, which can close a menu opened
    // a moment before: open it again until it lists the entry.
    await waitFor(
      'the explorer context menu to offer "Edit Image…"',
      async () => {
        if (await item.isVisible()) return true;
        await h.page.keyboard.press('Escape');
        await row.click({ button: 'right' });
        return item.isVisible();
      },
      { timeoutMs: 60_000, intervalMs: 2_000 },
    );
    return h.workbench.contextMenuTitles();
  }
});
