/**
 * Issue 13 item 8, in the extension host: Generate All Missing Images on a document of 20 empty links in a real
 * code-server (test/e2e/harness.ts: the packaged .vsix, Chromium through Playwright, the test gateway in this process),
 * concurrency 1, 3 and 6, the gateway answering after 1 s (scenario `slow`, `delayMs=100`, not streamed). code-server
 * is started with CPA_IMAGE_BENCH_EVENT_LOOP=1, so the extension watches its own host's event loop for the run
 * (src/vscode/features/authoring/eventLoopProbe.ts) and logs the run's time and largest stall, which this reads back
 * from the extension's log file. Needs the .vsix (`npm run package`; scripts/bench.sh builds it).
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EVENT_LOOP_PROBE_ENV, EVENT_LOOP_PROBE_PREFIX } from '../src/vscode/features/authoring/eventLoopProbe';
import { FILL_CONCURRENCIES, FILL_IMAGE_MS, FILL_LINKS, documentWithEmptyLinks, startControl } from './fill';
import { median } from './stats';

export interface ExtensionFillRun {
  concurrency: number;
  round: number;
  /** The run as the extension timed it (from the first request queued to the last link written). */
  wallMs: number;
  idealMs: number;
  maxStallMs: number;
  p99StallMs: number;
  /** Median time the gateway held a request (received → answer ended; it is meant to be 1 s). */
  gatewayHoldMs?: number;
  /** Concurrency 1 only: median time from one answer's end to the next request, the extension's own time per image. */
  answerToNextRequestMs?: number;
  /** An idle Node process watching its own event loop over the same run (what waiting for a core costs). */
  controlMaxStallMs?: number;
  filled: number;
}

export interface ExtensionFillResults {
  rounds: number;
  runs: ExtensionFillRun[];
}

const DOC = 'docs/bench-fill.md';
const COMMAND = 'CPA Image: Generate All Missing Images';

async function findFiles(dir: string, name: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name === name).map((e) => join(e.parentPath, e.name));
}

/** The probe lines logged so far, oldest first. */
async function probeLines(userDataDir: string): Promise<{ wallMs: number; maxStallMs: number; p99StallMs: number }[]> {
  const lines: { wallMs: number; maxStallMs: number; p99StallMs: number }[] = [];
  for (const file of await findFiles(join(userDataDir, 'logs'), 'CPA GPT Image.log')) {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      const at = line.indexOf(EVENT_LOOP_PROBE_PREFIX);
      if (at >= 0) lines.push(JSON.parse(line.slice(at + EVENT_LOOP_PROBE_PREFIX.length)) as { wallMs: number; maxStallMs: number; p99StallMs: number });
    }
  }
  return lines;
}

export async function measureExtensionFill(options: { rounds: number; log: (m: string) => void }): Promise<ExtensionFillResults> {
  const { Harness, makeTestKey, waitFor } = await import('../test/e2e/harness');
  options.log(`fill in code-server's extension host: ${FILL_LINKS} empty links, ${FILL_IMAGE_MS} ms per image, concurrency ${FILL_CONCURRENCIES.join(', ')}, ${options.rounds} rounds`);
  const key = makeTestKey();
  const h = await Harness.start({ expectedKey: key, logName: 'code-server-bench-fill.log', env: { [EVENT_LOOP_PROBE_ENV]: '1' } });
  const runs: ExtensionFillRun[] = [];
  try {
    await h.setApiKey(key);
    for (let round = 1; round <= options.rounds; round++) {
      for (const c of FILL_CONCURRENCIES) {
        await h.resetWorkspace();
        const scenario = await h.useScenario('slow', { delayMs: FILL_IMAGE_MS / 10 }, { 'cpaImage.concurrency': c, 'cpaImage.stream': false, 'cpaImage.preview.openOnGenerate': false });
        await mkdir(join(h.workspaceDir, 'docs'), { recursive: true });
        await writeFile(join(h.workspaceDir, DOC), documentWithEmptyLinks(FILL_LINKS));
        // (Harness.openFile compares the visible text with the file, and 80 lines do not fit on the screen.)
        await h.workbench.openFile(DOC);
        await h.workbench.activeEditor.locator('.codelens-decoration a', { hasText: 'Generate Image from Alt Text' }).first().waitFor({ state: 'visible', timeout: 30_000 });
        const before = (await probeLines(h.userDataDir)).length;
        // When each request arrived and each answer ended, as the gateway (in this process) saw them.
        const arrived: number[] = [];
        const ended: number[] = [];
        for (let n = 1; n <= FILL_LINKS; n++) {
          void h.gateway.waitForRequest(scenario.url, n).then(() => (arrived[n - 1] = performance.now()), () => undefined);
          void h.gateway.waitForOutcome(scenario.url, n).then(() => (ended[n - 1] = performance.now()), () => undefined);
        }
        const control = await startControl();
        await h.workbench.runCommand(COMMAND);
        // The list only renders the rows on screen: its title has the count.
        const title = h.page.locator('.quick-input-widget .quick-input-title');
        await waitFor('the quick pick of the links', async () => (await title.innerText().catch(() => '')).includes(`Generate All Missing Images: ${FILL_LINKS}`), { timeoutMs: 30_000 });
        await h.page.keyboard.press('Enter');
        const summary = await waitFor(
          'the summary',
          async () => (await h.workbench.notificationTexts()).find((t) => t.startsWith('Generated and linked')),
          { timeoutMs: 120_000 },
        );
        const controlMaxStallMs = await control.stop();
        const probe = await waitFor('the event-loop line in the log', async () => (await probeLines(h.userDataDir))[before], { timeoutMs: 30_000 });
        await waitFor('every answer to end', async () => ended.filter((t) => t !== undefined).length === FILL_LINKS, { timeoutMs: 30_000 });
        const holds = arrived.map((t, i) => (ended[i] ?? t) - t);
        const gaps = c === 1 ? arrived.slice(1).map((t, i) => t - (ended[i] ?? t)) : [];
        const filled = Number(/Generated and linked (\d+) of/.exec(summary)?.[1] ?? 0);
        const run = { concurrency: c, round, wallMs: probe.wallMs, idealMs: Math.ceil(FILL_LINKS / c) * FILL_IMAGE_MS, maxStallMs: probe.maxStallMs, p99StallMs: probe.p99StallMs, ...(controlMaxStallMs !== undefined ? { controlMaxStallMs } : {}), gatewayHoldMs: median(holds), ...(gaps.length ? { answerToNextRequestMs: median(gaps) } : {}), filled };
        runs.push(run);
        options.log(`  extension fill c=${c} round ${round}: ${(run.wallMs / 1000).toFixed(2)} s (ideal ${run.idealMs / 1000} s), largest stall ${run.maxStallMs} ms (control ${controlMaxStallMs?.toFixed(1) ?? 'n/a'} ms), gateway held ${run.gatewayHoldMs.toFixed(0)} ms${run.answerToNextRequestMs !== undefined ? `, answer → next request ${run.answerToNextRequestMs.toFixed(0)} ms` : ''}, ${filled}/${FILL_LINKS} filled`);
      }
    }
  } finally {
    await h.close();
  }
  return { rounds: options.rounds, runs };
}
