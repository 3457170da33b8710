/**
 * The extension loads its gateway client from dist/gateway.js on first use, and that file carries its own copy of
 * src/core/errors.ts. Errors from that copy must still be GatewayErrors to the extension (the error messages, the
 * cancellation checks and the retry policy all ask `instanceof GatewayError`): two separately bundled copies of the
 * module, loaded side by side, recognise each other's errors — and nothing else.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeTempFolder } from '../support/removeInside';

type ErrorsModule = typeof import('../../src/core/errors');

describe('GatewayError across bundled copies (dist/extension.js and dist/gateway.js)', () => {
  it('an error made by one copy is an instance of the other copy\'s class; other errors are not', async () => {
    const { build } = await import('esbuild');
    const root = resolve(import.meta.dirname, '../..');
    const dir = mkdtempSync(join(tmpdir(), 'cpa-error-copies-'));
    try {
      const copies: ErrorsModule[] = [];
      for (const name of ['a', 'b']) {
        const outfile = join(dir, `${name}.cjs`);
        await build({ entryPoints: [join(root, 'src/core/errors.ts')], bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'silent' });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        copies.push(require(outfile) as ErrorsModule);
      }
      const [a, b] = copies as [ErrorsModule, ErrorsModule];
      assert.notEqual(a.GatewayError, b.GatewayError, 'two copies of the class');
      const fromB = new b.GatewayError('timeout', 'No answer within 5 s.');
      assert.ok(fromB instanceof a.GatewayError);
      assert.ok(a.isGatewayError(fromB));
      assert.ok(a.isCancellation(b.cancelledError()), 'a cancellation from the other copy is a cancellation');
      assert.ok(!a.isCancellation(fromB));
      assert.ok(fromB instanceof Error);
      assert.equal(fromB.kind, 'timeout');
      assert.ok(!(new Error('plain') instanceof a.GatewayError), 'a plain Error is not one');
      assert.ok(!(Object.assign(new Error('look-alike'), { name: 'GatewayError', kind: 'timeout' }) instanceof a.GatewayError), 'nor a look-alike');
      assert.ok(!a.isGatewayError(null) && !a.isGatewayError('text'));
      assert.deepEqual(Object.getOwnPropertySymbols(fromB), [], 'the mark is on the prototype, not on each error');
    } finally {
      await removeTempFolder(dir);
    }
  });
});
