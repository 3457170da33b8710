/**
 * End to end, in a real VS Code (code-server) driven in Chromium: the agent tool's `variants` and fill mode (issue 13
 * item 7). The test-only extension test/e2e/fixtures/lm-tool-caller plays the agent (`vscode.lm.invokeTool`), VS Code
 * shows our confirmation, and the caller writes the tool's answer to `.e2e/tool-result.json`.
 *
 * - `variants: 2`: the confirmation says two requests and two images; both requests are in flight together (the
 *   gateway sees them overlap); two files, `crane.png` and `crane-2.png`, and both paths in the answer.
 * - `fillDocument`: a document with two placeholders (and one in a fenced code block, left alone); the confirmation
 *   lists both alt texts; both are generated and each fills its own link, no other byte changes.
 * - A `fillDocument` that does not exist is refused before anything is sent.
 *
 * Run: E2E_FILES="test/e2e/agentTool.test.ts" bash scripts/test.sh e2e
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Harness, makeTestKey, waitFor } from './harness';
import { withoutProvenance } from '../gateway/inspect';
import { removeInside } from '../support/removeInside';

const apiKey = makeTestKey();
const caseTimeout = { timeout: 180_000 };
const callerTitle = 'CPA Image E2E: Invoke the Generate Image Tool';
const fillDoc = 'docs/agent-fill.md';

/** What the test-only caller extension writes after invoking the tool. */
interface ToolReport {
  listed: boolean;
  ok?: boolean;
  text?: string;
  errorName?: string;
  errorMessage?: string;
}

/** The `input` of a recorded /v1/responses request (the prompt). */
function promptOf(json: unknown): string {
  const input = (json as { input?: unknown } | undefined)?.input;
  return typeof input === 'string' ? input : JSON.stringify(input);
}

describe('The agent tool: variants and filling a document, in a real VS Code', { timeout: 20 * 60_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await Harness.start({ expectedKey: apiKey, logName: 'code-server-agenttool.log', testExtensions: ['lm-tool-caller'] });
    await h.setApiKey(apiKey);
    assert.match(h.installedExtensions, /cpa-image-e2e\.lm-tool-caller@0\.0\.1/);
    await h.waitForCommand(callerTitle);
  }, { timeout: 240_000 });

  after(async () => {
    await h?.close();
  });

  beforeEach(async () => {
    await h.resetWorkspace();
    for (const extra of ['art', '.e2e', fillDoc]) await removeInside(h.workspaceDir, extra, { recursive: true });
  });

  /** Runs a case; on failure keeps a screenshot of what the user would have seen. */
  async function scene(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      await h.screenshot(`agenttool-${name}-FAILED`).catch(() => undefined);
      const notifications = await h.workbench.notificationTexts().catch(() => []);
      if (error instanceof Error) error.message += `\n  notifications: ${JSON.stringify(notifications)}`;
      throw error;
    }
  }

  async function writeWorkspaceFile(relPath: string, content: string): Promise<void> {
    const file = path.join(h.workspaceDir, relPath);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }

  async function invokeTool(input: unknown): Promise<void> {
    await writeWorkspaceFile('.e2e/tool-input.json', JSON.stringify(input));
    await h.workbench.runCommand(callerTitle);
  }

  async function toolReport(): Promise<ToolReport> {
    const file = path.join(h.workspaceDir, '.e2e/tool-result.json');
    const text = await waitFor('the tool result', () => readFile(file, 'utf8').catch(() => undefined), { timeoutMs: 60_000 });
    return JSON.parse(text) as ToolReport;
  }

  /** The confirmation dialog once visible, and its text. */
  async function confirmation(): Promise<{ text: string; accept: () => Promise<void> }> {
    const dialog = h.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 20_000 });
    return { text: await dialog.innerText(), accept: () => dialog.getByRole('button', { name: 'Yes' }).click() };
  }

  it('variants 2: two requests at once, two files (name.png, name-2.png), both paths in the answer', caseTimeout, () =>
    scene('variants', async () => {
      // Each answer streams for a while, so two requests started together are open at the same moment.
      const scenario = await h.useScenario('slow', { delayMs: 300 }, { 'cpaImage.preview.openOnGenerate': false });
      const prompt = 'a paper crane on a desk, two takes';
      await invokeTool({ prompt, variants: 2, destination: 'art/crane.png' });

      const dialog = await confirmation();
      assert.match(dialog.text, /Generate 2 images with CPA GPT Image\?/);
      assert.match(dialog.text, /2 requests at the same time, 2 images \(variants of the prompt\)/);
      assert.match(dialog.text, /Model:\s*\S+/);
      assert.ok(dialog.text.includes(prompt), `the dialog shows the prompt:\n${dialog.text}`);
      assert.ok(dialog.text.includes('art/crane.png'), `and the destination:\n${dialog.text}`);
      assert.equal(h.gateway.requestsFor(scenario.url).length, 0, 'nothing is sent before the user confirms');
      await h.screenshot('agenttool-variants-confirmation');
      await dialog.accept();

      await h.requestTo(scenario, 2);
      const report = await toolReport();
      assert.equal(report.ok, true, `the tool succeeded: ${JSON.stringify(report)}`);
      assert.equal(h.gateway.mostInFlight(scenario.url), 2, 'the two variants were made at the same time');
      for (const request of h.gateway.requestsFor(scenario.url)) assert.equal(promptOf(request.json), prompt);
      assert.deepEqual(await h.listFiles('art'), ['art/crane-2.png', 'art/crane.png']);
      for (const file of ['art/crane.png', 'art/crane-2.png']) {
        assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, file))), h.gateway.imageFor(scenario.url), file);
      }
      const text = report.text ?? '';
      assert.match(text, /^Saved the image to art\/crane\.png \(image\/png, \d+ bytes\)\./, text);
      assert.match(text, /Made 2 of 2 variants of the prompt/);
      assert.match(text, /^- art\/crane\.png \(image\/png, \d+ bytes\); markdown link \(relative to the workspace root\): !\[[^\]]+\]\(art\/crane\.png\)$/m);
      assert.match(text, /^- art\/crane-2\.png \(image\/png, \d+ bytes\); markdown link \(relative to the workspace root\): !\[[^\]]+\]\(art\/crane-2\.png\)$/m);
    }));

  it('fillDocument: the confirmation lists both placeholders; both are generated, each fills only its own link', caseTimeout, () =>
    scene('fill', async () => {
      const scenario = await h.useScenario('ok', undefined, { 'cpaImage.preview.openOnGenerate': false });
      const alts = ['a lighthouse at dusk', 'a fox reading a map'] as const;
      const before = [
        '# Field notes',
        '',
        `Opening line. ![${alts[0]}]() and more.`,
        '',
        '```md',
        '![inside a code block, not a request]()',
        '```',
        '',
        `Later: ![${alts[1]}]`,
        '',
      ].join('\n');
      await writeWorkspaceFile(fillDoc, before);
      await invokeTool({ fillDocument: fillDoc });

      const dialog = await confirmation();
      assert.match(dialog.text, /Generate 2 missing images with CPA GPT Image\?/);
      assert.match(dialog.text, /2 requests, 2 images/);
      assert.match(dialog.text, /Model:\s*\S+/);
      assert.ok(dialog.text.includes(fillDoc), `the dialog names the document:\n${dialog.text}`);
      for (const alt of alts) assert.ok(dialog.text.includes(alt), `the dialog lists "${alt}":\n${dialog.text}`);
      assert.ok(!dialog.text.includes('inside a code block'), 'the link in the code block is not offered');
      assert.equal(h.gateway.requestsFor(scenario.url).length, 0, 'nothing is sent before the user confirms');
      await h.screenshot('agenttool-fill-confirmation');
      await dialog.accept();

      await h.requestTo(scenario, 2);
      const report = await toolReport();
      assert.equal(report.ok, true, `the tool succeeded: ${JSON.stringify(report)}`);
      assert.deepEqual(h.gateway.requestsFor(scenario.url).map((r) => promptOf(r.json)).sort(), [...alts].sort());
      const text = report.text ?? '';
      assert.match(text, new RegExp(`^Filled 2 of 2 empty image links in ${fillDoc.replace('.', '\\.')}\\.`), text);
      for (const alt of alts) assert.match(text, new RegExp(`^- "${alt}" \\(line \\d+\\): saved docs/images/[^ ]+\\.png and filled its link\\.$`, 'm'), text);

      const images = await h.listFiles('docs/images');
      assert.equal(images.length, 2, `two images saved: ${JSON.stringify(images)}`);
      for (const image of images) assert.deepEqual(withoutProvenance(await readFile(path.join(h.workspaceDir, image))), h.gateway.imageFor(scenario.url));
      const after = await h.savedText(fillDoc);
      const filled = [...after.matchAll(/!\[([^\]]*)\]\((images\/[^)]+\.png)\)/g)].map((m) => [m[1], `docs/${m[2]}`]);
      assert.deepEqual(filled.map(([alt]) => alt), [...alts], `each placeholder got its link:\n${after}`);
      assert.deepEqual(filled.map(([, file]) => file).sort(), images, 'each link names one of the saved images');
      // Every other byte is as it was: take the two targets out again.
      assert.equal(after.replace(`![${alts[0]}](${filled[0]?.[1]?.slice(5)})`, `![${alts[0]}]()`).replace(`![${alts[1]}](${filled[1]?.[1]?.slice(5)})`, `![${alts[1]}]`), before);
      await h.screenshot('agenttool-fill-done');
    }));

  it('fillDocument naming a document that does not exist is refused before anything is sent', caseTimeout, () =>
    scene('fill-missing', async () => {
      const scenario = await h.useScenario('ok');
      await invokeTool({ fillDocument: 'docs/no-such-document.md' });
      const report = await toolReport();
      assert.equal(report.ok, false, JSON.stringify(report));
      assert.match(report.errorMessage ?? '', /There is no markdown document docs\/no-such-document\.md in the workspace/);
      assert.equal(h.gateway.requestsFor(scenario.url).length, 0);
      assert.deepEqual(await h.listFiles('docs/images'), []);
    }));
});
