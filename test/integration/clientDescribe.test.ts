/**
 * `ImageClient.describe` (Write Alt Text, issue 14 item 5) against the test gateway on 127.0.0.1: the text answer in
 * both request modes, the answer kept bounded however much the gateway sends, the retry policy and key redaction of
 * image requests applying to text requests too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImageClient, MAX_TEXT_ANSWER_CHARS } from '../../src/core/gateway/client';
import { GatewayError } from '../../src/core/errors';
import type { GatewaySettings } from '../../src/core/types';
import { startTestGateway, type TestGateway } from '../gateway/server';
import { ALT_TEXT_REPLY } from '../gateway/scenarios';
import { makePng } from '../gateway/images';

const KEY = 'sk-test-DESCRIBE-9753';

function settings(baseUrl: string, stream: boolean): GatewaySettings {
  return {
    baseUrl,
    apiKey: KEY,
    model: 'gpt-5.4',
    instructions: 'you are a helpful assistant',
    identity: { userAgent: 'codex-tui/0.122.0', version: '0.122.0', originator: 'codex_cli_rs', sessionId: 'test-session' },
    stream,
    tool: { outputFormat: 'png' },
    timeoutMs: 20_000,
    maxResponseBytes: 64 * 1024 * 1024,
    retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 2, rateLimitRetries: 3 },
  };
}

describe('ImageClient.describe against the test gateway', { timeout: 120_000 }, () => {
  let gw: TestGateway;
  const client = new ImageClient();
  const request = { text: 'Write the alt text. Answer in English.', images: [{ mime: 'image/png', bytes: makePng(3, 3) }] };

  before(async () => {
    gw = await startTestGateway({ expectedKey: KEY });
  });
  after(async () => {
    await client.close();
    await gw.close();
  });

  for (const stream of [false, true]) {
    const mode = stream ? 'stream' : 'non-stream';
    it(`returns the model's sentence (${mode}); the request has no tools`, async () => {
      const url = gw.scenarioUrl('alt-text');
      const answer = await client.describe(settings(url, stream), request);
      assert.equal(answer.text, ALT_TEXT_REPLY);
      assert.equal(answer.attempts, 1);
      const sent = gw.requestsFor(url)[0]?.json as Record<string, unknown>;
      assert.equal(sent.tools, undefined);
    });

    it(`keeps at most MAX_TEXT_ANSWER_CHARS of a 2 MiB answer (${mode})`, async () => {
      const url = gw.scenarioUrl('flood-text-deltas', { bytes: 2 * 1024 * 1024 });
      const answer = await client.describe(settings(url, stream), request);
      assert.ok(answer.text.length > 0 && answer.text.length <= MAX_TEXT_ANSWER_CHARS, `${answer.text.length} characters`);
    });

    it(`retries a stated rate limit as for an image, and says when the answer has no text (${mode})`, async () => {
      const url = gw.scenarioUrl('rate-limit-retry-after-ms');
      // The second answer is the image scenario's: an image and an empty message, no words.
      await assert.rejects(client.describe(settings(url, stream), request), (err: unknown) => {
        assert.ok(err instanceof GatewayError);
        assert.equal(err.kind, 'protocol');
        assert.match(err.message, /answered without any text/);
        return true;
      });
      assert.equal(gw.requestsFor(url).length, 2, 'the 429 was retried once');
    });

    it(`a 401 that echoes the key fails with auth, the key redacted (${mode})`, async () => {
      const url = gw.scenarioUrl('auth-key-echo');
      await assert.rejects(client.describe(settings(url, stream), request), (err: unknown) => {
        assert.ok(err instanceof GatewayError);
        assert.equal(err.kind, 'auth');
        assert.ok(!JSON.stringify({ message: err.message, details: err.details }).includes(KEY), 'no key in the error');
        return true;
      });
    });
  }
});
