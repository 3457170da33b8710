/**
 * Redaction of the API key (issue 10, planted bug: only the first occurrence replaced). A gateway that quotes the
 * key twice — in its message and again in a field, or twice in one sentence — must not get the second copy through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactSecrets } from '../../src/core/errors';
import { redactingLogger } from '../../src/core/logger';
import type { Logger } from '../../src/core/types';

const KEY = 'sk-unit-CANARY-5678';

describe('redactSecrets replaces every occurrence of every secret', () => {
  const cases: { name: string; text: string; expected: string }[] = [
    { name: 'twice in one sentence', text: `Incorrect API key provided: ${KEY}. You sent ${KEY}.`, expected: 'Incorrect API key provided: [REDACTED]. You sent [REDACTED].' },
    { name: 'three times, back to back', text: `${KEY}${KEY}${KEY}`, expected: '[REDACTED][REDACTED][REDACTED]' },
    { name: 'on separate lines of a JSON body', text: `{"message":"bad key ${KEY}",\n"param":"${KEY}"}`, expected: '{"message":"bad key [REDACTED]",\n"param":"[REDACTED]"}' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = redactSecrets(c.text, [KEY]);
      assert.equal(out, c.expected);
      assert.ok(!out.includes(KEY));
    });
  }

  it('two different secrets, each twice', () => {
    const other = 'proxy-password-9';
    const out = redactSecrets(`${KEY} ${other} ${KEY} ${other}`, [KEY, other]);
    assert.equal(out, '[REDACTED] [REDACTED] [REDACTED] [REDACTED]');
  });

  it('the redacting logger hides every copy in a line', () => {
    const lines: string[] = [];
    const inner: Logger = { trace: (m) => lines.push(m), debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const logger = redactingLogger(inner, () => [KEY]);
    logger.error(`401: Incorrect API key provided: ${KEY}; param=${KEY}`);
    logger.debug(`${KEY}${KEY}`);
    assert.deepEqual(lines, ['401: Incorrect API key provided: [REDACTED]; param=[REDACTED]', '[REDACTED][REDACTED]']);
  });
});
