/**
 * Regular expressions written by a workspace (`markdown.copyFiles.destination` globs and its
 * `${name/regex/replacement/}` transforms) run on the extension host's only thread: one catastrophic pattern
 * such as `/^(a+)+$/` on a 28-character name blocks every extension for seconds, on a longer name for ever.
 * Two defences, because neither is enough alone:
 *
 * - `unsafeRegexReason` refuses, before anything runs, the shapes that backtrack exponentially (a repeated
 *   group that holds a quantifier or alternatives that can match the same text, backreferences) and
 *   over-long patterns, with a reason the user can act on;
 * - `replaceWithinBudget` and `firstMatchWithinBudget` run what is left with a wall-clock limit (node:vm's
 *   `timeout` interrupts V8's regular-expression engine), so also the polynomial shapes no static rule
 *   catches without refusing ordinary patterns (`\w*\w*\w*!` on 255 characters takes seconds) cost at most
 *   `REGEX_TIME_LIMIT_MS` for all of one destination.
 *
 * Why no library: `safe-regex2` (the maintained one) answers only yes/no, so the message could not say which
 * rule refused; it counts `{2}` as a star, misses `(a|a)*` and backreferences, and parses with `ret`, not
 * ECMAScript's grammar. A static rule also cannot bound the polynomial cases, which the time limit does.
 */
import * as vm from 'node:vm';

/** Wall-clock time all the regular expressions of one destination may take together. */
export const REGEX_TIME_LIMIT_MS = 100;
/** A transform's regular expression longer than this is refused; real ones are a few characters. */
export const MAX_TRANSFORM_REGEX_LENGTH = 200;
/** A variable value longer than this is not transformed (paths are at most a few hundred characters). */
export const MAX_TRANSFORM_INPUT_LENGTH = 1024;

/** What one group (or the whole pattern) holds, as far as backtracking is concerned. */
interface Frame {
  /** The text of each alternative while it is plain literal characters; null once it holds anything else. */
  branches: (string | null)[];
  /** Some quantifier (`?` included) somewhere inside. */
  hasQuantifier: boolean;
  /** Some alternation inside whose branches are not distinct literal strings none of which starts another. */
  ambiguous: boolean;
}

type Atom = { kind: 'group'; hasQuantifier: boolean; ambiguous: boolean } | { kind: 'other' } | { kind: 'none' };

const quantifierBraces = /^\{(\d+)(?:(,)(\d*))?\}/;

function isAmbiguous(branches: readonly (string | null)[]): boolean {
  if (branches.length < 2) return false;
  if (branches.some((b) => b === null)) return true;
  const literals = branches as string[];
  // Two branches where one starts the other (`a|ab`, `a|a`, or an empty branch) can split the same text in two ways.
  return literals.some((a, i) => literals.some((b, j) => i !== j && b.startsWith(a)));
}

/**
 * Why `source` (a regular expression compiled as VS Code does, `new RegExp(source)` without flags) could
 * backtrack exponentially, or undefined when none of the rules applies. Call it on a pattern that compiles.
 *
 * Rules, each conservative: a group repeated more than once (`*`, `+`, `{n,}`, `{n,m}` with m > 1) may hold no
 * quantifier at all (`(a+)+`, `(a*)*`, `(a?a?)+`) and no alternation unless its branches are distinct literal
 * strings of which none starts another (`(a|b)+` is fine, `(a|a)*`, `(a|ab)*`, `(\w|a)*` are not); and no
 * backreference (`\1`, `\k<name>`), which makes matching NP-hard.
 */
export function unsafeRegexReason(source: string): string | undefined {
  if (source.length > MAX_TRANSFORM_REGEX_LENGTH) {
    return `is ${source.length} characters long; at most ${MAX_TRANSFORM_REGEX_LENGTH} are allowed`;
  }
  const stack: Frame[] = [{ branches: [''], hasQuantifier: false, ambiguous: false }];
  const top = (): Frame => stack[stack.length - 1] as Frame;
  const plain = (text: string): void => {
    const frame = top();
    const last = frame.branches.length - 1;
    const branch = frame.branches[last];
    frame.branches[last] = branch === null || branch === undefined ? null : branch + text;
  };
  const opaque = (): void => {
    const frame = top();
    frame.branches[frame.branches.length - 1] = null;
  };
  let previous: Atom = { kind: 'none' };

  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<')) {
        return 'uses a backreference (\\1, \\k<name>), which can take exponential time';
      }
      // `\.` `\-` `\/` stand for themselves; `\d`, `\x41`, `\n`, … are not compared as literals.
      if (/[^A-Za-z0-9]/.test(next)) plain(next);
      else opaque();
      previous = { kind: 'other' };
      i++;
      continue;
    }
    if (c === '[') {
      // A class ends at the first `]` that is not escaped and not its first member.
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      opaque();
      previous = { kind: 'other' };
      i = j;
      continue;
    }
    if (c === '(') {
      stack.push({ branches: [''], hasQuantifier: false, ambiguous: false });
      previous = { kind: 'none' };
      // `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`: the `?` is part of the group, not a quantifier.
      const prefix = /^\?(?::|=|!|<=|<!|<[^>]*>)/.exec(source.slice(i + 1, i + 1 + MAX_TRANSFORM_REGEX_LENGTH));
      if (prefix) i += prefix[0].length;
      continue;
    }
    if (c === ')' && stack.length > 1) {
      const group = stack.pop() as Frame;
      const ambiguous = group.ambiguous || isAmbiguous(group.branches);
      const parent = top();
      parent.hasQuantifier ||= group.hasQuantifier;
      parent.ambiguous ||= ambiguous;
      opaque();
      previous = { kind: 'group', hasQuantifier: group.hasQuantifier, ambiguous };
      continue;
    }
    if (c === '|') {
      top().branches.push('');
      previous = { kind: 'none' };
      continue;
    }
    let max: number | undefined;
    let length = 1;
    if (c === '*' || c === '+') max = Infinity;
    else if (c === '?') max = 1;
    else if (c === '{') {
      const braces = quantifierBraces.exec(source.slice(i));
      if (braces) {
        max = braces[2] === undefined ? Number(braces[1]) : braces[3] === '' ? Infinity : Number(braces[3]);
        length = braces[0].length;
      }
    }
    if (max === undefined) {
      if (c === '.' || c === '^' || c === '$') opaque();
      else plain(c);
      previous = { kind: 'other' };
      continue;
    }
    top().hasQuantifier = true;
    opaque();
    if (max > 1 && previous.kind === 'group') {
      if (previous.hasQuantifier) {
        return 'repeats a group that itself holds a quantifier, like (a+)+ or (a*)*, which can take exponential time';
      }
      if (previous.ambiguous) {
        return 'repeats a group whose alternatives can match the same text, like (a|a)* or (a|ab)+, which can take exponential time';
      }
    }
    i += length - 1;
    // A lazy `?` after the quantifier changes the order of tries, not their number.
    if (source[i + 1] === '?') i++;
    previous = { kind: 'none' };
  }
  return undefined;
}

/**
 * The time the regular expressions of one destination may still take. Only their own runs count (measured
 * around each one), not the one-off cost of making the sandbox, so a first transform on a busy machine is not
 * refused for work that is not its own.
 */
export class RegexBudget {
  private spentMs = 0;
  constructor(
    readonly limitMs: number = REGEX_TIME_LIMIT_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {}
  remainingMs(): number {
    return Math.max(0, this.limitMs - this.spentMs);
  }
  exhaust(): void {
    this.spentMs = this.limitMs;
  }
  /** Runs `fn`, counting its time against the budget. */
  measure<T>(fn: () => T): T {
    const start = this.clock();
    try {
      return fn();
    } finally {
      this.spentMs += Math.max(0, this.clock() - start);
    }
  }
}

let sandbox: vm.Context | undefined;
let replaceScript: vm.Script | undefined;
let firstTrueScript: vm.Script | undefined;

/** A run that finished with its value, or one the budget stopped, with the script's `progress` global at that moment. */
type Run<T> = { finished: true; value: T } | { finished: false; progress: unknown };

/** Runs `script` with `values` as its globals, interrupted when the budget runs out (or not started when it has). */
function runWithin<T>(budget: RegexBudget, script: vm.Script, values: Record<string, unknown>): Run<T> {
  if (budget.remainingMs() <= 0) return { finished: false, progress: values['progress'] };
  if (sandbox === undefined) {
    sandbox = vm.createContext(Object.create(null) as object);
    // A new context sets itself up on its first run (its builtins, the script cache): done here, outside the budget,
    // so that cost never counts as the workspace's regular expressions' time.
    vm.runInContext('0', sandbox);
  }
  const context = sandbox;
  Object.assign(context, values);
  try {
    const timeout = Math.max(1, Math.ceil(budget.remainingMs()));
    return { finished: true, value: budget.measure(() => script.runInContext(context, { timeout })) as T };
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      // The run was stopped because it took all that was left, whatever the clock says.
      budget.exhaust();
      return { finished: false, progress: context['progress'] };
    }
    throw err;
  } finally {
    // The inputs are not kept alive between calls (the sandbox lives as long as the extension).
    for (const key of Object.keys(values)) context[key] = undefined;
  }
}

/** `input.replace(regex, replacement)`, or undefined when it did not finish within the budget. */
export function replaceWithinBudget(budget: RegexBudget, input: string, regex: RegExp, replacement: string): string | undefined {
  replaceScript ??= new vm.Script('input.replace(regex, replacement)');
  const run = runWithin<string>(budget, replaceScript, { input, regex, replacement });
  return run.finished ? run.value : undefined;
}

/**
 * The index of the first of `regexes` that matches `input` (-1 for none), or `{ timedOutAt }`: the index of the
 * one that was still running when the budget ran out (the later ones were not tried).
 */
export function firstMatchWithinBudget(
  budget: RegexBudget,
  regexes: readonly RegExp[],
  input: string,
): { index: number } | { timedOutAt: number } {
  return firstTrueWithinBudget(
    budget,
    regexes.map((regex) => () => regex.test(input)),
  );
}

/**
 * The index of the first of `tests` that returns true (-1 for none), or `{ timedOutAt }`: the index of the one
 * that was still running when the budget ran out (the later ones were not run). A test may be any synchronous
 * function, also one that compiles a regular expression first (a glob library): the vm's `timeout` interrupts
 * whatever JavaScript runs on this thread, endless loops included, and a test cannot catch the interruption.
 */
export function firstTrueWithinBudget(budget: RegexBudget, tests: readonly (() => boolean)[]): { index: number } | { timedOutAt: number } {
  firstTrueScript ??= new vm.Script(
    'progress = 0; while (progress < tests.length && !tests[progress]()) progress++; progress < tests.length ? progress : -1',
  );
  const run = runWithin<number>(budget, firstTrueScript, { tests, progress: 0 });
  if (run.finished) return { index: run.value };
  return { timedOutAt: typeof run.progress === 'number' ? run.progress : 0 };
}
