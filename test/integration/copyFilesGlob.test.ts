/**
 * `markdown.copyFiles.destination` globs, matched as VS Code's markdown extension matches them (picomatch,
 * `dot: true`, the document's whole path, `/`-rooted globs below each workspace folder, `**∕` in front of the
 * others). The expected values of "as VS Code does" were produced by VS Code's own algorithm
 * (extensions/markdown-language-features, `getDesiredNewFilePath` and `parseGlob`, VS Code 1.139) run with the
 * picomatch version it ships (2.3.1), outside this repository; picomatch 4 answers the same for all of them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RegexBudget } from '../../src/core/files/boundedRegex';
import { MAX_COPY_FILES_GLOB_LENGTH, copyFilesGlobsFor, matchCopyFilesDestination } from '../../src/core/files/copyFilesGlob';
import { UnsafeDestinationPatternError } from '../../src/core/files/destination';
import { FileError } from '../../src/core/files/fileError';

/**
 * A document at `relative` inside the only workspace folder `/ws`. The budget is a minute unless a test is about
 * the limit, so a busy machine cannot stop an ordinary glob.
 */
function inWs(map: Record<string, string>, relative: string, budget: RegexBudget = new RegexBudget(60_000)): string | undefined {
  return matchCopyFilesDestination(map, `/ws/${relative}`, ['/ws'], budget);
}

function assertUnsafe(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UnsafeDestinationPatternError, String(err));
    assert.ok(err instanceof FileError);
    assert.match(err.message, message);
    return true;
  });
}

describe('matchCopyFilesDestination', () => {
  const map = {
    '/docs/api/**/*.md': 'api-images/',
    '**/blog/*.{md,mdx}': '${documentDirName}/blog-img/',
    'README.md': '/readme-assets/',
    'notes/?.md': 'n/',
    '*.markdown': 'md/',
  };
  const cases: [doc: string, expected: string | undefined][] = [
    ['docs/api/v1/users.md', 'api-images/'],
    ['docs/api/users.md', 'api-images/'],
    ['x/docs/api/users.md', undefined],
    ['site/blog/post.mdx', '${documentDirName}/blog-img/'],
    ['blog/post.md', '${documentDirName}/blog-img/'],
    ['blog/post.txt', undefined],
    ['README.md', '/readme-assets/'],
    ['deep/down/README.md', '/readme-assets/'],
    ['notes/a.md', 'n/'],
    ['notes/ab.md', undefined],
    ['a/b/c.markdown', 'md/'],
    ['other.md', undefined],
  ];
  for (const [doc, expected] of cases) {
    it(`${doc} → ${String(expected)}`, () => assert.equal(inWs(map, doc), expected));
  }
  it('first match wins in the order of the map', () => {
    assert.equal(inWs({ '**/*.md': 'first/', 'docs/*.md': 'second/' }, 'docs/a.md'), 'first/');
    assert.equal(inWs({ 'docs/*.md': 'second/', '**/*.md': 'first/' }, 'docs/a.md'), 'second/');
  });
  it('skips a glob that cannot match (an inverted range) and entries whose destination is not a string', () => {
    assert.equal(inWs({ '': 'x/', '[z-a].md': 'y/', '*.md': 'z/' }, 'k.md'), 'z/');
    assert.equal(matchCopyFilesDestination({ '*.md': 3, '**/*.md': 'z/' }, '/ws/k.md', ['/ws']), 'z/');
  });
});

describe('matchCopyFilesDestination: as VS Code does', () => {
  const cases: { name: string; glob: string; doc: string; folders: string[]; vscode: boolean }[] = [
    // Escapes: `\` escapes the next character (the old matcher read it as a literal backslash).
    { name: 'an escaped star matches only a star', glob: 'a\\*.md', doc: '/ws/a*.md', folders: ['/ws'], vscode: true },
    { name: 'an escaped star is not a wildcard', glob: 'a\\*.md', doc: '/ws/ab.md', folders: ['/ws'], vscode: false },
    { name: 'an escaped star does not match a backslash', glob: 'a\\*.md', doc: '/ws/a\\b.md', folders: ['/ws'], vscode: false },
    // Extglobs (the old matcher took `+(`, `@(`, `!(` literally).
    { name: 'extglob +(md|mdx): .mdx', glob: '*.+(md|mdx)', doc: '/ws/notes/post.mdx', folders: ['/ws'], vscode: true },
    { name: 'extglob +(md|mdx): .md', glob: '*.+(md|mdx)', doc: '/ws/notes/post.md', folders: ['/ws'], vscode: true },
    { name: 'extglob +(md|mdx): .txt', glob: '*.+(md|mdx)', doc: '/ws/notes/post.txt', folders: ['/ws'], vscode: false },
    { name: 'extglob @(md|mdx) matches one', glob: '*.@(md|mdx)', doc: '/ws/notes/post.mdmdx', folders: ['/ws'], vscode: false },
    { name: 'extglob !(draft): a draft', glob: '!(draft)*.md', doc: '/ws/draft-1.md', folders: ['/ws'], vscode: false },
    { name: 'extglob !(draft): not a draft', glob: '!(draft)*.md', doc: '/ws/final.md', folders: ['/ws'], vscode: true },
    { name: 'bare parentheses group: a+b(1).md matches a+b1.md', glob: 'a+b(1).md', doc: '/ws/a+b1.md', folders: ['/ws'], vscode: true },
    { name: 'bare parentheses group: a+b(1).md does not match itself', glob: 'a+b(1).md', doc: '/ws/a+b(1).md', folders: ['/ws'], vscode: false },
    { name: 'a glob equal to the path matches it (picomatch compares the strings first)', glob: '/a+b(1).md', doc: '/ws/a+b(1).md', folders: ['/ws'], vscode: true },
    { name: 'braces', glob: '{a,b}.md', doc: '/ws/b.md', folders: ['/ws'], vscode: true },
    { name: 'a class opened by [! is not negated in picomatch: [!a] matches a', glob: '[!a].md', doc: '/ws/a.md', folders: ['/ws'], vscode: true },
    { name: 'a class opened by [! is not negated in picomatch: [!a] does not match b', glob: '[!a].md', doc: '/ws/b.md', folders: ['/ws'], vscode: false },
    { name: 'case matters', glob: 'README.MD', doc: '/ws/README.md', folders: ['/ws'], vscode: false },
    // Documents outside every workspace folder: the whole path is matched (the old matcher saw only the base name).
    { name: 'docs/*.md, a document outside the folder', glob: 'docs/*.md', doc: '/home/me/docs/a.md', folders: ['/ws'], vscode: true },
    { name: 'docs/*.md, no folder open', glob: 'docs/*.md', doc: '/home/me/docs/a.md', folders: [], vscode: true },
    { name: 'docs/*.md does not reach into a subfolder', glob: 'docs/*.md', doc: '/home/me/docs/sub/a.md', folders: [], vscode: false },
    { name: 'a /-rooted glob with no folder open', glob: '/docs/*.md', doc: '/home/me/docs/a.md', folders: [], vscode: false },
    // `/`-rooted globs: below each workspace folder in turn.
    { name: '/docs/*.md in the second folder', glob: '/docs/*.md', doc: '/b/docs/a.md', folders: ['/a', '/b'], vscode: true },
    { name: '/docs/*.md in the first folder', glob: '/docs/*.md', doc: '/a/docs/a.md', folders: ['/a', '/b'], vscode: true },
    { name: '/docs/*.md deeper in a folder', glob: '/docs/*.md', doc: '/a/sub/docs/a.md', folders: ['/a', '/b'], vscode: false },
    { name: '/docs/*.md in a nested workspace folder', glob: '/docs/*.md', doc: '/a/sub/docs/a.md', folders: ['/a', '/a/sub'], vscode: true },
    { name: 'a Windows path (Uri.path)', glob: '/*.md', doc: '/c:/Users/me/ws/a.md', folders: ['/c:/Users/me/ws'], vscode: true },
    { name: '/.. is normalised as Uri.joinPath does', glob: '/../*.md', doc: '/a.md', folders: ['/ws'], vscode: true },
    // dot: true
    { name: 'a file in a dot folder', glob: '*.md', doc: '/ws/.github/a.md', folders: ['/ws'], vscode: true },
    { name: 'a dot file', glob: '*.md', doc: '/ws/.notes.md', folders: ['/ws'], vscode: true },
    { name: '** crosses dot folders', glob: '**/*.md', doc: '/ws/.hidden/a.md', folders: ['/ws'], vscode: true },
    { name: '** alone', glob: '**', doc: '/ws/a.md', folders: ['/ws'], vscode: true },
    { name: 'an empty glob', glob: '', doc: '/ws/a.md', folders: ['/ws'], vscode: false },
  ];
  for (const { name, glob, doc, folders, vscode } of cases) {
    it(`${name}: ${JSON.stringify(glob)} ${vscode ? 'matches' : 'does not match'} ${doc} (folders ${JSON.stringify(folders)})`, () => {
      assert.equal(matchCopyFilesDestination({ [glob]: 'x/' }, doc, folders, new RegexBudget(60_000)), vscode ? 'x/' : undefined);
    });
  }

  it('the globs VS Code tries for one entry', () => {
    assert.deepEqual(copyFilesGlobsFor('/docs/*.md', ['/a', '/b/']), ['/a/docs/*.md', '/b/docs/*.md']);
    assert.deepEqual(copyFilesGlobsFor('/docs/*.md', []), []);
    assert.deepEqual(copyFilesGlobsFor('docs/*.md', ['/a']), ['**/docs/*.md']);
    assert.deepEqual(copyFilesGlobsFor('**/x.md', ['/a']), ['**/x.md']);
    assert.deepEqual(copyFilesGlobsFor('**x.md', ['/a']), ['**x.md']);
  });
});

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const GLOB_MODULE = new URL('../../src/core/files/copyFilesGlob.ts', import.meta.url).href;

/**
 * Runs `matchCopyFilesDestination` in a child process killed after 60 s, so a glob that hangs picomatch ends as a
 * failure instead of hanging the test runner. Nothing here asserts a time.
 */
function matchInChild(map: Record<string, string>, doc: string, folders: string[]): Promise<{ killed: true } | { killed: false; result: unknown }> {
  const script = `
    const { matchCopyFilesDestination } = await import(${JSON.stringify(GLOB_MODULE)});
    let result;
    try { result = { destination: matchCopyFilesDestination(${JSON.stringify(map)}, ${JSON.stringify(doc)}, ${JSON.stringify(folders)}) ?? null }; }
    catch (e) { result = { error: e.constructor.name, base: Object.getPrototypeOf(e.constructor).name, message: e.message }; }
    process.stdout.write(JSON.stringify(result));
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { cwd: REPO, timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error && (error.killed || error.signal === 'SIGKILL')) resolve({ killed: true });
        else if (error) reject(error);
        else resolve({ killed: false, result: JSON.parse(stdout) as unknown });
      },
    );
  });
}

describe('matchCopyFilesDestination: globs from the workspace get the time limit', () => {
  it('the default budget is the same 100 ms', () => {
    assertUnsafe(() => matchCopyFilesDestination({ '*a*a*a*a*a*a*a*b': 'slow/' }, `/ws/${'a'.repeat(60)}.md`, ['/ws']), /was stopped: the globs may take 100 ms together/);
  });
  it('a glob that backtracks for seconds is stopped; the error names it', () => {
    const map = { 'other/*.md': 'o/', '*a*a*a*a*a*a*a*b': 'slow/', '**/*': 'later/' };
    // A budget of 1 s instead of 100 ms, so a busy machine cannot stop the quick first glob: the slow one takes far longer.
    assertUnsafe(() => inWs(map, `${'a'.repeat(60)}.md`, new RegexBudget(1000)), /glob '\*a\*a\*a\*a\*a\*a\*a\*b' against a{60}\.md was stopped: the globs may take 1000 ms together/);
  });
  it('ordinary globs still match in the map order', () => {
    assert.equal(inWs({ 'other/*.md': 'o/', '**/*.md': 'all/' }, 'docs/a.md'), 'all/');
  });
  it('a document outside every folder is named by its whole path', () => {
    assertUnsafe(
      () => matchCopyFilesDestination({ '*a*a*a*a*a*a*a*b': 'slow/' }, `/elsewhere/${'a'.repeat(60)}.md`, ['/ws'], new RegexBudget(100)),
      /against \/elsewhere\/a{60}\.md was stopped/,
    );
  });

  // picomatch (2.3.1 in VS Code, and 4) never returns from compiling a glob that ends in four or more backslashes:
  // its tokenizer steps past the end of the glob. Compiling runs under the same limit as matching.
  for (const glob of ['a\\\\\\\\', 'docs/x\\\\\\\\\\']) {
    it(`a glob picomatch loops on for ever (${JSON.stringify(glob)}) is stopped and named; the globs before it still match (a child process, killed after 60 s)`, async () => {
      const stopped = await matchInChild({ [glob]: 'never/' }, '/ws/a.md', ['/ws']);
      assert.equal(stopped.killed, false, 'the match returned instead of hanging');
      assert.ok(!stopped.killed);
      assert.deepEqual(stopped.result, {
        error: 'UnsafeDestinationPatternError',
        base: 'FileError',
        message: `Matching the markdown.copyFiles.destination glob '${glob}' against a.md was stopped: the globs may take 100 ms together, and it took longer. Simplify the glob.`,
      });
      const earlier = await matchInChild({ '*.md': 'first/', [glob]: 'never/' }, '/ws/a.md', ['/ws']);
      assert.deepEqual(earlier, { killed: false, result: { destination: 'first/' } });
    });
  }

  it(`a glob over ${MAX_COPY_FILES_GLOB_LENGTH} characters is not compiled: refused with its length once the globs before it did not match`, () => {
    const long = `${'*('.repeat(MAX_COPY_FILES_GLOB_LENGTH)}x`;
    assertUnsafe(
      () => inWs({ 'other/*.md': 'o/', [long]: 'long/', '**/*.md': 'later/' }, 'a.md'),
      new RegExp(`glob '\\*\\(\\*\\(.*…' is ${long.length} characters long; at most ${MAX_COPY_FILES_GLOB_LENGTH} are allowed, so it was not used\\.`),
    );
    assert.equal(inWs({ '*.md': 'first/', [long]: 'long/' }, 'a.md'), 'first/');
    const atLimit = `{${'b,'.repeat((MAX_COPY_FILES_GLOB_LENGTH - 6) / 2)}a}.md`;
    assert.equal(atLimit.length, MAX_COPY_FILES_GLOB_LENGTH);
    assert.equal(inWs({ [atLimit]: 'at-limit/' }, 'a.md'), 'at-limit/');
  });
});
