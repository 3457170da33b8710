/**
 * Real gateway formats through the built CLI (issue 9, item 10): `--background transparent` with JPEG output is
 * refused before any request; "Request too large" under 429 rate_limit_exceeded ends at once, saying so; a policy
 * code (bio_policy) reads as a refusal; a response.incomplete is reported with its reason, after one request.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliTestBed } from '../support/cliTestBed';
import { filesBelow } from '../reliability/support';

const PREFIX = 'cpa-gpt-image: ';

describe('CLI: real gateway formats', () => {
  const bed = cliTestBed('formats');

  async function run(url: string, args: string[]) {
    const r = await bed.run(url, ['--prompt', 'a cute squirrel', '--output', 'out/squirrel.png', ...args]);
    const line = r.stderr.split('\n').filter(Boolean).at(-1) ?? '';
    assert.ok(line.startsWith(PREFIX), r.stderr);
    assert.deepEqual(r.files, [], 'nothing written');
    return { ...r, line: line.slice(PREFIX.length), requests: r.requests.filter((q) => q.path.endsWith('/v1/responses')).length };
  }

  for (const args of [['--background', 'transparent', '--format', 'jpeg'], ['--background', 'transparent', '--output', 'out/squirrel.jpg']]) {
    it(`${args.join(' ')}: exit 1 before any request, the message says why and what to change`, async () => {
      const url = bed.gw.scenarioUrl('transparent-jpeg');
      const r = await run(url, args);
      assert.equal(r.code, 1);
      assert.equal(r.requests, 0, 'no request was sent (no quota spent)');
      assert.match(r.line, /^A transparent background needs PNG or WebP output: .*'transparent' with output format 'jpeg' \(the format comes from command line --(format|output)\)\. Set the output format to png or webp, or the background to opaque or auto\.$/);
    });
  }

  it('--background transparent --format png still reaches the gateway and saves the image', async () => {
    const url = bed.gw.scenarioUrl('transparent-jpeg');
    const r = await bed.run(url, ['--prompt', 'x', '--output', 'out/x.png', '--background', 'transparent', '--format', 'png']);
    const { cwd } = r;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await filesBelow(cwd), ['out/x.png']);
  });

  for (const stream of [false, true]) {
    const mode = stream ? ['--stream'] : [];
    const label = stream ? 'stream' : 'non-stream';

    it(`request-too-large (${label}): exit 1 after one request, "the request is too large", no rate-limit retries`, async () => {
      const url = bed.gw.scenarioUrl('request-too-large');
      const r = await run(url, mode);
      assert.equal(r.code, 1);
      assert.equal(r.requests, 1);
      assert.match(r.line, /^The request is too large for the gateway's limit \(Limit 30000, Requested 342389\) \(429\): .*waiting cannot help/);
      assert.doesNotMatch(r.stderr, /retrying/);
    });

    it(`policy-refusal bio_policy (${label}): a refusal, not "the gateway failed"`, async () => {
      const url = bed.gw.scenarioUrl('policy-refusal');
      const r = await run(url, mode);
      assert.equal(r.code, 1);
      assert.equal(r.requests, 1);
      assert.match(r.line, /^The image was refused by the content policy .*\(bio_policy\)\. Rephrase the prompt\./);
      assert.doesNotMatch(r.line, /gateway failed|rejected the request/);
    });

    it(`incomplete-tools-empty (${label}): the reason, not the tool list, after one request`, async () => {
      const url = bed.gw.scenarioUrl('incomplete-tools-empty');
      const r = await run(url, mode);
      assert.equal(r.code, 1);
      assert.equal(r.requests, 1, 'not retried as a text fallback');
      assert.match(r.line, /^The response stopped early \(max_output_tokens\): the model ran out of output tokens/);
      assert.doesNotMatch(r.line, /image_generation tool did not reach the model/);
    });
  }
});
