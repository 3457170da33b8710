/**
 * src/core/gateway/undiciSubset.ts requires undici's own files by path instead of its index. These tests pin that the
 * paths still are what the index exports (an undici update that moves them fails here, not at a user's first request),
 * that the subset alone gives an agent with the request API, and that it leaves out what the transport never uses.
 * Each check runs in a fresh Node process, so that nothing else has loaded undici's index before it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** Runs `code` (CommonJS, TypeScript through tsx) in a fresh Node process and returns what it printed as JSON. */
function inFreshProcess(code: string): unknown {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

const undiciFiles = "Object.keys(require.cache).filter((f) => f.includes('/node_modules/undici/')).map((f) => f.split('/node_modules/undici/')[1])";

describe('the undici subset (src/core/gateway/undiciSubset.ts)', () => {
  it('alone, gives an EnvHttpProxyAgent with every request method undici puts on its dispatchers', () => {
    const seen = inFreshProcess(`
      const { EnvHttpProxyAgent } = require('./src/core/gateway/undiciSubset.ts');
      const agent = new EnvHttpProxyAgent();
      const methods = ['request', 'stream', 'pipeline', 'connect', 'upgrade'].filter((m) => typeof agent[m] === 'function');
      const indexLoaded = ${undiciFiles}.includes('index.js');
      console.log(JSON.stringify({ methods, indexLoaded }));
    `);
    assert.deepEqual(seen, { methods: ['request', 'stream', 'pipeline', 'connect', 'upgrade'], indexLoaded: false });
  });

  it('is the very class and methods undici\'s index exports', () => {
    const seen = inFreshProcess(`
      const subset = require('./src/core/gateway/undiciSubset.ts');
      const undici = require('undici');
      console.log(JSON.stringify({
        sameAgent: subset.EnvHttpProxyAgent === undici.EnvHttpProxyAgent,
        sameRequest: new subset.EnvHttpProxyAgent().request === undici.Dispatcher.prototype.request,
      }));
    `);
    assert.deepEqual(seen, { sameAgent: true, sameRequest: true });
  });

  it('leaves out fetch, WebSocket, EventSource, the cache, the mocks and the interceptors', () => {
    const seen = inFreshProcess(`
      require('./src/core/gateway/undiciSubset.ts');
      const subset = ${undiciFiles};
      require('undici');
      const all = ${undiciFiles};
      console.log(JSON.stringify({ subset, all }));
    `) as { subset: string[]; all: string[] };
    for (const left of ['lib/web/fetch/index.js', 'lib/web/websocket/websocket.js', 'lib/web/eventsource/eventsource.js', 'lib/mock/mock-agent.js', 'lib/interceptor/cache.js']) {
      assert.ok(seen.all.includes(left), `undici's index loads ${left}`);
      assert.ok(!seen.subset.includes(left), `the subset does not load ${left}`);
    }
    assert.ok(seen.subset.length < seen.all.length / 2, `the subset loads ${seen.subset.length} of undici's ${seen.all.length} files`);
  });
});
