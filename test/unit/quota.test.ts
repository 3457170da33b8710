/**
 * The Codex quota headers (issue 13 item 6): the header set recorded from the ChatGPT backend through CPA
 * (CLIProxyAPI issue #4833: a plan whose weekly window comes as `primary` and whose `secondary` is all zeros and
 * empty) and the usual five-hour + weekly pair are read; hostile values are left out without a throw; what the
 * history stores reads back with the same bounds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseStoredQuota, percentValue, quotaWindows, readCodexQuota } from '../../src/core/gateway/quota';

const NOW = Date.parse('2026-08-05T02:39:43Z');
const S = NOW / 1000;

describe('readCodexQuota: the recorded header sets', () => {
  it('one weekly window sent as primary; an empty secondary is no window', () => {
    const headers = {
      'x-codex-active-limit': 'codex',
      'x-codex-plan-type': 'plus',
      'x-codex-primary-over-secondary-limit-percent': '0',
      'x-codex-primary-reset-after-seconds': '603723',
      'x-codex-primary-reset-at': String(S + 603723),
      'x-codex-primary-used-percent': '4',
      'x-codex-primary-window-minutes': '10080',
      'x-codex-secondary-reset-after-seconds': '0',
      'x-codex-secondary-reset-at': '',
      'x-codex-secondary-used-percent': '0',
      'x-codex-secondary-window-minutes': '0',
    };
    assert.deepEqual(readCodexQuota(headers, NOW), {
      primary: { usedPercent: 4, remainingPercent: 96, windowMinutes: 10080, resetsAt: NOW + 603723 * 1000 },
      planType: 'plus',
      readAt: NOW,
    });
  });

  it('five hours and a week: both windows, shortest first; the reset from reset-after-seconds when reset-at is absent', () => {
    const quota = readCodexQuota(
      {
        'x-codex-primary-used-percent': '19.5',
        'x-codex-primary-window-minutes': '300',
        'x-codex-primary-reset-after-seconds': '15780',
        'x-codex-secondary-used-percent': '36',
        'x-codex-secondary-window-minutes': '10080',
        'x-codex-secondary-reset-at': String(S + 80_000),
      },
      NOW,
    );
    assert.deepEqual(quota?.primary, { usedPercent: 19.5, remainingPercent: 80.5, windowMinutes: 300, resetsAt: NOW + 15_780_000 });
    assert.deepEqual(quota?.secondary, { usedPercent: 36, remainingPercent: 64, windowMinutes: 10080, resetsAt: NOW + 80_000_000 });
    assert.deepEqual(quotaWindows(quota).map((w) => w.windowMinutes), [300, 10080]);
    assert.deepEqual(quotaWindows({ primary: { usedPercent: 1, remainingPercent: 99, windowMinutes: 10080 }, secondary: { usedPercent: 2, remainingPercent: 98, windowMinutes: 300 }, readAt: 0 }).map((w) => w.windowMinutes), [300, 10080]);
  });

  it('no quota headers (CPA without passthrough-headers): undefined', () => {
    assert.equal(readCodexQuota({ 'content-type': 'text/event-stream' }, NOW), undefined);
    assert.equal(readCodexQuota({}, NOW), undefined);
    assert.equal(readCodexQuota(undefined, NOW), undefined);
  });
});

describe('readCodexQuota: hostile values', () => {
  it('percentages: plain decimals only; over 100 counts as 100 (nothing left)', () => {
    for (const bad of ['', 'NaN', '-5', '1e300', '1e2', 'Infinity', '0x10', '12%', '1'.repeat(40), ' ', '5.', '.5', '1,5']) {
      assert.equal(percentValue(bad), undefined, bad);
      assert.equal(readCodexQuota({ 'x-codex-primary-used-percent': bad }, NOW), undefined, bad);
    }
    assert.equal(percentValue('100.5'), 100);
    assert.equal(percentValue('999999'), 100);
    assert.deepEqual(readCodexQuota({ 'x-codex-primary-used-percent': ' 250 ' }, NOW)?.primary, { usedPercent: 100, remainingPercent: 0 });
  });

  it('windows, resets and plan types out of bounds are left out; the window stays', () => {
    const quota = readCodexQuota(
      {
        'x-codex-primary-used-percent': '50',
        'x-codex-primary-window-minutes': '1e300',
        'x-codex-primary-reset-at': String(S - 3 * 86_400),
        'x-codex-primary-reset-after-seconds': '-10',
        'x-codex-secondary-used-percent': '10',
        'x-codex-secondary-window-minutes': '99999999',
        'x-codex-secondary-reset-at': String(S + 400 * 86_400),
        'x-codex-secondary-reset-after-seconds': String(400 * 86_400),
        'x-codex-plan-type': '[pro](command:workbench.action.terminal.new)',
      },
      NOW,
    );
    assert.deepEqual(quota, {
      primary: { usedPercent: 50, remainingPercent: 50 },
      secondary: { usedPercent: 10, remainingPercent: 90 },
      readAt: NOW,
    });
  });

  it('property: any header values are read without a throw, and what comes out is within bounds', () => {
    const names = ['used-percent', 'window-minutes', 'reset-after-seconds', 'reset-at'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('primary', 'secondary'), fc.constantFrom(...names), fc.string({ maxLength: 30 })), { maxLength: 10 }), (entries) => {
        const headers: Record<string, string> = {};
        for (const [window, name, value] of entries) headers[`x-codex-${window}-${name}`] = value;
        const quota = readCodexQuota(headers, NOW);
        for (const w of quotaWindows(quota)) {
          assert.ok(w.usedPercent >= 0 && w.usedPercent <= 100 && Math.abs(w.usedPercent + w.remainingPercent - 100) < 1e-9);
          if (w.windowMinutes !== undefined) assert.ok(Number.isInteger(w.windowMinutes) && w.windowMinutes > 0);
          if (w.resetsAt !== undefined) assert.ok(w.resetsAt >= NOW - 86_400_000 && w.resetsAt <= NOW + 366 * 86_400_000);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseStoredQuota', () => {
  it('round trip through JSON, and the same bounds on what it reads back', () => {
    const quota = readCodexQuota({ 'x-codex-primary-used-percent': '19', 'x-codex-primary-window-minutes': '300', 'x-codex-primary-reset-after-seconds': '60', 'x-codex-plan-type': 'pro' }, NOW);
    assert.deepEqual(parseStoredQuota(JSON.parse(JSON.stringify(quota))), quota);
    assert.deepEqual(parseStoredQuota({ readAt: NOW, primary: { usedPercent: 10, windowMinutes: -3, resetsAt: 'soon' }, secondary: { usedPercent: 101 }, planType: 'a b' }), {
      primary: { usedPercent: 10, remainingPercent: 90 },
      readAt: NOW,
    });
    for (const stored of [undefined, null, {}, { readAt: NOW }, { readAt: 'x', primary: { usedPercent: 1 } }, { readAt: NOW, primary: { usedPercent: Number.NaN } }]) {
      assert.equal(parseStoredQuota(stored), undefined, JSON.stringify(stored));
    }
  });
});
