/**
 * 100 concurrent runs of the built CLI (`node dist/cli.js`) against one test gateway: half write to their own
 * file, half write the same prompt into one shared folder, where they race for `<slug>.png`, `<slug>-2.png`, …
 * (hard links that fail atomically on a taken name). All must exit 0, print distinct paths, and leave exactly
 * 100 valid images holding the bytes the gateway served, with no temp file behind, in bounded time.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { detectImageType } from '../../src/core/gateway/imageType';
import { startTestGateway, type TestGateway } from '../gateway/server';
import { withoutProvenance } from '../gateway/inspect';
import { CANARY, assertNoCanary, buildCli, filesBelow, runCliProcess, type CliRun } from './support';
import { removeTempFolder } from '../support/removeInside';

const RUNS = 100;

describe('100 concurrent CLI runs against one gateway', () => {
  let gw: TestGateway;
  let cwd: string;
  let home: string;

  before(async () => {
    buildCli();
    gw = await startTestGateway({ expectedKey: CANARY });
    cwd = await mkdtemp(join(tmpdir(), 'cpa-rel-many-'));
    home = await mkdtemp(join(tmpdir(), 'cpa-rel-home-'));
  });
  after(async () => {
    await gw.close();
    await removeTempFolder(cwd);
    await removeTempFolder(home);
  });

  it(`${RUNS} processes at once: all exit 0 with distinct, valid files and nothing else left behind`, { timeout: 170_000 }, async () => {
    const url = gw.scenarioUrl('ok', { width: 64, height: 48, noise: 1 });
    const served = gw.imageFor(url);
    const started = performance.now();
    const runs: Promise<CliRun>[] = [];
    for (let i = 0; i < RUNS; i++) {
      const shared = i % 2 === 1;
      const args = [
        '--quiet',
        '--prompt', shared ? 'the same squirrel' : `squirrel number ${i}`,
        '--output', shared ? 'shared/' : `own/${i}/squirrel.png`,
        ...(i % 4 < 2 ? ['--stream'] : []),
      ];
      runs.push(runCliProcess(args, { cwd, home, env: { IMAGE_GEN_BASE_URL: url, IMAGE_GEN_KEY: CANARY }, killAfterMs: 160_000 }));
    }
    const results = await Promise.all(runs);
    const seconds = (performance.now() - started) / 1000;

    const failures = results.map((r, i) => ({ i, r })).filter(({ r }) => r.code !== 0);
    assert.deepEqual(
      failures.map(({ i, r }) => `#${i}: exit ${r.code} ${r.signal ?? ''} ${r.stderr.trim()}`),
      [],
      'every run exits 0',
    );
    const printed = results.map((r) => r.stdout.trim());
    assert.equal(new Set(printed).size, RUNS, 'every run printed a different path');
    for (const p of printed) assert.ok(!isAbsolute(p), p);
    assertNoCanary('the output of the runs', results.flatMap((r) => [r.stdout, r.stderr]));

    const files = (await filesBelow(cwd)).sort();
    assert.deepEqual(files, [...printed].sort(), 'exactly the printed files exist: no temp file, no extra file');
    const sharedNames = (await readdir(join(cwd, 'shared'))).sort();
    const expectedShared = ['the-same-squirrel.png', ...Array.from({ length: RUNS / 2 - 1 }, (_, k) => `the-same-squirrel-${k + 2}.png`)].sort();
    assert.deepEqual(sharedNames, expectedShared, 'the shared folder holds <slug>.png, <slug>-2.png … <slug>-50.png');
    for (const file of files) {
      const bytes = await readFile(join(cwd, file));
      assert.equal(detectImageType(bytes)?.extension, 'png', file);
      assert.ok(withoutProvenance(bytes).equals(served), `${file} holds exactly the served image (and its provenance)`);
    }
    assert.equal(gw.requestsFor(url).length, RUNS, 'one request per run, none retried');
    // Bounded: on an idle 2-core machine this takes about 7 s.
    assert.ok(seconds < 150, `${seconds.toFixed(1)} s`);
  });
});
