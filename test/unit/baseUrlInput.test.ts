import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkBaseUrlInput } from '../../src/core/config/baseUrlInput';
import type { BaseUrlCheck } from '../../src/core/config/baseUrlInput';

describe('checkBaseUrlInput (the Set Up Gateway… box, checked as it is typed)', () => {
  const cases: [string, BaseUrlCheck][] = [
    ['http://127.0.0.1:8317/v1', { kind: 'ok', url: 'http://127.0.0.1:8317/v1' }],
    ['  https://gateway.example.com  ', { kind: 'ok', url: 'https://gateway.example.com' }],
    ['HTTP://Example.com:443/v1/', { kind: 'ok', url: 'HTTP://Example.com:443/v1/' }],
    ['http://[::1]:8317', { kind: 'ok', url: 'http://[::1]:8317' }],
    ['http://user:pa:ss@host:8080/v1', { kind: 'ok', url: 'http://user:pa:ss@host:8080/v1' }],
    // The scheme missing: offered with http:// instead of refused.
    ['127.0.0.1:8317/v1', { kind: 'noScheme', url: 'http://127.0.0.1:8317/v1' }],
    ['localhost:8317', { kind: 'noScheme', url: 'http://localhost:8317' }],
    ['localhost', { kind: 'noScheme', url: 'http://localhost' }],
    ['gateway.example.com/v1', { kind: 'noScheme', url: 'http://gateway.example.com/v1' }],
    ['//gateway:80', { kind: 'noScheme', url: 'http://gateway:80' }],
    // Refused, with the reason.
    ['', { kind: 'empty' }],
    ['   ', { kind: 'empty' }],
    ['http://gate way', { kind: 'spaces' }],
    ['ftp://example.com', { kind: 'badScheme', scheme: 'ftp' }],
    ['ws://127.0.0.1:8317', { kind: 'badScheme', scheme: 'ws' }],
    ['mailto:someone', { kind: 'badScheme', scheme: 'mailto' }],
    ['file:///etc/passwd', { kind: 'badScheme', scheme: 'file' }],
    ['http://', { kind: 'noHost' }],
    ['http:///v1', { kind: 'noHost' }],
    ['https://:8317', { kind: 'noHost' }],
    ['http://user@:8317', { kind: 'noHost' }],
    ['http://127.0.0.1:99999', { kind: 'badPort', port: '99999' }],
    ['http://127.0.0.1:0', { kind: 'badPort', port: '0' }],
    ['http://127.0.0.1:83a7/v1', { kind: 'badPort', port: '83a7' }],
    ['127.0.0.1:70000', { kind: 'badPort', port: '70000' }],
    ['http:/127.0.0.1:8317', { kind: 'invalid' }],
    ['http://exa<mple.com', { kind: 'invalid' }],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected.kind}`, () => assert.deepEqual(checkBaseUrlInput(text), expected));
  }

  it('every URL it accepts parses as an http(s) URL with a host (what the client needs)', () => {
    for (const [text] of cases) {
      const check = checkBaseUrlInput(text);
      if (check.kind !== 'ok' && check.kind !== 'noScheme') continue;
      const url = new URL(check.url);
      assert.ok(url.protocol === 'http:' || url.protocol === 'https:', text);
      assert.ok(url.hostname !== '', text);
    }
  });
});
