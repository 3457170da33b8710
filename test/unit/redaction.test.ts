import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redactForDisplay, redactSecrets, redactUrlCredentials, secretPrefixLength } from '../../src/core/text/redaction';
import { redactSecrets as redactSecretsFromErrors } from '../../src/core/errors';
import { redactingLogger } from '../../src/core/logger';
import type { Logger } from '../../src/core/types';

/** A key with the characters that percent-encoding and JSON escape differently: + / = " \ & and a space-free rest. */
const KEY = 'sk-Pa55+w/rd="q"\\Z&9';

function unicodeEscaped(text: string, upper = false): string {
  return text
    .split('')
    .map((c) => {
      const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
      return `\\u${upper ? hex.toUpperCase() : hex}`;
    })
    .join('');
}

function percentBytes(text: string, upper = false): string {
  return Array.from(Buffer.from(text, 'utf8'), (b) => {
    const hex = b.toString(16).padStart(2, '0');
    return `%${upper ? hex.toUpperCase() : hex}`;
  }).join('');
}

describe('redactSecrets: the key in every form it may come back in (issue 9, item 8)', () => {
  const forms: [string, string][] = [
    ['as is', KEY],
    ['upper case', KEY.toUpperCase()],
    ['lower case', KEY.toLowerCase()],
    ['encodeURIComponent', encodeURIComponent(KEY)],
    ['encodeURIComponent, lower-case hex', encodeURIComponent(KEY).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ['every byte percent-encoded', percentBytes(KEY)],
    ['every byte percent-encoded, upper-case hex', percentBytes(KEY, true)],
    ['JSON.stringify (\\" and \\\\)', JSON.stringify(KEY).slice(1, -1)],
    ['JSON with \\/ as well', JSON.stringify(KEY).slice(1, -1).replace(/\//g, '\\/')],
    ['every character \\uXXXX', unicodeEscaped(KEY)],
    ['every character \\uXXXX, upper-case hex', unicodeEscaped(KEY, true)],
    ['a mix: half escaped, half encoded, in another case', unicodeEscaped(KEY.slice(0, 6)) + encodeURIComponent(KEY.slice(6)).toUpperCase()],
  ];
  for (const [name, form] of forms) {
    it(`${name}: ${form}`, () => {
      const text = `before ${form} between ${form}${form} after`;
      const out = redactSecrets(text, [KEY]);
      assert.equal(out, 'before [REDACTED] between [REDACTED][REDACTED] after');
    });
  }

  it('every occurrence of every secret, not only the first', () => {
    const text = Array.from({ length: 50 }, (_, i) => (i % 2 ? `${KEY.toUpperCase()}` : `x-other-secret-${i}`)).join(' ');
    const out = redactSecrets(text, [KEY, 'x-other-secret']);
    assert.ok(!out.toLowerCase().includes('pa55'));
    assert.ok(!out.includes('x-other-secret'));
    assert.equal(out.split('[REDACTED]').length - 1, 50);
  });

  it('a key inside JSON text stays JSON after redaction, and parsing gives no key', () => {
    const raw = `{"error":{"message":"bad key ${unicodeEscaped(KEY)} and ${JSON.stringify(KEY).slice(1, -1)}"}}`;
    assert.equal(JSON.parse(raw).error.message, `bad key ${KEY} and ${KEY}`, 'the raw text really decodes to the key');
    const parsed = JSON.parse(redactSecrets(raw, [KEY]));
    assert.equal(parsed.error.message, 'bad key [REDACTED] and [REDACTED]');
  });

  it('leaves text without the key unchanged, ignores secrets shorter than 4 characters and undefined', () => {
    const text = 'sk-Pa55 is only a piece; %73k- too; \\u0073k';
    assert.equal(redactSecrets(text, [KEY, 'abc', undefined, '']), text);
  });

  it('is what errors.ts exports, so every caller gets the same rule', () => {
    assert.equal(redactSecretsFromErrors, redactSecrets);
  });

  it('stays linear on hostile text: near misses of 4 MiB cost about 4× those of 1 MiB in CPU time (quadratic would be 16×)', () => {
    const nearMisses = (bytes: number): string => `${KEY.slice(0, -1)}%`.repeat(Math.ceil(bytes / KEY.length));
    const cpu = (text: string): number => {
      const start = process.cpuUsage();
      for (let i = 0; i < 3; i++) redactSecrets(text, [KEY]);
      const used = process.cpuUsage(start);
      return used.user + used.system;
    };
    const small = nearMisses(1024 * 1024);
    const large = nearMisses(4 * 1024 * 1024);
    cpu(small);
    cpu(large);
    // The least of five: process CPU time also counts the garbage collector's threads, which other work on a busy
    // machine (or a parallel test file) can make collect at any moment; the cheapest run is the algorithm's own cost.
    // Linear is about 4×, quadratic 16×: 10 tells them apart with room for noise (8.6× was seen under load).
    const least = (text: string): number => Math.min(...Array.from({ length: 5 }, () => cpu(text)));
    const ratio = least(large) / Math.max(1, least(small));
    assert.ok(ratio < 10, `4 MiB cost ${ratio.toFixed(2)}× 1 MiB`);
  });
});

describe('secretPrefixLength: what a streaming redactor holds back', () => {
  it('an ending that begins the key, in any case or percent-encoded, is held; other endings are not', () => {
    assert.equal(secretPrefixLength('hello sk-Pa', [KEY]), 5);
    assert.equal(secretPrefixLength('hello SK-PA', [KEY]), 5);
    assert.equal(secretPrefixLength(`hello ${encodeURIComponent(KEY).slice(0, 10)}`, [KEY]), 10);
    assert.equal(secretPrefixLength('hello world', [KEY]), 0);
    assert.equal(secretPrefixLength('hello s', [KEY, undefined]), 1);
    assert.equal(secretPrefixLength('anything', []), 0);
  });
});

describe('redactUrlCredentials: user:***@ instead of the password', () => {
  const cases: [string, string, string][] = [
    ['a base URL', 'http://user:pass@host:8317/v1', 'http://user:***@host:8317/v1'],
    ['inside a log line, twice', 'POST https://u:s3cr%40t@gw.example/v1/responses → 200; again https://u:s3cr%40t@gw.example/', 'POST https://u:***@gw.example/v1/responses → 200; again https://u:***@gw.example/'],
    ['a password with @ and : (the last @ ends the user info)', 'http://user:p@ss:w@host/x', 'http://user:***@host/x'],
    ['upper-case scheme', 'HTTP://User:Pw@Host/', 'HTTP://User:***@Host/'],
    ['no password: unchanged', 'http://user@host/v1', 'http://user@host/v1'],
    ['an empty password: unchanged', 'http://user:@host/v1', 'http://user:@host/v1'],
    ['a port is not a password', 'http://127.0.0.1:8317/v1 and mail@example.com', 'http://127.0.0.1:8317/v1 and mail@example.com'],
    ['no URL', 'user:pass@host', 'user:pass@host'],
    ['a proxy URL', 'proxy http://me:hunter2@proxy:3128 failed', 'proxy http://me:***@proxy:3128 failed'],
    ['a password ending at the text', 'x http://a:b@', 'x http://a:***@'],
    ['a path after the authority with @ in it is not user info', 'http://host/a:b@c', 'http://host/a:b@c'],
    ['one URL with, one without', 'http://h/x https://u:p@h2/', 'http://h/x https://u:***@h2/'],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.equal(redactUrlCredentials(input), expected));

  it('linear on hostile text: 40 KB of "a.a.a." or "a://a://" or ":@:@" takes CPU time in proportion, 4× the text ≈ 4× the time', () => {
    const cpu = (text: string): number => {
      const start = process.cpuUsage();
      for (let i = 0; i < 5; i++) redactUrlCredentials(text);
      const used = process.cpuUsage(start);
      return used.user + used.system;
    };
    for (const unit of ['a.', 'a://', 'x://u:', 'http://:@', ':@']) {
      const small = unit.repeat(Math.ceil(40_000 / unit.length));
      const large = unit.repeat(Math.ceil(160_000 / unit.length));
      cpu(small);
      cpu(large);
      const median = (text: string): number => [cpu(text), cpu(text), cpu(text)].sort((a, b) => a - b)[1]!;
      const ratio = median(large) / Math.max(50, median(small));
      assert.ok(ratio < 10, `"${unit}": 4× the text cost ${ratio.toFixed(1)}× (quadratic would be 16×)`);
    }
  });

  it('redactForDisplay does both', () => {
    assert.equal(redactForDisplay(`GET http://a:pw@h/v1 key=${encodeURIComponent(KEY)}`, [KEY]), 'GET http://a:***@h/v1 key=[REDACTED]');
  });

  it('the redacting logger applies both to every line', () => {
    const lines: string[] = [];
    const inner: Logger = { trace: (m) => lines.push(m), debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const log = redactingLogger(inner, () => [KEY]);
    log.info(`POST http://user:topsecret@host/v1/responses with ${KEY.toUpperCase()}`);
    log.error(`echo ${unicodeEscaped(KEY)}`);
    assert.deepEqual(lines, ['POST http://user:***@host/v1/responses with [REDACTED]', 'echo [REDACTED]']);
  });
});
