import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatElapsed, formatSeconds, hostOf, promptExcerpt, promptFromSelection } from '../../src/vscode/ui/format';

describe('formatElapsed', () => {
  const table: [number, string][] = [
    [0, '0:00'],
    [999, '0:00'],
    [12_400, '0:12'],
    [65_000, '1:05'],
    [3_720_000, '62:00'],
    [-5, '0:00'],
  ];
  for (const [ms, expected] of table) it(`${ms} ms → ${expected}`, () => assert.equal(formatElapsed(ms), expected));
});

describe('formatSeconds', () => {
  const table: [number, string][] = [
    [1200, '1.2'],
    [11_054, '11.1'],
    [0, '0.0'],
    [-300, '0.0'],
  ];
  for (const [ms, expected] of table) it(`${ms} ms → ${expected}`, () => assert.equal(formatSeconds(ms), expected));
});

describe('promptExcerpt', () => {
  it('keeps a short prompt and joins its lines', () => assert.equal(promptExcerpt('a  cat\n in a hat'), 'a cat in a hat'));
  it('cuts a long prompt with an ellipsis within the limit', () => {
    const out = promptExcerpt('x'.repeat(100), 40);
    assert.equal(Array.from(out).length, 40);
    assert.ok(out.endsWith('…'));
  });
  it('never splits a surrogate pair', () => {
    const out = promptExcerpt('🦊'.repeat(50), 10);
    assert.equal(out, `${'🦊'.repeat(9)}…`);
  });
});

describe('hostOf', () => {
  it('drops scheme, credentials and path', () => assert.equal(hostOf('http://user:pw@gw.lan:8317/v1'), 'gw.lan:8317'));
  it('returns what is not a URL unchanged', () => assert.equal(hostOf('not a url'), 'not a url'));
});

describe('promptFromSelection', () => {
  it('joins a multi-line selection into one line for the input box', () => {
    assert.equal(promptFromSelection('  a fox\r\n  in the rain \n'), 'a fox in the rain');
  });
});
