import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultSettings,
  describeResolvedConfig,
  resolveConfig,
  toGatewaySettings,
  type ResolvedConfig,
  type UserSettings,
} from '../../src/core/config/config';
import type { OpenClawInfo } from '../../src/core/config/openclaw';
import { GatewayError } from '../../src/core/errors';

const openclaw: OpenClawInfo = {
  baseUrl: { value: 'http://claw.example:8317', source: 'OpenClaw /h/.openclaw/agents/main/agent/models.json' },
  apiKey: { value: 'sk-openclaw-key-0000', source: 'OpenClaw /h/.openclaw/agents/main/agent/models.json' },
  defaultModel: { value: 'otcbot/gpt-5.4-mini', source: 'OpenClaw /h/.openclaw/openclaw.json (agents.defaults.model)' },
};

type Env = Record<string, string | undefined>;

describe('resolveConfig: base URL chain', () => {
  const full: Env = {
    IMAGE_GEN_BASE_URL: 'http://image-gen',
    OTCBOT_BASE_URL: 'http://otcbot',
    CPA_BASE_URL: 'http://cpa',
    OPENAI_BASE_URL: 'http://openai',
  };
  const cases: { name: string; settings: UserSettings; env: Env; claw?: OpenClawInfo; value: string | undefined; source: string }[] = [
    { name: 'setting wins over everything', settings: { baseUrl: 'http://setting' }, env: full, claw: openclaw, value: 'http://setting', source: 'setting cpaImage.baseUrl' },
    { name: 'IMAGE_GEN_BASE_URL next', settings: {}, env: full, claw: openclaw, value: 'http://image-gen', source: 'environment IMAGE_GEN_BASE_URL' },
    { name: 'OTCBOT_BASE_URL next', settings: {}, env: { ...full, IMAGE_GEN_BASE_URL: undefined }, value: 'http://otcbot', source: 'environment OTCBOT_BASE_URL' },
    { name: 'CPA_BASE_URL next', settings: {}, env: { CPA_BASE_URL: 'http://cpa', OPENAI_BASE_URL: 'http://openai' }, value: 'http://cpa', source: 'environment CPA_BASE_URL' },
    { name: 'OPENAI_BASE_URL next', settings: {}, env: { OPENAI_BASE_URL: 'http://openai' }, claw: openclaw, value: 'http://openai', source: 'environment OPENAI_BASE_URL' },
    { name: 'OpenClaw last', settings: {}, env: {}, claw: openclaw, value: 'http://claw.example:8317', source: 'OpenClaw /h/.openclaw/agents/main/agent/models.json' },
    { name: 'nothing', settings: {}, env: {}, value: undefined, source: 'not set' },
    { name: 'empty and blank values count as unset', settings: { baseUrl: '  ' }, env: { IMAGE_GEN_BASE_URL: '', OTCBOT_BASE_URL: ' \t', CPA_BASE_URL: ' http://cpa ' }, value: 'http://cpa', source: 'environment CPA_BASE_URL' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = resolveConfig({ settings: c.settings, env: c.env, ...(c.claw ? { openclaw: c.claw } : {}) });
      assert.deepEqual(r.baseUrl, { value: c.value, source: c.source });
    });
  }
});

describe('resolveConfig: API key chain', () => {
  const full: Env = { IMAGE_GEN_KEY: 'k-image-gen', OTCBOT_API_KEY: 'k-otcbot', CPA_API_KEY: 'k-cpa', OPENAI_API_KEY: 'k-openai' };
  const cases: { name: string; secret?: string; env: Env; claw?: OpenClawInfo; value: string | undefined; source: string }[] = [
    { name: 'SecretStorage first', secret: 'k-secret', env: full, claw: openclaw, value: 'k-secret', source: 'SecretStorage' },
    { name: 'blank secret is ignored', secret: '   ', env: full, value: 'k-image-gen', source: 'environment IMAGE_GEN_KEY' },
    { name: 'OTCBOT_API_KEY', env: { ...full, IMAGE_GEN_KEY: '' }, value: 'k-otcbot', source: 'environment OTCBOT_API_KEY' },
    { name: 'CPA_API_KEY', env: { CPA_API_KEY: 'k-cpa', OPENAI_API_KEY: 'k-openai' }, value: 'k-cpa', source: 'environment CPA_API_KEY' },
    { name: 'OPENAI_API_KEY', env: { OPENAI_API_KEY: 'k-openai' }, claw: openclaw, value: 'k-openai', source: 'environment OPENAI_API_KEY' },
    { name: 'OpenClaw', env: {}, claw: openclaw, value: 'sk-openclaw-key-0000', source: 'OpenClaw /h/.openclaw/agents/main/agent/models.json' },
    { name: 'none', env: {}, value: undefined, source: 'not set' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = resolveConfig({
        settings: {},
        env: c.env,
        ...(c.secret !== undefined ? { secretKey: c.secret } : {}),
        ...(c.claw ? { openclaw: c.claw } : {}),
      });
      assert.deepEqual(r.apiKey, { value: c.value, source: c.source });
    });
  }
});

describe('resolveConfig: model chain', () => {
  const claw = (ref: string): OpenClawInfo => ({ defaultModel: { value: ref, source: 'OpenClaw x (agents.defaults.model)' } });
  const cases: { name: string; settings: UserSettings; env: Env; claw?: OpenClawInfo; value: string; source: string }[] = [
    { name: 'setting', settings: { model: 'gpt-5.5' }, env: { IMAGE_GEN_MODEL: 'env-model' }, value: 'gpt-5.5', source: 'setting cpaImage.model' },
    { name: 'IMAGE_GEN_MODEL', settings: { model: '' }, env: { IMAGE_GEN_MODEL: 'm1', OTCBOT_IMAGE_MODEL: 'm2' }, value: 'm1', source: 'environment IMAGE_GEN_MODEL' },
    { name: 'OTCBOT_IMAGE_MODEL', settings: {}, env: { OTCBOT_IMAGE_MODEL: 'm2', CPA_MODEL: 'm3' }, value: 'm2', source: 'environment OTCBOT_IMAGE_MODEL' },
    { name: 'CPA_MODEL', settings: {}, env: { CPA_MODEL: 'm3' }, claw: claw('otcbot/gpt-5.4-mini'), value: 'm3', source: 'environment CPA_MODEL' },
    { name: 'OpenClaw otcbot model, prefix removed', settings: {}, env: {}, claw: claw('otcbot/gpt-5.4-mini'), value: 'gpt-5.4-mini', source: 'OpenClaw x (agents.defaults.model)' },
    { name: 'OpenClaw otcbot image model is skipped', settings: {}, env: {}, claw: claw('otcbot/gpt-image-2'), value: 'gpt-5.4', source: 'default' },
    { name: 'OpenClaw model of another provider is skipped', settings: {}, env: {}, claw: claw('anthropic/claude-opus'), value: 'gpt-5.4', source: 'default' },
    { name: 'OpenClaw bare otcbot/ is skipped', settings: {}, env: {}, claw: claw('otcbot/'), value: 'gpt-5.4', source: 'default' },
    { name: 'default gpt-5.4', settings: {}, env: {}, value: 'gpt-5.4', source: 'default' },
    // The chain does not filter image models set by the user: toGatewaySettings refuses them with an explanation.
    { name: 'a gpt-image setting is kept for the refusal', settings: { model: 'gpt-image-2' }, env: {}, value: 'gpt-image-2', source: 'setting cpaImage.model' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = resolveConfig({ settings: c.settings, env: c.env, ...(c.claw ? { openclaw: c.claw } : {}) });
      assert.deepEqual(r.model, { value: c.value, source: c.source });
    });
  }
});

describe('resolveConfig: output format', () => {
  const cases: { name: string; settings: UserSettings; env: Env; value: string; source: string; problem?: RegExp }[] = [
    { name: 'default png', settings: {}, env: {}, value: 'png', source: 'default' },
    { name: 'setting webp', settings: { outputFormat: 'webp' }, env: { IMAGE_GEN_OUTPUT_FORMAT: 'jpeg' }, value: 'webp', source: 'setting cpaImage.outputFormat' },
    { name: 'env jpeg', settings: {}, env: { IMAGE_GEN_OUTPUT_FORMAT: 'jpeg' }, value: 'jpeg', source: 'environment IMAGE_GEN_OUTPUT_FORMAT' },
    { name: 'jpg means jpeg, any case', settings: {}, env: { IMAGE_GEN_OUTPUT_FORMAT: ' JPG ' }, value: 'jpeg', source: 'environment IMAGE_GEN_OUTPUT_FORMAT' },
    { name: 'invalid env value is a problem, not silently png', settings: {}, env: { IMAGE_GEN_OUTPUT_FORMAT: 'gif' }, value: 'png', source: 'default', problem: /'gif' \(from environment IMAGE_GEN_OUTPUT_FORMAT\).*png, jpeg or webp/ },
    { name: 'invalid setting is a problem', settings: { outputFormat: 'bmp' }, env: { IMAGE_GEN_OUTPUT_FORMAT: 'webp' }, value: 'png', source: 'default', problem: /'bmp' \(from setting cpaImage.outputFormat\)/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = resolveConfig({ settings: c.settings, env: c.env });
      assert.deepEqual(r.outputFormat, { value: c.value, source: c.source });
      if (c.problem) {
        assert.match(r.problems?.[0] ?? '', c.problem);
        const complete = { ...r, baseUrl: { value: 'http://h', source: 's' }, apiKey: { value: 'key-12345', source: 's' } };
        assert.throws(
          () => toGatewaySettings(complete, c.settings),
          (err: unknown) => err instanceof GatewayError && err.kind === 'config' && c.problem!.test(err.message),
        );
      } else {
        assert.equal(r.problems, undefined);
      }
    });
  }
});

describe('resolveConfig: identity headers', () => {
  it('defaults', () => {
    const r = resolveConfig({ settings: {}, env: {} });
    assert.deepEqual(r.version, { value: '0.122.0', source: 'default' });
    assert.deepEqual(r.originator, { value: 'codex_cli_rs', source: 'default' });
    assert.deepEqual(r.sessionId, { value: 'test-session', source: 'default' });
    assert.equal(r.userAgent.source, 'default');
    assert.match(r.userAgent.value, /^codex-tui\/0\.122\.0 \(.+\) .+ \(codex-tui; 0\.122\.0\)$/);
  });
  it('environment over default, setting over environment', () => {
    const env = { CPA_SESSION_ID: 'env-session', CPA_USER_AGENT: 'env-ua', CPA_VERSION: '9.9.9', CPA_ORIGINATOR: 'env-orig' };
    const fromEnv = resolveConfig({ settings: {}, env });
    assert.deepEqual(
      [fromEnv.sessionId, fromEnv.userAgent, fromEnv.version, fromEnv.originator],
      [
        { value: 'env-session', source: 'environment CPA_SESSION_ID' },
        { value: 'env-ua', source: 'environment CPA_USER_AGENT' },
        { value: '9.9.9', source: 'environment CPA_VERSION' },
        { value: 'env-orig', source: 'environment CPA_ORIGINATOR' },
      ],
    );
    const fromSettings = resolveConfig({
      settings: { sessionId: 's', userAgent: 'ua', version: '1.0.0', originator: 'o' },
      env,
    });
    assert.deepEqual(
      [fromSettings.sessionId.source, fromSettings.userAgent.value, fromSettings.version.value, fromSettings.originator.source],
      ['setting cpaImage.sessionId', 'ua', '1.0.0', 'setting cpaImage.originator'],
    );
  });
  it('describeSetting names the winning setting (the CLI names its flags)', () => {
    const r = resolveConfig({ settings: { model: 'gpt-5.5' }, env: {}, describeSetting: (n) => `command line --${n}` });
    assert.equal(r.model.source, 'command line --model');
  });
});

function resolvedWith(overrides: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return {
    ...resolveConfig({ settings: {}, env: {} }),
    baseUrl: { value: 'http://127.0.0.1:8317/v1', source: 'environment IMAGE_GEN_BASE_URL' },
    apiKey: { value: 'sk-test-secret-9876', source: 'environment IMAGE_GEN_KEY' },
    ...overrides,
  };
}

describe('toGatewaySettings', () => {
  it('builds the defaults of SPEC §1 and §5', () => {
    const s = toGatewaySettings(resolvedWith(), {});
    assert.deepEqual(s, {
      baseUrl: 'http://127.0.0.1:8317/v1',
      apiKey: 'sk-test-secret-9876',
      model: 'gpt-5.4',
      instructions: 'you are a helpful assistant',
      identity: {
        userAgent: defaultSettings.userAgent,
        version: '0.122.0',
        originator: 'codex_cli_rs',
        sessionId: 'test-session',
      },
      stream: false,
      tool: { outputFormat: 'png' },
      timeoutMs: 600_000,
      maxResponseBytes: 64 * 1024 * 1024,
      retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 3, rateLimitRetries: 3, maxAttempts: 5, totalTimeoutMs: 900_000 },
      api: 'responses',
      imageModel: 'gpt-image-2',
      sizePhrase: true,
      processing: { fit: 'crop', format: 'original', quality: 80 },
    });
  });

  it('checks the image processing settings (issue 12) and names the one to fix', () => {
    const s = toGatewaySettings(resolvedWith(), { fit: 'Contain', saveFormat: 'jpg', saveQuality: 55, saveMaxWidth: 800, sizePhrase: false });
    assert.deepEqual(s.processing, { fit: 'contain', format: 'jpeg', quality: 55, maxWidth: 800 });
    assert.equal(s.sizePhrase, false);
    const refused: [UserSettings, RegExp][] = [
      [{ fit: 'stretch' }, /fit 'stretch'.*crop, contain or none/],
      [{ saveFormat: 'gif' }, /save format 'gif'.*original, webp, png or jpeg/],
      [{ saveQuality: 0 }, /save\.quality is 0/],
      [{ saveQuality: 101 }, /save\.quality is 101/],
      [{ saveMaxWidth: 0 }, /save\.maxWidth is 0/],
      [{ saveMaxHeight: 1.5 }, /save\.maxHeight is 1\.5/],
    ];
    for (const [settings, message] of refused) {
      assert.throws(() => toGatewaySettings(resolvedWith(), settings), (err: unknown) => err instanceof GatewayError && err.kind === 'config' && message.test(err.message));
    }
  });

  it('passes the optional tool fields, numbers and proxy through', () => {
    const s = toGatewaySettings(resolvedWith({ outputFormat: { value: 'webp', source: 'x' } }), {
      stream: true,
      partialImages: 2,
      size: '1536X1024',
      quality: ' high ',
      background: 'transparent',
      outputCompression: 80,
      moderation: 'low',
      instructions: 'draw',
      timeoutSeconds: 1.5,
      maxRateLimitWaitSeconds: 0,
      textFallbackRetries: 0,
      transientRetries: 5,
      maxAttempts: 20,
      totalTimeoutSeconds: 2.5,
      maxResponseMiB: 1,
      proxy: { proxyUrl: 'http://proxy:3128', strictSsl: false },
    });
    assert.equal(s.stream, true);
    assert.equal(s.instructions, 'draw');
    assert.deepEqual(s.tool, {
      outputFormat: 'webp',
      size: '1536x1024',
      quality: 'high',
      background: 'transparent',
      outputCompression: 80,
      partialImages: 2,
      moderation: 'low',
    });
    assert.equal(s.timeoutMs, 1500);
    assert.equal(s.maxResponseBytes, 1024 * 1024);
    assert.deepEqual(s.retry, { maxRateLimitWaitMs: 0, textFallbackRetries: 0, transientRetries: 5, rateLimitRetries: 3, maxAttempts: 20, totalTimeoutMs: 2500 });
    assert.deepEqual(s.proxy, { proxyUrl: 'http://proxy:3128', strictSsl: false });
  });

  it('treats blank optional strings and null numbers as unset', () => {
    const s = toGatewaySettings(resolvedWith(), {
      size: '',
      quality: '  ',
      instructions: ' ',
      partialImages: null as unknown as number,
      timeoutSeconds: null as unknown as number,
    });
    assert.deepEqual(s.tool, { outputFormat: 'png' });
    assert.equal(s.instructions, 'you are a helpful assistant');
    assert.equal(s.timeoutMs, 600_000);
  });

  const refusals: { name: string; resolved: Partial<ResolvedConfig>; settings?: UserSettings; message: RegExp }[] = [
    { name: 'no base URL', resolved: { baseUrl: { value: undefined, source: 'not set' } }, message: /^No gateway URL is configured\. Set cpaImage\.baseUrl or IMAGE_GEN_BASE_URL/ },
    { name: 'blank base URL', resolved: { baseUrl: { value: '  ', source: 'x' } }, message: /No gateway URL/ },
    { name: 'base URL that is not http', resolved: { baseUrl: { value: 'ftp://h', source: 'environment CPA_BASE_URL' } }, message: /'ftp:\/\/h' \(from environment CPA_BASE_URL\) is not an http/ },
    { name: 'base URL that is not a URL', resolved: { baseUrl: { value: 'localhost:8317', source: 'x' } }, message: /is not an http/ },
    { name: 'no key', resolved: { apiKey: { value: undefined, source: 'not set' } }, message: /^No API key .*Run 'CPA Image: Set API Key' or set IMAGE_GEN_KEY\./ },
    { name: 'gpt-image model', resolved: { model: { value: 'gpt-image-2', source: 'setting cpaImage.model' } }, message: /'gpt-image-2' \(from setting cpaImage\.model\) is an image model.*text model such as gpt-5\.4.*image_generation tool/ },
    { name: 'gpt-image model in another case', resolved: { model: { value: 'GPT-Image-1.5', source: 'x' } }, message: /is an image model/ },
    { name: 'provider-prefixed gpt-image model', resolved: { model: { value: 'openai/gpt-image-1', source: 'x' } }, message: /is an image model/ },
    { name: 'partialImages above 3', resolved: {}, settings: { partialImages: 4 }, message: /partialImages is 4; it must be a whole number from 0 to 3/ },
    { name: 'partialImages not whole', resolved: {}, settings: { partialImages: 1.5 }, message: /partialImages/ },
    { name: 'outputCompression above 100', resolved: {}, settings: { outputCompression: 101 }, message: /outputCompression is 101; it must be a whole number from 0 to 100/ },
    { name: 'outputCompression negative', resolved: {}, settings: { outputCompression: -1 }, message: /outputCompression/ },
    { name: 'timeout zero', resolved: {}, settings: { timeoutSeconds: 0 }, message: /timeoutSeconds is 0; it must be a number greater than 0/ },
    { name: 'timeout NaN', resolved: {}, settings: { timeoutSeconds: Number.NaN }, message: /timeoutSeconds/ },
    { name: 'negative rate-limit wait', resolved: {}, settings: { maxRateLimitWaitSeconds: -1 }, message: /maxRateLimitWaitSeconds/ },
    { name: 'negative retries', resolved: {}, settings: { transientRetries: -1 }, message: /transientRetries/ },
    { name: 'no attempt at all', resolved: {}, settings: { maxAttempts: 0 }, message: /maxAttempts is 0; it must be a whole number from 1 to 20/ },
    { name: 'attempts over 20', resolved: {}, settings: { maxAttempts: 21 }, message: /maxAttempts is 21/ },
    { name: 'attempts not whole', resolved: {}, settings: { maxAttempts: 2.5 }, message: /maxAttempts/ },
    { name: 'no time in all', resolved: {}, settings: { totalTimeoutSeconds: 0 }, message: /totalTimeoutSeconds is 0; it must be a number greater than 0/ },
    { name: 'zero response cap', resolved: {}, settings: { maxResponseMiB: 0 }, message: /maxResponseMiB/ },
    { name: 'malformed size', resolved: {}, settings: { size: 'big' }, message: /The size 'big' is not valid/ },
  ];
  for (const c of refusals) {
    it(`refuses: ${c.name}`, () => {
      assert.throws(
        () => toGatewaySettings(resolvedWith(c.resolved), c.settings ?? {}),
        (err: unknown) => {
          assert.ok(err instanceof GatewayError);
          assert.equal(err.kind, 'config');
          assert.match(err.message, c.message);
          assert.ok(!err.message.includes('sk-test-secret-9876'), 'the key must not appear');
          return true;
        },
      );
    });
  }

  it('does not show the password of a base URL in its error', () => {
    assert.throws(
      () => toGatewaySettings(resolvedWith({ baseUrl: { value: 'ftp://user:hunter2pass@h', source: 'x' } }), {}),
      (err: unknown) => err instanceof GatewayError && !err.message.includes('hunter2pass') && err.message.includes('***'),
    );
  });
});

describe('describeResolvedConfig', () => {
  it('lists every value with its source and shows the key only as its last four characters', () => {
    const rows = describeResolvedConfig(resolvedWith());
    assert.deepEqual(
      rows.map((r) => r.name),
      ['Base URL', 'API key', 'Model', 'Output format', 'User agent', 'Version', 'Originator', 'Session id', 'Route', 'Image model'],
    );
    const key = rows.find((r) => r.name === 'API key');
    assert.deepEqual(key, { name: 'API key', value: '…9876', source: 'environment IMAGE_GEN_KEY' });
    assert.ok(!JSON.stringify(rows).includes('sk-test-secret-9876'));
    assert.deepEqual(rows.find((r) => r.name === 'Model'), { name: 'Model', value: 'gpt-5.4', source: 'default' });
  });
  it('says when nothing is set and hides base URL passwords', () => {
    const rows = describeResolvedConfig({
      ...resolveConfig({ settings: { baseUrl: 'http://u:secretpw@h:1/v1' }, env: {} }),
    });
    assert.deepEqual(rows.find((r) => r.name === 'API key'), { name: 'API key', value: '(not set)', source: 'not set' });
    const base = rows.find((r) => r.name === 'Base URL');
    assert.ok(base && !base.value.includes('secretpw') && base.value.includes('u:***@h:1'));
  });
});
