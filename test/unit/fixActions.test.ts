/**
 * Every configuration error carries the action that fixes it (issue 11, item 2). The errors are the real ones:
 * `toGatewaySettings` on a resolved configuration, and GatewayErrors of each kind the client throws.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, toGatewaySettings } from '../../src/core/config/config';
import type { ResolvedConfig, UserSettings } from '../../src/core/config/config';
import { GatewayError } from '../../src/core/errors';
import { configurationProblem, fixActionsFor } from '../../src/vscode/ui/fixActions';
import type { FixAction } from '../../src/vscode/ui/fixActions';

const goodUrl = 'http://127.0.0.1:8317/v1';

/** The configuration error toGatewaySettings throws for these settings, with what was resolved. */
function configError(settings: UserSettings, secretKey?: string, env: Record<string, string> = {}): { err: GatewayError; resolved: ResolvedConfig } {
  const resolved = resolveConfig({ settings, env, ...(secretKey !== undefined ? { secretKey } : {}) });
  try {
    toGatewaySettings(resolved, settings);
  } catch (err) {
    assert.ok(err instanceof GatewayError && err.kind === 'config', String(err));
    return { err, resolved };
  }
  assert.fail('expected a configuration error');
}

const kinds = (actions: FixAction[]) => actions.map((a) => (a.kind === 'openSettings' ? `openSettings:${a.setting}` : a.kind));

describe('fixActionsFor: the buttons on an error', () => {
  const cases: { name: string; settings: UserSettings; key?: string; env?: Record<string, string>; problem: string; actions: string[] }[] = [
    { name: 'no URL anywhere', settings: {}, key: 'sk-test-123456789', problem: 'noBaseUrl', actions: ['setUpGateway', 'openSettings:cpaImage.baseUrl'] },
    { name: 'no URL and no key', settings: {}, problem: 'noBaseUrl', actions: ['setUpGateway', 'openSettings:cpaImage.baseUrl'] },
    { name: 'a URL without scheme', settings: { baseUrl: 'localhost:8317' }, key: 'sk-test-123456789', problem: 'badBaseUrl', actions: ['setUpGateway', 'openSettings:cpaImage.baseUrl'] },
    { name: 'an ftp URL from the environment', settings: {}, env: { IMAGE_GEN_BASE_URL: 'ftp://gateway' }, key: 'sk-test-123456789', problem: 'badBaseUrl', actions: ['setUpGateway', 'openSettings:cpaImage.baseUrl'] },
    { name: 'no key', settings: { baseUrl: goodUrl }, problem: 'noApiKey', actions: ['setApiKey', 'setUpGateway'] },
    { name: 'an image model', settings: { baseUrl: goodUrl, model: 'gpt-image-1' }, key: 'sk-test-123456789', problem: 'imageModel', actions: ['openSettings:cpaImage.model'] },
    { name: 'a bad number', settings: { baseUrl: goodUrl, timeoutSeconds: -1 }, key: 'sk-test-123456789', problem: 'other', actions: ['openSettings:cpaImage.timeoutSeconds'] },
    { name: 'a bad size', settings: { baseUrl: goodUrl, size: 'big' }, key: 'sk-test-123456789', problem: 'other', actions: ['openSettings:cpaImage.size'] },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.actions.join(', ')}`, () => {
      const { err, resolved } = configError(c.settings, c.key, c.env);
      assert.equal(configurationProblem(err, resolved), c.problem);
      assert.deepEqual(kinds(fixActionsFor(err, resolved, { canRetry: true })), c.actions);
      // Never "Retry" for a configuration error: it fails the same way until it is fixed.
      assert.ok(!kinds(fixActionsFor(err, resolved, { canRetry: true })).includes('retry'));
    });
  }

  it('tells the problem from the message alone when the configuration is not known', () => {
    for (const c of cases.filter((c) => c.problem !== 'imageModel' && c.problem !== 'other')) {
      const { err } = configError(c.settings, c.key, c.env);
      assert.equal(configurationProblem(err), c.problem, c.name);
    }
  });

  const gatewayCases: { kind: ConstructorParameters<typeof GatewayError>[0]; details?: ConstructorParameters<typeof GatewayError>[2]; actions: string[] }[] = [
    { kind: 'auth', details: { status: 401 }, actions: ['setApiKey', 'retry'] },
    { kind: 'forbidden', details: { status: 403 }, actions: ['setApiKey', 'retry'] },
    { kind: 'network', actions: ['retry', 'setUpGateway'] },
    { kind: 'not_found', details: { status: 404 }, actions: ['setUpGateway', 'openSettings:cpaImage.model'] },
    { kind: 'timeout', details: { timeoutMs: 1000 }, actions: ['retry', 'openSettings:cpaImage.timeoutSeconds'] },
    { kind: 'timeout', details: { timeoutMs: 1000, stoppedBy: 'totalTimeout' }, actions: ['retry', 'openSettings:cpaImage.totalTimeoutSeconds'] },
    { kind: 'server', details: { status: 502 }, actions: ['retry'] },
    { kind: 'rate_limited', details: { status: 429 }, actions: ['retry'] },
    { kind: 'too_large', actions: ['openSettings:cpaImage.maxResponseSize'] },
    { kind: 'content_policy', actions: [] },
    { kind: 'cancelled', actions: [] },
  ];
  for (const c of gatewayCases) {
    it(`${c.kind}${c.details?.stoppedBy ? ` (${c.details.stoppedBy})` : ''} → ${c.actions.join(', ') || 'nothing'}`, () => {
      const err = new GatewayError(c.kind, 'x', c.details);
      assert.deepEqual(kinds(fixActionsFor(err, undefined, { canRetry: true })), c.actions);
      assert.deepEqual(kinds(fixActionsFor(err, undefined, { canRetry: false })), c.actions.filter((a) => a !== 'retry'));
    });
  }

  it('offers nothing for an error that is not the gateway\'s', () => {
    assert.deepEqual(fixActionsFor(new Error('boom'), undefined, { canRetry: true }), []);
  });
});
