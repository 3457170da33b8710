/**
 * Real gateway formats (issue 9, item 10), checked against shapes recorded from public sources: policy refusal
 * codes of the Responses API's error events and bodies, OpenAI's "Request too large" under `rate_limit_exceeded`,
 * `response.incomplete` with its reason, and `background: transparent` with `jpeg` refused before the request.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, toGatewaySettings } from '../../src/core/config/config';
import { GatewayError } from '../../src/core/errors';
import { incompleteError, incompleteReason, readEventError, readHttpError } from '../../src/core/gateway/responseReader';
import { decideRetry, initialRetryState } from '../../src/core/gateway/retry';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const RETRY = { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 3, rateLimitRetries: 3 };
const TOO_LARGE =
  'Request too large for gpt-4o in organization org-78asdf87asdf9aaa8976 on tokens per min (TPM): Limit 30000, Requested 31538. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.';

function neverRetried(error: GatewayError): void {
  const decision = decideRetry(error, initialRetryState, RETRY, () => 0.5);
  assert.equal(decision.retry, false, `${error.kind} must not be retried`);
}

describe('policy refusals are refusals, not gateway failures', () => {
  const codes = ['bio_policy', 'cyber_policy', 'content_policy_violation', 'moderation_blocked', 'image_content_policy_violation', 'content_safety_violation'];
  for (const code of codes) {
    it(`${code}: in a response.failed event, a flat error event, a nested error event and an HTTP 400 body`, () => {
      const message = 'This request was flagged.';
      const errors = [
        readEventError({ type: 'response.failed', sequence_number: 0, response: { status: 'failed', error: { code, message } } }, NOW),
        readEventError({ type: 'error', code, message, param: null, sequence_number: 0 }, NOW),
        readEventError({ type: 'error', error: { type: 'invalid_request_error', code, message, param: null } }, NOW),
        readHttpError(400, {}, JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } }), NOW),
      ];
      for (const error of errors) {
        assert.ok(error);
        assert.equal(error.kind, 'content_policy', error.message);
        assert.match(error.message, new RegExp(`^The image was refused by the content policy .*\\(${code}\\)\\. Rephrase the prompt\\. The gateway said: "This request was flagged\\."$`));
        assert.doesNotMatch(error.message, /gateway failed/);
        neverRetried(error);
      }
    });
  }

  it('the recorded moderation_blocked of the image tool (type image_generation_user_error, moderation_details) is a refusal', () => {
    const error = {
      message:
        'Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID b68e1d8f-31a3-4a04-aa41-bf442d857ccd. safety_violations=[sexual].',
      type: 'image_generation_user_error',
      param: null,
      code: 'moderation_blocked',
      moderation_details: { moderation_stage: 'output', categories: ['sexual'] },
    };
    const fromEvent = readEventError({ type: 'error', error }, NOW);
    assert.equal(fromEvent?.kind, 'content_policy');
    assert.match(fromEvent!.message, /\(moderation_blocked\).*safety_violations=\[sexual\]/);
    assert.equal(readHttpError(400, {}, JSON.stringify({ error }), NOW).kind, 'content_policy');
  });

  it('a code that is not a policy code is not called one, and an unknown code is not repeated in the message', () => {
    const error = readEventError({ type: 'error', code: 'server_error', message: 'boom' }, NOW);
    assert.equal(error?.kind, 'server');
    const policyByWords = readHttpError(400, {}, JSON.stringify({ error: { code: 'weird_code', message: 'Your request was rejected by the safety system.' } }), NOW);
    assert.equal(policyByWords.kind, 'content_policy');
    assert.doesNotMatch(policyByWords.message, /weird_code/);
  });
});

describe('"Request too large" under rate_limit_exceeded', () => {
  it('the recorded 429 body: bad_request, not retried, the message says the request is too large and shows the numbers', () => {
    const body = JSON.stringify({ error: { message: TOO_LARGE, type: 'tokens', param: null, code: 'rate_limit_exceeded' } });
    const error = readHttpError(429, { 'retry-after': '20' }, body, NOW);
    assert.equal(error.kind, 'bad_request');
    assert.equal(error.details.status, 429);
    assert.equal(error.details.code, 'rate_limit_exceeded');
    assert.match(error.message, /^The request is too large for the gateway's limit \(Limit 30000, Requested 31538\) \(429\): .*waiting cannot help/);
    neverRetried(error);
  });

  it('in the stream (response.failed and a flat error event) the same', () => {
    for (const event of [
      { type: 'response.failed', response: { status: 'failed', error: { code: 'rate_limit_exceeded', message: TOO_LARGE } } },
      { type: 'error', code: 'rate_limit_exceeded', message: TOO_LARGE },
    ]) {
      const error = readEventError(event, NOW);
      assert.equal(error?.kind, 'bad_request');
      assert.match(error!.message, /too large.*Limit 30000, Requested 31538.*waiting cannot help/);
      neverRetried(error!);
    }
  });

  it('without the words: Requested over Limit and nothing Used is still too large', () => {
    const error = readHttpError(429, {}, JSON.stringify({ error: { code: 'rate_limit_exceeded', message: 'TPM: Limit 1,000, Requested 2,500.' } }), NOW);
    assert.equal(error.kind, 'bad_request');
    assert.match(error.message, /\(Limit 1,000, Requested 2,500\)/);
  });

  it('an ordinary rate limit ("Limit 30000, Used 22999, Requested 12528 … try again in 1.2s") is still a rate limit, retried', () => {
    const message =
      'Rate limit reached for gpt-5.4 in organization org-AAA on tokens per min (TPM): Limit 30000, Used 22999, Requested 12528. Please try again in 1.2s.';
    const error = readHttpError(429, {}, JSON.stringify({ error: { code: 'rate_limit_exceeded', message } }), NOW);
    assert.equal(error.kind, 'rate_limited');
    assert.equal(decideRetry(error, initialRetryState, RETRY, () => 0.5).retry, true);
  });

  it('a hostile 1 MiB message of "Limit 1," is read in linear time (the check is one pass)', () => {
    const message = 'Limit 1,'.repeat(128 * 1024);
    const started = process.cpuUsage();
    readHttpError(429, {}, JSON.stringify({ error: { code: 'rate_limit_exceeded', message } }), NOW);
    const cpuMs = (process.cpuUsage(started).user + process.cpuUsage(started).system) / 1000;
    // A CPU-time bound, far above what a linear scan needs and far below a quadratic one (minutes).
    assert.ok(cpuMs < 5_000, `${cpuMs} ms of CPU`);
  });
});

describe('response.incomplete', () => {
  it('the reason of an incomplete response, shortened; undefined for any other status', () => {
    assert.equal(incompleteReason({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }), 'max_output_tokens');
    assert.equal(incompleteReason({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_tokens' } } }), 'max_tokens');
    assert.equal(incompleteReason({ status: 'incomplete' }), '');
    assert.equal(incompleteReason({ status: 'completed', incomplete_details: null }), undefined);
    assert.ok(incompleteReason({ status: 'incomplete', incomplete_details: { reason: 'r'.repeat(10_000) } })!.length <= 80);
  });

  it('the error names the reason, says the tool list is not the cause, and is not retried', () => {
    for (const reason of ['max_output_tokens', 'max_tokens']) {
      const error = incompleteError(reason, ' The model said: "a plan"', { retryable: true });
      assert.equal(error.kind, 'no_image');
      assert.match(error.message, new RegExp(`^The response stopped early \\(${reason}\\): the model ran out of output tokens.*The tool list is not the cause`));
      assert.equal(error.details.retryable, false);
      neverRetried(error);
    }
    assert.match(incompleteError('steered', '', {}).message, /^The response stopped early \(steered\) before an image was made/);
    assert.match(incompleteError('', '', {}).message, /gave no reason/);
  });
});

describe('background transparent with jpeg output', () => {
  const env = { IMAGE_GEN_BASE_URL: 'http://127.0.0.1:8317', IMAGE_GEN_KEY: 'sk-test-secret-9876' };
  const settingsOf = (user: { background?: string; outputFormat?: string }) => toGatewaySettings(resolveConfig({ settings: user, env }), user);

  it('is refused before any request, naming both values, where the format came from, and what to change', () => {
    for (const user of [
      { background: 'transparent', outputFormat: 'jpeg' },
      { background: 'Transparent', outputFormat: 'jpg' },
      { background: ' transparent ', outputFormat: 'JPEG' },
    ]) {
      assert.throws(
        () => settingsOf(user),
        (err: unknown) =>
          err instanceof GatewayError &&
          err.kind === 'config' &&
          /^A transparent background needs PNG or WebP output: .*'transparent' with output format 'jpeg' \(the format comes from setting cpaImage\.outputFormat\)\. Set the output format to png or webp, or the background to opaque or auto\.$/.test(
            err.message,
          ),
      );
    }
  });

  it('the format from the environment is named as such', () => {
    assert.throws(
      () => toGatewaySettings(resolveConfig({ settings: { background: 'transparent' }, env: { ...env, IMAGE_GEN_OUTPUT_FORMAT: 'jpeg' } }), { background: 'transparent' }),
      /the format comes from environment IMAGE_GEN_OUTPUT_FORMAT/,
    );
  });

  it('transparent with png or webp, and jpeg with opaque or auto, are fine', () => {
    assert.equal(settingsOf({ background: 'transparent', outputFormat: 'png' }).tool.background, 'transparent');
    assert.equal(settingsOf({ background: 'transparent', outputFormat: 'webp' }).tool.outputFormat, 'webp');
    assert.equal(settingsOf({ background: 'opaque', outputFormat: 'jpeg' }).tool.outputFormat, 'jpeg');
    assert.equal(settingsOf({ background: 'auto', outputFormat: 'jpeg' }).tool.background, 'auto');
    assert.equal(settingsOf({ outputFormat: 'jpeg' }).tool.background, undefined);
  });
});
