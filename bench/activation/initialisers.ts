/**
 * Which module initialisers of an esbuild bundle ran, read from V8 precise coverage.
 *
 * esbuild wraps every lazily evaluated module in a helper call: CommonJS ones in `__commonJS(...)`, ES
 * modules reached through a dynamic import or a `require` in `__esm(...)` (minified: two short names
 * defined in the bundle's prelude). A module whose wrapper's call count is 0 was never initialised. A
 * module with no wrapper around it is evaluated with the bundle's top level, i.e. eagerly.
 */

export interface CoverageRange {
  startOffset: number;
  endOffset: number;
  count: number;
}

export interface CoverageFunction {
  functionName: string;
  isBlockCoverage: boolean;
  ranges: CoverageRange[];
}

export type InitialiserVerdict = 'not in bundle' | 'lazy, not run' | 'lazy, ran' | 'eager (bundle top level)';

export interface PackageVerdict {
  name: string;
  verdict: InitialiserVerdict;
}

export interface InitialiserReport {
  helpers: { commonJs?: string; esm?: string };
  wrappers: number;
  wrappersRun: number;
  packages: PackageVerdict[];
}

/** A statement that runs in the package's module initialiser (not inside one of its functions). */
const PACKAGE_MARKERS: { name: string; marker: RegExp }[] = [
  // lib/global.js: `const globalDispatcher = Symbol.for('undici.globalDispatcher.2')` at module top level.
  { name: 'undici', marker: /undici\.globalDispatcher\.2/ },
  // dist/errors.js: `class ParseError extends Error` (the class expression is evaluated by the initialiser).
  { name: 'eventsource-parser', marker: /this\.name\s*=\s*["']ParseError["']/ },
  // lib/parse.js / lib/util.js of json5: the initialiser builds its Unicode tables.
  { name: 'json5', marker: /JSON5: invalid (?:character|end of input)/ },
];

function findHelpers(source: string): InitialiserReport['helpers'] {
  const prelude = source.slice(0, 4000);
  const helpers: InitialiserReport['helpers'] = {};
  const definition = /([\w$]+)\s*=\s*\(\s*[\w$]+\s*,\s*[\w$]+(?:\s*,\s*[\w$]+)?\s*\)\s*=>\s*(?:function\s*[\w$]*\s*)?\(\)\s*(?:=>\s*)?\{/g;
  for (const m of prelude.matchAll(definition)) {
    // The helper's own body: up to the end of its definition (`};` or `},next=`), never into the next helper.
    const rest = prelude.slice(m.index + m[0].length, m.index + m[0].length + 400);
    const end = rest.search(/\}\s*(?:;|,\s*[\w$]+\s*=)/);
    const body = end >= 0 ? rest.slice(0, end) : rest;
    if (!helpers.commonJs && /exports\s*:\s*\{\s*\}/.test(body)) helpers.commonJs = m[1];
    else if (!helpers.esm && /=\s*0\s*\)/.test(body)) helpers.esm = m[1];
  }
  return helpers;
}

function escape(name: string): string {
  return name.replace(/[$]/g, '\\$');
}

export function analyseInitialisers(source: string, functions: readonly CoverageFunction[]): InitialiserReport {
  const helpers = findHelpers(source);
  const names = [helpers.commonJs, helpers.esm].filter((n): n is string => !!n).map(escape);
  // The wrapper is the helper's argument: `K=y((e,A)=>{` minified, `__commonJS({ "path"(exports, module) {` not.
  const wrapperPrefix = names.length ? new RegExp(`(?:^|[^\\w$.])(?:${names.join('|')})\\(\\s*(?:\\{\\s*(?:"[^"]*"\\s*)?)?$`) : undefined;
  const ranges = functions
    .map((f) => f.ranges[0])
    .filter((r): r is CoverageRange => !!r && !(r.startOffset === 0 && r.endOffset >= source.length - 1));
  const isWrapper = (r: CoverageRange) => !!wrapperPrefix && wrapperPrefix.test(source.slice(Math.max(0, r.startOffset - 300), r.startOffset));
  const wrappers = ranges.filter(isWrapper);

  const packages = PACKAGE_MARKERS.map(({ name, marker }): PackageVerdict => {
    const hit = marker.exec(source);
    if (!hit) return { name, verdict: 'not in bundle' };
    const at = hit.index;
    const innermostWrapper = wrappers
      .filter((r) => r.startOffset <= at && at < r.endOffset)
      .sort((a, b) => a.endOffset - a.startOffset - (b.endOffset - b.startOffset))[0];
    if (!innermostWrapper) return { name, verdict: 'eager (bundle top level)' };
    return { name, verdict: innermostWrapper.count > 0 ? 'lazy, ran' : 'lazy, not run' };
  });

  return { helpers, wrappers: wrappers.length, wrappersRun: wrappers.filter((r) => r.count > 0).length, packages };
}
