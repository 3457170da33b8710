import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { loadOpenClaw } from '../../src/core/config/openclaw';
import { removeTempFolder } from '../support/removeInside';

let root: string;
let caseNo = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cpa-openclaw-'));
});
after(async () => {
  await removeTempFolder(root);
});

/** A fresh home directory with the given files (relative path → content). */
async function home(files: Record<string, string>): Promise<string> {
  const dir = path.join(root, `home-${++caseNo}`);
  await mkdir(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return dir;
}

const modelsJson = (provider: Record<string, unknown>): string => JSON.stringify({ providers: { otcbot: provider } }, null, 2);
const MAIN = '.openclaw/agents/main/agent/models.json';
const CONFIG = '.openclaw/openclaw.json';

describe('loadOpenClaw: models.json', () => {
  it('reads baseUrl and a literal apiKey from agent main', async () => {
    const h = await home({ [MAIN]: modelsJson({ baseUrl: 'http://gw:8317/v1', apiKey: 'sk-literal-1234', api: 'openai-responses' }) });
    const file = path.join(h, MAIN);
    assert.deepEqual(await loadOpenClaw({}, h), {
      baseUrl: { value: 'http://gw:8317/v1', source: `OpenClaw ${file}` },
      apiKey: { value: 'sk-literal-1234', source: `OpenClaw ${file}` },
    });
  });

  it('prefers agent main over other agents, then takes the others in name order', async () => {
    const h = await home({
      '.openclaw/agents/zeta/agent/models.json': modelsJson({ baseUrl: 'http://zeta', apiKey: 'k-zeta-000' }),
      '.openclaw/agents/alpha/agent/models.json': modelsJson({ baseUrl: 'http://alpha', apiKey: 'k-alpha-000' }),
      [MAIN]: modelsJson({ baseUrl: 'http://main' }),
    });
    const info = await loadOpenClaw({}, h);
    assert.equal(info.baseUrl?.value, 'http://main');
    // main has no key, so the next agent by name supplies it.
    assert.equal(info.apiKey?.value, 'k-alpha-000');
    assert.equal(info.apiKey?.source, `OpenClaw ${path.join(h, '.openclaw/agents/alpha/agent/models.json')}`);
  });

  it('OPENCLAW_AGENT_DIR comes before main; PI_CODING_AGENT_DIR is the alternative name', async () => {
    const h = await home({
      [MAIN]: modelsJson({ baseUrl: 'http://main', apiKey: 'k-main-0000' }),
      'elsewhere/models.json': modelsJson({ baseUrl: 'http://override', apiKey: 'k-override' }),
    });
    const dir = path.join(h, 'elsewhere');
    assert.equal((await loadOpenClaw({ OPENCLAW_AGENT_DIR: dir }, h)).baseUrl?.value, 'http://override');
    assert.equal((await loadOpenClaw({ PI_CODING_AGENT_DIR: dir }, h)).apiKey?.value, 'k-override');
    assert.equal((await loadOpenClaw({ OPENCLAW_AGENT_DIR: '  ' }, h)).baseUrl?.value, 'http://main');
  });

  it('OPENCLAW_STATE_DIR and OPENCLAW_HOME move the state directory', async () => {
    const h = await home({
      'custom-state/agents/main/agent/models.json': modelsJson({ baseUrl: 'http://state-dir' }),
      'other-home/.openclaw/agents/main/agent/models.json': modelsJson({ baseUrl: 'http://other-home' }),
      [MAIN]: modelsJson({ baseUrl: 'http://default-home' }),
    });
    assert.equal((await loadOpenClaw({}, h)).baseUrl?.value, 'http://default-home');
    assert.equal((await loadOpenClaw({ OPENCLAW_STATE_DIR: path.join(h, 'custom-state') }, h)).baseUrl?.value, 'http://state-dir');
    assert.equal((await loadOpenClaw({ OPENCLAW_HOME: path.join(h, 'other-home') }, h)).baseUrl?.value, 'http://other-home');
    assert.equal((await loadOpenClaw({ OPENCLAW_STATE_DIR: '~/custom-state' }, h)).baseUrl?.value, 'http://state-dir');
  });
});

describe('loadOpenClaw: apiKey forms', () => {
  const env = { OTCBOT_SECRET: 'from-env-otcbot', OTHER_SECRET: 'from-env-other' };
  const cases: { name: string; apiKey: unknown; value: string | undefined; envName?: string }[] = [
    { name: 'literal key', apiKey: 'sk-abc-literal', value: 'sk-abc-literal' },
    { name: 'env var NAME (how OpenClaw persists env SecretRefs)', apiKey: 'OTCBOT_SECRET', value: 'from-env-otcbot', envName: 'OTCBOT_SECRET' },
    { name: 'env var NAME that is unset is absent', apiKey: 'UNSET_VARIABLE', value: undefined },
    { name: '${NAME}', apiKey: '${OTHER_SECRET}', value: 'from-env-other', envName: 'OTHER_SECRET' },
    { name: '${NAME} unset is absent', apiKey: '${NOPE}', value: undefined },
    { name: 'secretref-managed marker is absent', apiKey: 'secretref-managed', value: undefined },
    { name: 'secretref-env:NAME', apiKey: 'secretref-env:OTCBOT_SECRET', value: 'from-env-otcbot', envName: 'OTCBOT_SECRET' },
    { name: 'SecretRef object with env source', apiKey: { source: 'env', provider: 'default', id: 'OTHER_SECRET' }, value: 'from-env-other', envName: 'OTHER_SECRET' },
    { name: 'SecretRef object with file source is absent', apiKey: { source: 'file', provider: 'default', id: '/run/secret' }, value: undefined },
    { name: 'SecretRef object with exec source is absent', apiKey: { source: 'exec', id: 'pass show x' }, value: undefined },
    { name: 'blank is absent', apiKey: '   ', value: undefined },
    { name: 'a number is absent', apiKey: 42, value: undefined },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const h = await home({ [MAIN]: modelsJson({ baseUrl: 'http://gw', apiKey: c.apiKey }) });
      const info = await loadOpenClaw(env, h);
      if (c.value === undefined) {
        assert.equal(info.apiKey, undefined);
      } else {
        const file = path.join(h, MAIN);
        assert.deepEqual(info.apiKey, {
          value: c.value,
          source: c.envName ? `OpenClaw ${file} (environment ${c.envName})` : `OpenClaw ${file}`,
        });
      }
    });
  }
});

describe('loadOpenClaw: openclaw.json (JSON5)', () => {
  const json5 = `// OpenClaw configuration
{
  models: {
    providers: {
      otcbot: {
        baseUrl: 'http://from-config:8317/v1', // trailing comment
        apiKey: { source: 'env', provider: 'default', id: 'CFG_KEY' },
      },
    },
  },
  agents: {
    defaults: {
      model: { primary: 'otcbot/gpt-5.4-mini', fallbacks: [] },
    },
  },
}`;

  it('reads models.providers.otcbot and the default model from a JSON5 file', async () => {
    const h = await home({ [CONFIG]: json5 });
    const file = path.join(h, CONFIG);
    assert.deepEqual(await loadOpenClaw({ CFG_KEY: 'cfg-key-value' }, h), {
      baseUrl: { value: 'http://from-config:8317/v1', source: `OpenClaw ${file}` },
      apiKey: { value: 'cfg-key-value', source: `OpenClaw ${file} (environment CFG_KEY)` },
      defaultModel: { value: 'otcbot/gpt-5.4-mini', source: `OpenClaw ${file} (agents.defaults.model)` },
    });
  });

  it('models.json wins per value; openclaw.json fills what models.json lacks', async () => {
    const h = await home({
      [MAIN]: modelsJson({ baseUrl: 'http://from-models', apiKey: 'secretref-managed' }),
      [CONFIG]: json5,
    });
    const info = await loadOpenClaw({ CFG_KEY: 'cfg-key-value' }, h);
    assert.equal(info.baseUrl?.value, 'http://from-models');
    assert.equal(info.apiKey?.value, 'cfg-key-value');
  });

  it('OPENCLAW_CONFIG_PATH points at another file', async () => {
    const h = await home({ 'conf/my.json5': json5, [CONFIG]: '{ models: { providers: { otcbot: { baseUrl: "http://default-path" } } } }' });
    const info = await loadOpenClaw({ OPENCLAW_CONFIG_PATH: path.join(h, 'conf/my.json5') }, h);
    assert.equal(info.baseUrl?.value, 'http://from-config:8317/v1');
  });

  it('expands ${NAME} inside a base URL, and drops it when the variable is unset', async () => {
    const h = await home({ [CONFIG]: '{ models: { providers: { otcbot: { baseUrl: "http://${GW_HOST}:8317/v1" } } } }' });
    assert.equal((await loadOpenClaw({ GW_HOST: '10.0.0.5' }, h)).baseUrl?.value, 'http://10.0.0.5:8317/v1');
    assert.equal((await loadOpenClaw({}, h)).baseUrl, undefined);
  });

  const models: { name: string; defaults: string; value: string | undefined; key?: string }[] = [
    { name: 'imageGenerationModel.primary first', defaults: "{ imageGenerationModel: { primary: 'otcbot/gpt-5.4' }, model: { primary: 'otcbot/gpt-5.2' } }", value: 'otcbot/gpt-5.4', key: 'imageGenerationModel' },
    { name: 'an image model there does not hide a usable model.primary', defaults: "{ imageGenerationModel: { primary: 'otcbot/gpt-image-2' }, model: { primary: 'otcbot/gpt-5.2' } }", value: 'otcbot/gpt-5.2', key: 'model' },
    { name: 'model as a plain string', defaults: "{ model: 'otcbot/gpt-5.4' }", value: 'otcbot/gpt-5.4', key: 'model' },
    { name: 'another provider is still reported (config.ts skips it)', defaults: "{ model: { primary: 'anthropic/claude' } }", value: 'anthropic/claude', key: 'model' },
    { name: 'no model', defaults: '{}', value: undefined },
  ];
  for (const c of models) {
    it(`default model: ${c.name}`, async () => {
      const h = await home({ [CONFIG]: `{ agents: { defaults: ${c.defaults} } }` });
      const info = await loadOpenClaw({}, h);
      if (c.value === undefined) assert.equal(info.defaultModel, undefined);
      else assert.deepEqual(info.defaultModel, { value: c.value, source: `OpenClaw ${path.join(h, CONFIG)} (agents.defaults.${c.key})` });
    });
  }
});

describe('loadOpenClaw: files that are not sources', () => {
  it('no OpenClaw at all', async () => {
    assert.deepEqual(await loadOpenClaw({}, await home({})), {});
  });

  it('broken JSON, wrong shapes and empty values are ignored, never thrown', async () => {
    const h = await home({
      [MAIN]: '{ "providers": { "otcbot": ',
      '.openclaw/agents/b/agent/models.json': '[1, 2, 3]',
      '.openclaw/agents/c/agent/models.json': '{"providers": {"otcbot": "not an object"}}',
      '.openclaw/agents/d/agent/models.json': '{"providers": {"other": {"baseUrl": "http://other"}}}',
      '.openclaw/agents/e/agent/models.json': '{"providers": {"otcbot": {"baseUrl": "  ", "apiKey": ""}}}',
      [CONFIG]: 'not json5 at all {{{',
    });
    assert.deepEqual(await loadOpenClaw({}, h), {});
  });

  it('skips a file larger than 1 MiB', async () => {
    const big = JSON.stringify({ providers: { otcbot: { baseUrl: 'http://big' } }, padding: 'x'.repeat(1024 * 1024) });
    const h = await home({ [MAIN]: big });
    assert.deepEqual(await loadOpenClaw({}, h), {});
  });

  it('a directory where a file should be is ignored', async () => {
    const h = await home({});
    await mkdir(path.join(h, MAIN), { recursive: true });
    await mkdir(path.join(h, CONFIG), { recursive: true });
    assert.deepEqual(await loadOpenClaw({}, h), {});
  });

  it('an unreadable file is ignored', { skip: process.getuid?.() === 0 ? 'root can read any file' : false }, async () => {
    const h = await home({ [MAIN]: modelsJson({ baseUrl: 'http://secret' }) });
    await chmod(path.join(h, MAIN), 0o000);
    try {
      assert.deepEqual(await loadOpenClaw({}, h), {});
    } finally {
      await chmod(path.join(h, MAIN), 0o600);
    }
  });

  it('a FIFO where a file should be neither hangs nor counts', { skip: process.platform === 'win32' ? 'no mkfifo' : false }, async () => {
    const h = await home({});
    await mkdir(path.dirname(path.join(h, MAIN)), { recursive: true });
    execFileSync('mkfifo', [path.join(h, MAIN)]);
    assert.deepEqual(await loadOpenClaw({}, h), {});
  });

  it('accepts a UTF-8 byte order mark', async () => {
    const h = await home({ [MAIN]: `\uFEFF${modelsJson({ baseUrl: 'http://bom' })}` });
    assert.equal((await loadOpenClaw({}, h)).baseUrl?.value, 'http://bom');
  });
});
