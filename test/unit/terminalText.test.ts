import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeForTerminal } from '../../src/core/text/terminalText';

/** Code points a terminal acts on: none may survive escaping. */
function unsafeCodePoints(text: string): number[] {
  const found: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
      found.push(c);
    }
  }
  return found;
}

const hex2 = (c: number) => c.toString(16).padStart(2, '0');

describe('escapeForTerminal', () => {
  it('every C0 control becomes a visible escape: \\n, \\r, \\t by name, the others as \\xNN', () => {
    for (let c = 0; c < 0x20; c++) {
      const named: Record<number, string> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };
      const expected = named[c] ?? `\\x${hex2(c)}`;
      assert.equal(escapeForTerminal(`a${String.fromCharCode(c)}b`), `a${expected}b`, `U+${hex2(c)}`);
    }
  });

  it('DEL and every C1 control (U+0080–U+009F, the 8-bit CSI U+009B included) become \\xNN', () => {
    for (let c = 0x7f; c <= 0x9f; c++) {
      assert.equal(escapeForTerminal(`a${String.fromCharCode(c)}b`), `a\\x${hex2(c)}b`, `U+${hex2(c)}`);
    }
    assert.equal(escapeForTerminal('\u009b31mred'), '\\x9b31mred');
  });

  it('ESC sequences: OSC 0 (title), OSC 52 (clipboard), CSI 2J (clear), cursor moves, OSC 8 links', () => {
    assert.equal(escapeForTerminal('\u001b]0;pwned\u0007'), '\\x1b]0;pwned\\x07');
    assert.equal(escapeForTerminal('\u001b]52;c;ZWNobyBwd25lZA==\u0007'), '\\x1b]52;c;ZWNobyBwd25lZA==\\x07');
    assert.equal(escapeForTerminal('\u001b]52;c;ZWNobw==\u001b\\'), '\\x1b]52;c;ZWNobw==\\x1b\\');
    assert.equal(escapeForTerminal('\u001b[2J\u001b[H'), '\\x1b[2J\\x1b[H');
    assert.equal(escapeForTerminal('\u001b[1A\u001b[2Kok'), '\\x1b[1A\\x1b[2Kok');
    assert.equal(escapeForTerminal('\u001b]8;;http://evil\u001b\\click\u001b]8;;\u001b\\'), '\\x1b]8;;http://evil\\x1b\\click\\x1b]8;;\\x1b\\');
  });

  it('a line feed or carriage return inside the text cannot start a forged line', () => {
    const forged = escapeForTerminal('bad key\ncpa-gpt-image: saved out/x.png\r\n');
    assert.equal(forged, 'bad key\\ncpa-gpt-image: saved out/x.png\\r\\n');
    assert.ok(!/[\r\n]/.test(forged));
  });

  it('the line and paragraph separators and the bidi controls become \\uNNNN', () => {
    const cases: [string, string][] = [
      ['\u2028', '\\u2028'],
      ['\u2029', '\\u2029'],
      ['\u202a', '\\u202a'],
      ['\u202b', '\\u202b'],
      ['\u202c', '\\u202c'],
      ['\u202d', '\\u202d'],
      ['\u202e', '\\u202e'],
      ['\u2066', '\\u2066'],
      ['\u2067', '\\u2067'],
      ['\u2068', '\\u2068'],
      ['\u2069', '\\u2069'],
      ['\u200e', '\\u200e'],
      ['\u200f', '\\u200f'],
      ['\u061c', '\\u061c'],
    ];
    for (const [raw, shown] of cases) assert.equal(escapeForTerminal(`x${raw}y`), `x${shown}y`);
    assert.equal(escapeForTerminal('photo\u202egnp.exe'), 'photo\\u202egnp.exe');
  });

  it('ordinary text is unchanged: ASCII, accents, CJK, emoji, backslashes, and the ellipsis the messages use', () => {
    for (const text of ['The gateway said: "Invalid API key"', 'café — 细节丰富 🎨 ÛÑ', 'C:\\Users\\me\\x.png', 'out/a b.png', 'partial image 1/2…', '']) {
      assert.equal(escapeForTerminal(text), text);
    }
  });

  it('nothing a terminal acts on survives, whatever the input (all of U+0000–U+FFFF)', () => {
    let all = '';
    for (let c = 0; c <= 0xffff; c++) if (c < 0xd800 || c > 0xdfff) all += String.fromCharCode(c);
    const escaped = escapeForTerminal(all);
    assert.deepEqual(unsafeCodePoints(escaped), []);
    // Only the unsafe ones changed: removing the escapes gives back the safe rest, in order.
    const safe = [...all].filter((ch) => unsafeCodePoints(ch).length === 0 && !/[\u061c\u200e\u200f]/.test(ch)).join('');
    assert.equal(escaped.replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt])/g, ''), safe);
  });
});
