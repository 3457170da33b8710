/**
 * `--variants N` (issue 13 item 3): N candidates of one prompt, each its own request (gateways on the Codex upstream
 * ignore `n`), run at the same time, saved as name.png, name-2.png, … with every path printed. The built CLI in a
 * child process against the test gateway.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TestGateway } from '../gateway/server';
import { cliTestBed } from '../support/cliTestBed';

describe('CLI: --variants', () => {
  const bed = cliTestBed('variants');

  async function run(args: string[], scenario = 'slow', params: Record<string, string> = { delayMs: '100' }, prepare?: (cwd: string) => Promise<void>) {
    const url = bed.gw.scenarioUrl(scenario as Parameters<TestGateway['scenarioUrl']>[0], params);
    return { ...(await bed.run(url, args, prepare ? { prepare } : {})), url };
  }

  it('--variants 3 -o out/fox.png: three requests at the same time, three distinct files, every path printed', async () => {
    const r = await run(['--prompt', 'a fox', '-o', 'out/fox.png', '--variants', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['out/fox.png', 'out/fox-2.png', 'out/fox-3.png']);
    assert.deepEqual([...r.files].sort(), ['out/fox-2.png', 'out/fox-3.png', 'out/fox.png']);
    assert.equal(r.requests.length, 3);
    assert.ok(r.requests.every((q) => (q.json as { input?: unknown }).input === 'a fox'), 'the same prompt each time');
    assert.equal(bed.gw.mostInFlight(r.url), 3, 'the candidates are asked at the same time, not one after the other');
    for (const file of r.files) assert.deepEqual([...(await readFile(join(r.cwd, file))).subarray(1, 4)], [0x50, 0x4e, 0x47], `${file} is a PNG`);
  });

  it('without --output the candidates are <slug>.png, <slug>-2.png', async () => {
    const r = await run(['--prompt', 'a fox', '--variants', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...r.files].sort(), ['a-fox-2.png', 'a-fox.png']);
  });

  it('a failing candidate: the others are saved and printed, the failure named, exit 1', async () => {
    // The third request of this scenario URL fails (server-error-always would fail all): refuse-prompt refuses by word,
    // so one candidate of a prompt cannot fail alone; the scenario `server-error-once` fails only the first request.
    const r = await run(['--prompt', 'a fox', '-o', 'fox.png', '--variants', '2', '--max-attempts', '1'], 'server-error-once', {});
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1, `one path printed: ${r.stdout}`);
    assert.equal(r.files.length, 1);
    assert.match(r.stderr, /candidate [12] of 2: /);
    assert.match(r.stderr, /1 of 2 candidates failed; 1 saved\./);
  });

  it("another candidate's file is never written over, --overwrite or not: refused before any request", async () => {
    const r = await run(['--prompt', 'a fox', '-o', 'fox.png', '--variants', '2', '--overwrite'], 'slow', { delayMs: '100' }, (cwd) => writeFile(join(cwd, 'fox-2.png'), 'mine'));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /fox-2\.png already exists/);
    assert.equal(r.requests.length, 0);
    assert.equal(await readFile(join(r.cwd, 'fox-2.png'), 'utf8'), 'mine');
  });

  for (const value of ['0', '5', 'two']) {
    it(`--variants ${value}: a usage error (exit 2)`, async () => {
      const r = await run(['--prompt', 'a fox', '--variants', value]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.requests.length, 0);
    });
  }
});
