import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_TRANSFORM_REGEX_LENGTH,
  RegexBudget,
  firstMatchWithinBudget,
  replaceWithinBudget,
  unsafeRegexReason,
} from '../../src/core/files/boundedRegex';

describe('unsafeRegexReason (regular expressions from settings)', () => {
  const refused: [source: string, reason: RegExp][] = [
    ['^(a+)+$', /repeats a group that itself holds a quantifier/],
    ['(a*)*', /repeats a group that itself holds a quantifier/],
    ['(a+)*b', /holds a quantifier/],
    ['(?:\\w+\\s?)*$', /holds a quantifier/],
    ['(a?a?)+', /holds a quantifier/],
    ['(a{1,5})+', /holds a quantifier/],
    ['(a+){2,}', /holds a quantifier/],
    ['(a+){3}', /holds a quantifier/],
    ['((a+)b)+', /holds a quantifier/],
    ['(?=(a+))+', /holds a quantifier/],
    ['(a+?)+?', /holds a quantifier/],
    ['(a|a)*', /alternatives can match the same text/],
    ['(a|ab)+c', /alternatives can match the same text/],
    ['(|a)+', /alternatives can match the same text/],
    ['(\\w|a)*!', /alternatives can match the same text/],
    ['(.|\\n)*', /alternatives can match the same text/],
    ['((a|aa)b)+', /alternatives can match the same text/],
    ['(\\x61|a)+', /alternatives can match the same text/],
    ['(a)\\1', /backreference/],
    ['(?<x>a)\\k<x>', /backreference/],
    ['x'.repeat(MAX_TRANSFORM_REGEX_LENGTH + 1), new RegExp(`${MAX_TRANSFORM_REGEX_LENGTH + 1} characters long; at most ${MAX_TRANSFORM_REGEX_LENGTH}`)],
  ];
  for (const [source, reason] of refused) {
    it(`refuses /${source.length > 40 ? `${source.slice(0, 20)}…` : source}/`, () => {
      assert.doesNotThrow(() => new RegExp(source), 'the case is a valid regular expression');
      assert.match(unsafeRegexReason(source) ?? 'accepted', reason);
    });
  }

  const accepted = [
    // What people write in markdown.copyFiles.destination transforms.
    '\\/',
    '^(.*)$',
    '[^a-z0-9]+',
    '\\s+',
    '^(\\d{4})-(\\d{2})-(.*)$',
    '(.+)\\.md$',
    '^.*$',
    '(-|_)+',
    '(ab|cd)+',
    '(foo|bar)',
    '(a|a)',
    '(a+)?',
    '(a+){1}',
    '(?:ab)+',
    '[(a+)+]+',
    'a{2}(bc){3,}',
    '(\\.|-)+',
    '\\(a+\\)+',
    '\\0',
    '{a+}+',
    '(?<year>\\d{4})',
    'x'.repeat(MAX_TRANSFORM_REGEX_LENGTH),
  ];
  for (const source of accepted) {
    it(`accepts /${source.length > 40 ? `${source.slice(0, 20)}…` : source}/`, () => {
      assert.doesNotThrow(() => new RegExp(source));
      assert.equal(unsafeRegexReason(source), undefined);
    });
  }
});

describe('running within a time budget (node:vm timeout)', () => {
  it('replaces like String.prototype.replace when there is time', () => {
    // A generous budget: this checks the results, not the limit, on a machine that may be busy.
    const budget = new RegexBudget(60_000);
    assert.equal(replaceWithinBudget(budget, 'docs/guide', /\//, '-'), 'docs-guide');
    assert.equal(replaceWithinBudget(budget, '2026-01-02-notes', /^(\d{4})-(\d{2})-\d{2}-(.*)$/, '$3-$1$2'), 'notes-202601');
    assert.equal(replaceWithinBudget(budget, 'abc', /b/, '[$&]'), 'a[b]c');
  });

  it('counts only the time of the runs, and runs nothing once the budget is spent', () => {
    let now = 0;
    // Large numbers, so the real vm timeout (the time left, rounded up) never stops these instant runs on a busy machine.
    const budget = new RegexBudget(10_000, () => now);
    now = 1000; // time passing between runs (making the sandbox, other work) is not the regexes' doing
    const slowTest = new RegExp('x');
    slowTest[Symbol.replace] = () => {
      now += 6000;
      return 'ran';
    };
    assert.equal(replaceWithinBudget(budget, 'x', slowTest, 'y'), 'ran');
    assert.equal(budget.remainingMs(), 4000);
    assert.equal(replaceWithinBudget(budget, 'x', slowTest, 'y'), 'ran', 'a run that starts with time left finishes when it is quick enough for the real clock');
    assert.equal(budget.remainingMs(), 0);
    let ran = false;
    const spy = new RegExp('x');
    spy[Symbol.replace] = () => {
      ran = true;
      return 'ran';
    };
    assert.equal(replaceWithinBudget(budget, 'x', spy, 'y'), undefined);
    assert.equal(ran, false, 'nothing runs once the budget is spent');
    assert.deepEqual(firstMatchWithinBudget(budget, [/x/], 'x'), { timedOutAt: 0 });
    assert.equal(replaceWithinBudget(new RegexBudget(0), 'x', spy, 'y'), undefined);
    assert.equal(ran, false);
  });

  it('stops a polynomial pattern that no static rule refuses (\\w*\\w*\\w*\\w*! on 255 characters: minutes without the limit)', () => {
    const source = '\\w*\\w*\\w*\\w*!';
    assert.equal(unsafeRegexReason(source), undefined, 'the static rules let it through');
    const budget = new RegexBudget(100);
    assert.equal(replaceWithinBudget(budget, 'a'.repeat(255), new RegExp(source), 'x'), undefined);
    assert.equal(budget.remainingMs(), 0, 'it used the whole budget and no more was left');
    assert.equal(replaceWithinBudget(budget, 'a', /a/, 'b'), undefined, 'later transforms of the same pattern get no time');
    assert.equal(replaceWithinBudget(new RegexBudget(), 'a', /a/, 'b'), 'b', 'the sandbox still works after an interruption');
  });

  it('first match: the index of the first matching regex, -1 for none, or the one that was running out of time', () => {
    assert.deepEqual(firstMatchWithinBudget(new RegexBudget(), [/^b/, /a/, /a/], 'a'), { index: 1 });
    assert.deepEqual(firstMatchWithinBudget(new RegexBudget(), [/^b/, /c/], 'a'), { index: -1 });
    assert.deepEqual(firstMatchWithinBudget(new RegexBudget(), [], 'a'), { index: -1 });
    const slow = /^[^/]*a[^/]*a[^/]*a[^/]*a[^/]*a[^/]*a[^/]*b$/;
    assert.deepEqual(firstMatchWithinBudget(new RegexBudget(100), [slow, /a/], 'a'.repeat(60)), { timedOutAt: 0 });
    // Which one was running: a first test that is quick, then one that never ends. A budget of 1 s, so a busy
    // machine cannot stop the quick one; the endless one is stopped whatever the machine.
    const quick = { test: () => false } as unknown as RegExp;
    const endless = { test: () => { for (;;); } } as unknown as RegExp;
    assert.deepEqual(firstMatchWithinBudget(new RegexBudget(1000), [quick, endless, /a/], 'a'), { timedOutAt: 1 });
  });
});
