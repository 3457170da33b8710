/**
 * Usage and quota end to end below the UI (issue 13 item 6): the client against the loopback test gateway fills
 * `GeneratedImage.usage` from JSON and streamed answers (the usage of the stream is in `response.completed`, after
 * the repeated image) and `GeneratedImage.quota` from the Codex headers, ignores hostile values, and the built CLI
 * prints one `Usage:` line with --verbose (nothing without it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImageClient } from '../../src/core/gateway/client';
import { startTestGateway, type TestGateway } from '../gateway/server';
import { settingsFor } from '../reliability/support';
import { cliTestBed } from '../support/cliTestBed';

describe('usage and quota from the test gateway', () => {
  let gw: TestGateway;
  const client = new ImageClient();
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await client.close();
    await gw.close();
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'stream' : 'non-stream';

    it(`${mode}: the usage and the image tool's tokens of the answer`, async () => {
      const image = await client.generate(settingsFor(gw.scenarioUrl('ok'), { stream }), { prompt: 'a fox' });
      assert.deepEqual(image.usage, { input: 1200, output: 80, total: 1280, inputDetails: { cached: 0 }, outputDetails: { reasoning: 0 }, imageTool: { input: 49, output: 272, total: 321 } });
      assert.equal(image.quota, undefined, 'no quota headers, no quota');
    });

    it(`${mode}: the recorded platform usage; none when the answer has none`, async () => {
      const platform = await client.generate(settingsFor(gw.scenarioUrl('ok', { usage: 'platform' }), { stream }), { prompt: 'a fox' });
      assert.deepEqual(platform.usage, { input: 2941, output: 1249, total: 4190, inputDetails: { cached: 1920 }, outputDetails: { reasoning: 1024 } });
      const none = await client.generate(settingsFor(gw.scenarioUrl('ok', { usage: 'none' }), { stream }), { prompt: 'a fox' });
      assert.equal(none.usage, undefined);
    });

    it(`${mode}: hostile counts are left out, the sound one kept, the image saved`, async () => {
      const url = gw.scenarioUrl('ok', { usage: 'hostile' });
      const image = await client.generate(settingsFor(url, { stream }), { prompt: 'a fox' });
      assert.deepEqual(Buffer.from(image.bytes), gw.imageFor(url));
      assert.deepEqual(image.usage, { output: 80 });
    });

    it(`${mode}: the Codex quota headers, both windows, with their resets`, async () => {
      const before = Date.now();
      const image = await client.generate(settingsFor(gw.scenarioUrl('codex-quota', { used: 81.5 }), { stream }), { prompt: 'a fox' });
      const quota = image.quota;
      assert.ok(quota);
      assert.equal(quota.planType, 'plus');
      assert.equal(quota.primary?.remainingPercent, 18.5);
      assert.equal(quota.primary?.windowMinutes, 300);
      assert.equal(quota.secondary?.remainingPercent, 64);
      assert.equal(quota.secondary?.windowMinutes, 10080);
      const reset = quota.primary?.resetsAt ?? 0;
      assert.ok(reset >= before + 15_780_000 - 2000 && reset <= Date.now() + 15_780_000 + 2000, 'resets in 4 h 23 min');
    });

    it(`${mode}: hostile quota headers: only the sound part of a window, no plan type`, async () => {
      const image = await client.generate(settingsFor(gw.scenarioUrl('codex-quota', { hostile: 1 }), { stream }), { prompt: 'a fox' });
      assert.deepEqual(image.quota, { secondary: { usedPercent: 42, remainingPercent: 58 }, readAt: image.quota?.readAt });
    });
  }
});

describe('CLI --verbose: one Usage line', () => {
  const bed = cliTestBed('usage');
  const run = (args: string[], url: string) => bed.run(url, ['--prompt', 'a fox', '-o', 'fox.png', ...args]);
  const gw = () => bed.gw;

  const usageLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line.includes('Usage:'));

  it('tokens and the quota left, streamed', async () => {
    const r = await run(['--verbose', '--stream'], gw().scenarioUrl('codex-quota'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'fox.png\n');
    const lines = usageLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0]!,
      /^\[info\] Usage: 1601 tokens \(input 1200, output 80, image 321\) · quota left \(plus plan\): 81% of 5 h \(resets in 4 h 2[23] min\), 64% of 7 d \(resets in 3 d 0 h\)$/,
    );
  });

  it('tokens only when there are no quota headers; "not reported" when the answer has no usage', async () => {
    const plain = await run(['--verbose'], gw().scenarioUrl('ok', { usage: 'platform' }));
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(usageLines(plain.stderr), ['[info] Usage: 4190 tokens (input 2941, output 1249)']);
    const none = await run(['--verbose'], gw().scenarioUrl('ok', { usage: 'none' }));
    assert.deepEqual(usageLines(none.stderr), ['[info] Usage: not reported by the gateway']);
  });

  it('a plan type that is a command link never reaches the terminal; without --verbose there is no Usage line', async () => {
    const hostile = await run(['--verbose'], gw().scenarioUrl('codex-quota', { hostile: 1 }));
    assert.equal(hostile.code, 0, hostile.stderr);
    assert.deepEqual(usageLines(hostile.stderr), ['[info] Usage: 1601 tokens (input 1200, output 80, image 321) · quota left: 58% of a window']);
    assert.doesNotMatch(hostile.stderr, /command:/);
    const quiet = await run([], gw().scenarioUrl('codex-quota'));
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.deepEqual(usageLines(quiet.stderr), []);
  });
});
