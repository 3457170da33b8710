/**
 * The part of undici the transport uses: `EnvHttpProxyAgent`, with the request API on every dispatcher. Requiring
 * undici's index also evaluates fetch, WebSocket, EventSource, the HTTP cache, the mocks and every interceptor, which
 * the transport never uses: on the first request that took 50 ms of the extension host's event loop (the one stall over
 * the 50 ms goal in BENCHMARKS.md's fill benchmark), and this subset 20 ms.
 *
 * These are undici's own files, required by path: the `~7.30` range in package.json keeps their layout, and
 * test/unit/undiciSubset.test.ts checks that they are the very classes and methods undici's index exports. The
 * bundles make the transport's import of this file a require of dist/undici.js (esbuild.mjs), built from it.
 */
import type * as Undici from 'undici';

/* eslint-disable @typescript-eslint/no-require-imports -- undici's files by path, not its index (see above) */
const DispatcherClass = require('undici/lib/dispatcher/dispatcher') as { prototype: object };
const requestApi = require('undici/lib/api') as Record<string, unknown>;
export const EnvHttpProxyAgent = require('undici/lib/dispatcher/env-http-proxy-agent') as typeof Undici.EnvHttpProxyAgent;
/* eslint-enable @typescript-eslint/no-require-imports */

// What undici's index does so that every dispatcher has request(), stream(), pipeline(), connect() and upgrade().
Object.assign(DispatcherClass.prototype, requestApi);
