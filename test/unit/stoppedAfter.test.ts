/**
 * The VS Code side of issue 9, item 9: the notification's sentence says how many attempts were made. `withAttempts`
 * is where errorMessages.ts composes it; it is driven here with an `l10n` that formats like VS Code's, in English
 * (the message itself) and in Chinese (the real bundle, l10n/bundle.l10n.zh-cn.json).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../../src/core/errors';
import { finalError } from '../../src/core/gateway/retry';
import { withAttempts, type Translator } from '../../src/vscode/ui/stoppedAfter';

const bundle = JSON.parse(readFileSync(fileURLToPath(new URL('../../l10n/bundle.l10n.zh-cn.json', import.meta.url)), 'utf8')) as Record<string, string>;

function translator(table?: Record<string, string>): Translator {
  return {
    t(message, ...args) {
      const text = table ? table[message] : message;
      assert.ok(text !== undefined, `no translation for "${message}"`);
      return text.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));
    },
  };
}
const en = translator();
const zh = translator(bundle);

const server = new GatewayError('server', 'The gateway failed (503).', { status: 503, retryable: true });
const shown = 'The gateway failed (HTTP 503) even after retrying. Try again later.';

describe('withAttempts: "Stopped after N attempts" in the notification', () => {
  it('one attempt that failed for good: the message as it was', () => {
    assert.equal(withAttempts(en, shown, server), shown);
  });

  it('the attempt cap ended it (the retry-mix-forever case): the count, the sentence, and which setting', () => {
    const error = finalError(server, 5, 'maxAttempts');
    assert.equal(withAttempts(en, shown, error), `Stopped after 5 attempts: ${shown} No more attempts: cpaImage.maxAttempts allows 5 for one image.`);
    assert.equal(withAttempts(zh, '重试之后网关仍然出错（HTTP 503）。请稍后再试。', error), '尝试 5 次后停止：重试之后网关仍然出错（HTTP 503）。请稍后再试。 不再重试：cpaImage.maxAttempts 规定一张图最多尝试 5 次。');
  });

  it('several attempts and then a per-kind limit: the count only', () => {
    assert.equal(withAttempts(en, shown, finalError(server, 4)), `Stopped after 4 attempts: ${shown}`);
    assert.equal(withAttempts(zh, 'X', finalError(server, 4)), '尝试 4 次后停止：X');
  });

  it('one attempt stopped by a limit of 1: singular', () => {
    assert.equal(withAttempts(en, shown, finalError(server, 1, 'maxAttempts')), `Stopped after 1 attempt: ${shown} No more attempts: cpaImage.maxAttempts allows 1 for one image.`);
    assert.equal(withAttempts(zh, 'X', finalError(server, 1)), 'X', 'one attempt, no limit: unchanged');
  });

  it('the deadline: a retry that would pass it names cpaImage.totalTimeoutSeconds; a timeout it cut short says so itself', () => {
    assert.equal(
      withAttempts(en, shown, finalError(server, 3, 'totalTimeout')),
      `Stopped after 3 attempts: ${shown} No more attempts: the time for one image (cpaImage.totalTimeoutSeconds) is used up.`,
    );
    const cut = finalError(new GatewayError('timeout', 'overall', { timeoutMs: 900_000, stoppedBy: 'totalTimeout' }), 2);
    assert.equal(withAttempts(en, 'The image was not finished within 15 min, …', cut), 'Stopped after 2 attempts: The image was not finished within 15 min, …');
    assert.equal(withAttempts(zh, 'Y', cut), '尝试 2 次后停止：Y');
  });
});
