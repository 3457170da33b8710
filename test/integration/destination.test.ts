import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MAX_TRANSFORM_INPUT_LENGTH, RegexBudget } from '../../src/core/files/boundedRegex';
import {
  MAX_DESTINATION_PATTERN_LENGTH,
  UnsafeDestinationPatternError,
  chosenDestinationPattern,
  destinationPathProblem,
  destinationVars,
  expandDestination,
  resolveDestination,
  resolveDestinationOrDefault,
  slugFromPrompt,
  uniquePath,
  assertInsideWorkspace,
  type DestinationInput,
} from '../../src/core/files/destination';
import { FileError } from '../../src/core/files/fileError';

describe('slugFromPrompt', () => {
  const cases: [prompt: string, slug: string][] = [
    ['A cute squirrel', 'a-cute-squirrel'],
    ['一只可爱的松鼠', '一只可爱的松鼠'],
    ['画一只可爱的松鼠，在雨中！', '画一只可爱的松鼠-在雨中'],
    ['  Hello,   World!!  ', 'hello-world'],
    ['Ünïcödé Straße', 'ünïcödé-straße'],
    ['ΑΘΗΝΑ', 'αθηνα'],
    ['ＦＵＬＬＷＩＤＴＨ ＡＢＣ１２３', 'fullwidth-abc123'],
    ['../../etc/passwd', 'etc-passwd'],
    ['C:\\Windows\\system32', 'c-windows-system32'],
    ['a/b\\c:d*e?f"g<h>i|j', 'a-b-c-d-e-f-g-h-i-j'],
    ['...', 'image'],
    ['', 'image'],
    ['!!! ??? ###', 'image'],
    ['😀🎨', 'image'],
    ['fox 🦊 in rain', 'fox-in-rain'],
    ['CON', 'con-image'],
    ['nul', 'nul-image'],
    ['Com1', 'com1-image'],
    ['LPT9', 'lpt9-image'],
    ['com10', 'com10'],
    ['AUX.', 'aux-image'],
    ['line\nbreak\ttab', 'line-break-tab'],
    ['नमस्ते दुनिया', 'नमस्ते-दुनिया'],
  ];
  for (const [prompt, slug] of cases) {
    it(`${JSON.stringify(prompt)} → ${slug}`, () => assert.equal(slugFromPrompt(prompt), slug));
  }

  it('cuts long ASCII prompts at a word boundary within the limit', () => {
    const slug = slugFromPrompt('a cinematic fox detective walking through Bangkok neon rain at midnight with a lantern');
    assert.ok(slug.length <= 48, slug);
    assert.equal(slug, 'a-cinematic-fox-detective-walking-through');
  });

  it('cuts long Chinese prompts at a character boundary and never splits a surrogate pair', () => {
    const prompt = '𠀀'.repeat(30) + '松鼠'.repeat(30);
    const slug = slugFromPrompt(prompt, 10);
    assert.equal(slug, '𠀀'.repeat(10));
    assert.equal([...slug].length, 10);
    assert.ok(!/[\uD800-\uDBFF]$/.test(slug), 'no lone high surrogate at the end');
    assert.equal(slugFromPrompt('松鼠'.repeat(40)).length, 48);
  });

  it('keeps a letter and its combining accent together when cutting', () => {
    const decomposedE = 'e\u0301';
    // NFKC composes é, so use a mark without a precomposed form: q + combining acute.
    const slug = slugFromPrompt(`${'q\u0301'.repeat(5)}${decomposedE}`, 3);
    assert.ok(!slug.endsWith('q'), `a base letter must not lose its accent: ${JSON.stringify(slug)}`);
    assert.equal(slug, 'q\u0301');
  });

  it('the maxLength argument is honoured', () => {
    assert.equal(slugFromPrompt('abcdefghij', 4), 'abcd');
  });
});

const now = new Date(2026, 0, 2, 3, 4, 5, 6);
const base: DestinationInput = {
  documentPath: '/ws/docs/guide/README.md',
  workspaceFolderPath: '/ws',
  slug: 'a-fox',
  ext: 'png',
  now,
};

describe('destinationVars', () => {
  it('matches VS Code markdown.copyFiles variables plus ours', () => {
    const v = destinationVars(base);
    assert.deepEqual(v, {
      documentDirName: '/ws/docs/guide',
      documentFileName: 'README.md',
      documentBaseName: 'README',
      documentExtName: 'md',
      documentFilePath: '/ws/docs/guide/README.md',
      documentRelativeFilePath: 'docs/guide/README.md',
      documentRelativeDirName: 'docs/guide',
      documentWorkspaceFolder: '/ws',
      workspaceFolder: '/ws',
      date: '20260102',
      time: '030405',
      unixTime: String(now.getTime()),
      isoTime: now.toISOString(),
      slug: 'a-fox',
      ext: 'png',
      fileName: 'a-fox.png',
      fileExtName: 'png',
    });
  });
  it('without a workspace folder, document variables fall back like VS Code', () => {
    const v = destinationVars({ ...base, workspaceFolderPath: undefined });
    assert.equal(v['documentWorkspaceFolder'], '/ws/docs/guide');
    assert.equal(v['documentRelativeDirName'], '/ws/docs/guide');
    assert.equal(v['documentRelativeFilePath'], '/ws/docs/guide/README.md');
  });
  it('without a document, document variables are unavailable', () => {
    const v = destinationVars({ ...base, documentPath: undefined });
    assert.equal(v['documentDirName'], undefined);
    assert.equal(v['workspaceFolder'], '/ws');
  });
});

describe('expandDestination', () => {
  const vars = destinationVars(base);
  const cases: [pattern: string, expected: string][] = [
    ['${documentDirName}/images/${slug}.${ext}', '/ws/docs/guide/images/a-fox.png'],
    ['assets/${documentBaseName}/${date}-${time}-${fileName}', 'assets/README/20260102-030405-a-fox.png'],
    ['\\${slug}', '${slug}'],
    ['${documentRelativeDirName/\\//-/}/${fileName}', 'docs-guide/a-fox.png'],
    ['${unixTime}.${fileExtName}', `${now.getTime()}.png`],
  ];
  for (const [pattern, expected] of cases) {
    it(pattern, () => assert.equal(expandDestination(pattern, vars), expected));
  }
  it('names an unknown variable', () => {
    assert.throws(() => expandDestination('${nope}/x', vars), (e: unknown) => e instanceof FileError && /unknown variable \$\{nope\}/.test(e.message));
  });
  it('names a variable that needs a document', () => {
    const noDoc = destinationVars({ ...base, documentPath: undefined });
    assert.throws(() => expandDestination('${documentDirName}/x.png', noDoc), (e: unknown) => e instanceof FileError && /\$\{documentDirName\}, which needs an open document/.test(e.message));
  });
});

describe('resolveDestination', () => {
  const cases: { name: string; input: Partial<DestinationInput>; expected: string }[] = [
    { name: 'default: images/ next to the document', input: {}, expected: '/ws/docs/guide/images/a-fox.png' },
    { name: 'default without a document: images/ at the workspace root', input: { documentPath: undefined }, expected: '/ws/images/a-fox.png' },
    { name: 'blank pattern is the default', input: { pattern: '   ' }, expected: '/ws/docs/guide/images/a-fox.png' },
    { name: 'relative pattern is relative to the document', input: { pattern: 'pics/${slug}.${ext}' }, expected: '/ws/docs/guide/pics/a-fox.png' },
    { name: 'relative pattern without a document is relative to the folder', input: { pattern: 'pics/${fileName}', documentPath: undefined }, expected: '/ws/pics/a-fox.png' },
    { name: 'trailing slash means a folder', input: { pattern: 'media/' }, expected: '/ws/docs/guide/media/a-fox.png' },
    { name: 'leading slash means the workspace root (VS Code rule)', input: { pattern: '/assets/' }, expected: '/ws/assets/a-fox.png' },
    { name: 'an absolute path inside the folder is kept', input: { pattern: '/ws/docs/shots/${fileName}' }, expected: '/ws/docs/shots/a-fox.png' },
    { name: '.. that stays inside is fine', input: { pattern: '../img/${fileName}' }, expected: '/ws/docs/img/a-fox.png' },
    { name: './ prefix', input: { pattern: './${fileName}' }, expected: '/ws/docs/guide/a-fox.png' },
    { name: 'workspace variable', input: { pattern: '${workspaceFolder}/art/${date}/${fileName}' }, expected: '/ws/art/20260102/a-fox.png' },
    { name: 'relative dir mirrors the document tree', input: { pattern: '/static/${documentRelativeDirName}/' }, expected: '/ws/static/docs/guide/a-fox.png' },
    { name: 'workspace folder given with a trailing slash', input: { workspaceFolderPath: '/ws/', pattern: '/x/' }, expected: '/ws/x/a-fox.png' },
    { name: 'Windows Uri.path form', input: { documentPath: '/c:/Users/me/proj/notes.md', workspaceFolderPath: '/c:/Users/me/proj', pattern: '/img/' }, expected: '/c:/Users/me/proj/img/a-fox.png' },
    { name: 'document outside any folder: its own folder is the root', input: { workspaceFolderPath: undefined }, expected: '/ws/docs/guide/images/a-fox.png' },
    { name: 'CJK slug', input: { slug: '一只可爱的松鼠' }, expected: '/ws/docs/guide/images/一只可爱的松鼠.png' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(resolveDestination({ ...base, ...c.input }), c.expected));
  }

  const refusals: { name: string; input: Partial<DestinationInput>; message: RegExp }[] = [
    { name: '.. escaping the folder', input: { pattern: '../../../outside/${fileName}' }, message: /'\.\.\/\.\.\/\.\.\/outside\/\$\{fileName\}' leads to \/outside\/a-fox\.png, which is outside the workspace folder \/ws/ },
    { name: '.. after a variable', input: { pattern: '${workspaceFolder}/../x.png' }, message: /outside the workspace folder/ },
    { name: 'an absolute path from a variable outside the folder (document outside the folder)', input: { documentPath: '/elsewhere/a.md', pattern: '${documentDirName}/${fileName}' }, message: /outside the workspace folder/ },
    { name: 'Windows drive letter with backslash', input: { pattern: 'C:\\images\\x.png' }, message: /Windows drive letter/ },
    { name: 'Windows drive letter with slash', input: { pattern: 'c:/images/x.png' }, message: /Windows drive letter/ },
    { name: 'backslash separators', input: { pattern: 'images\\${fileName}' }, message: /backslash/ },
    { name: 'NUL', input: { pattern: 'images/\0x.png' }, message: /NUL/ },
    { name: 'no file name', input: { pattern: '${workspaceFolder}' }, message: /does not end in a file name/ },
    { name: 'the folder itself via ..', input: { pattern: '..' , documentPath: '/ws/a.md' }, message: /outside the workspace folder|does not end in a file name/ },
    { name: 'nothing to save next to', input: { documentPath: undefined, workspaceFolderPath: undefined }, message: /no workspace folder or document/ },
  ];
  for (const c of refusals) {
    it(`refuses: ${c.name}`, () => {
      assert.throws(
        () => resolveDestination({ ...base, ...c.input }),
        (e: unknown) => {
          assert.ok(e instanceof FileError, String(e));
          assert.match(e.message, c.message);
          return true;
        },
      );
    });
  }
});

describe('uniquePath', () => {
  const taken = (names: string[]) => {
    const set = new Set(names);
    const asked: string[] = [];
    return { exists: async (p: string) => (asked.push(p), set.has(p)), asked };
  };
  it('returns the path when it is free', async () => {
    const t = taken([]);
    assert.equal(await uniquePath('/ws/images/fox.png', t.exists), '/ws/images/fox.png');
    assert.deepEqual(t.asked, ['/ws/images/fox.png']);
  });
  it('adds -2, -3, … before the extension', async () => {
    const t = taken(['/ws/images/fox.png', '/ws/images/fox-2.png', '/ws/images/fox-3.png']);
    assert.equal(await uniquePath('/ws/images/fox.png', t.exists), '/ws/images/fox-4.png');
  });
  it('handles names without extension and dotted folders', async () => {
    assert.equal(await uniquePath('/a.b/fox', taken(['/a.b/fox']).exists), '/a.b/fox-2');
    assert.equal(await uniquePath('/a/.hidden', taken(['/a/.hidden']).exists), '/a/.hidden-2');
    assert.equal(await uniquePath('x.tar.png', taken(['x.tar.png']).exists), 'x.tar-2.png');
  });
  it('works on native Windows paths', async () => {
    assert.equal(await uniquePath('C:\\out\\fox.png', taken(['C:\\out\\fox.png']).exists), 'C:\\out\\fox-2.png');
  });
  it('gives up after 10000 names', async () => {
    let calls = 0;
    await assert.rejects(
      uniquePath('/ws/fox.png', async () => (calls++, true)),
      (e: unknown) => e instanceof FileError && /10000 names are taken/.test(e.message),
    );
    assert.equal(calls, 10000);
  });
});

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DESTINATION_MODULE = new URL('../../src/core/files/destination.ts', import.meta.url).href;

interface ChildOutcome {
  /** The path, or the error's class, kind and message. */
  result?: { path: string } | { error: string; base: string; message: string };
  /** How long the call took inside the child, for the failure message only (no wall-clock assertion). */
  elapsedMs?: number;
  /** The child was killed at the step budget: the call never returned. */
  killed: boolean;
}

/**
 * Runs `resolveDestination(input)` in a child process that is killed after 60 s, so a catastrophic pattern that
 * would hang the test runner (the old code: 13 s for 28 characters, for ever for 10 000) ends as a failure
 * instead. A refusal takes milliseconds; nothing here asserts a time.
 */
function resolveInChild(input: DestinationInput): Promise<ChildOutcome> {
  const script = `
    const { resolveDestination } = await import(${JSON.stringify(DESTINATION_MODULE)});
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    const input = JSON.parse(text);
    const start = performance.now();
    let result;
    try { result = { path: resolveDestination(input) }; }
    catch (e) { result = { error: e.constructor.name, base: Object.getPrototypeOf(e.constructor).name, message: e.message }; }
    process.stdout.write(JSON.stringify({ result, elapsedMs: performance.now() - start }));
  `;
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { cwd: REPO, timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error && (error.killed || error.signal === 'SIGKILL')) resolve({ killed: true });
        else if (error) throw error;
        else resolve({ ...(JSON.parse(stdout) as Omit<ChildOutcome, 'killed'>), killed: false });
      },
    );
    // The input goes through stdin: a 1 MB pattern does not fit in the command line.
    child.stdin?.end(JSON.stringify(input));
  });
}

function assertUnsafe(fn: () => unknown, message: RegExp): UnsafeDestinationPatternError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UnsafeDestinationPatternError, String(err));
    assert.ok(err instanceof FileError);
    assert.match(err.message, message);
    return err;
  }
  assert.fail('expected an UnsafeDestinationPatternError');
}

describe('a workspace cannot freeze the extension host (issue 9, item 5)', () => {
  const catastrophic = '${documentBaseName/^(a+)+$/x/}/${fileName}';
  for (const length of [28, 10_000]) {
    it(`/^(a+)+$/ on a ${length}-character document name is refused without running (a child process, killed after 60 s)`, async () => {
      const name = `${'a'.repeat(length)}!`;
      const outcome = await resolveInChild({ pattern: catastrophic, documentPath: `/ws/${name}.md`, workspaceFolderPath: '/ws', slug: 'fox', ext: 'png' });
      assert.equal(outcome.killed, false, 'the transform never returned');
      assert.deepEqual(outcome.result && 'error' in outcome.result ? [outcome.result.error, outcome.result.base] : outcome.result, [
        'UnsafeDestinationPatternError',
        'FileError',
      ], `took ${outcome.elapsedMs?.toFixed(0)} ms`);
      assert.match((outcome.result as { message: string }).message, /\$\{documentBaseName\/\^\(a\+\)\+\$\/x\/\} .* was not run: its regular expression repeats a group that itself holds a quantifier/);
    });
  }

  it('a polynomial transform the static rules let through is stopped by the time limit (a child process, killed after 60 s)', async () => {
    const outcome = await resolveInChild({
      pattern: '${documentBaseName/\\w*\\w*\\w*\\w*!/x/}/${fileName}',
      documentPath: `/ws/${'a'.repeat(255)}.md`,
      workspaceFolderPath: '/ws',
      slug: 'fox',
      ext: 'png',
    });
    assert.equal(outcome.killed, false, 'the transform never returned');
    assert.ok(outcome.result && 'error' in outcome.result, JSON.stringify(outcome.result));
    assert.equal(outcome.result.error, 'UnsafeDestinationPatternError');
    assert.match(outcome.result.message, /was stopped: the transforms of one pattern may take 100 ms, and it took longer/);
  });

  it('the value of a variable longer than the cap is not transformed; a safe transform on a name within it is', () => {
    const vars = { name: 'a'.repeat(MAX_TRANSFORM_INPUT_LENGTH + 1), short: 'a'.repeat(MAX_TRANSFORM_INPUT_LENGTH) };
    assertUnsafe(() => expandDestination('${name/a/b/}', vars), /the value of \$\{name\} is 1025 characters long, and at most 1024 are transformed/);
    assert.equal(expandDestination('${name}', vars), vars.name, 'without a transform the value is used as it is');
    assert.equal(expandDestination('${short/^a/b/}', vars, new RegexBudget(60_000)), `b${'a'.repeat(MAX_TRANSFORM_INPUT_LENGTH - 1)}`);
  });

  it('a 10 000-character name with a safe transform is capped, not run', () => {
    assertUnsafe(
      () => resolveDestination({ ...base, documentPath: `/ws/${'a'.repeat(10_000)}.md`, pattern: '${documentBaseName/-/_/}/${fileName}' }),
      /is 10000 characters long/,
    );
  });

  it('an over-long destination pattern is not expanded (its ${…} syntax alone takes quadratic time)', () => {
    const long = `\${a/${'\\/'.repeat(MAX_DESTINATION_PATTERN_LENGTH)}`;
    assertUnsafe(() => expandDestination(long, { a: 'x' }), new RegExp(`is ${long.length} characters long; at most ${MAX_DESTINATION_PATTERN_LENGTH}`));
  });

  it('a 1 MB cpaImage.destination full of "${" is refused by its length before any regex reads it (a child process, killed after 60 s)', async () => {
    const outcome = await resolveInChild({ ...base, pattern: '${a'.repeat(350_000) });
    assert.equal(outcome.killed, false, 'the check never returned');
    assert.ok(outcome.result && 'error' in outcome.result, JSON.stringify(outcome.result).slice(0, 200));
    assert.equal(outcome.result.error, 'UnsafeDestinationPatternError');
    assert.match(outcome.result.message, /is 1050000 characters long; at most 1024 are allowed, so it was not used/);
    // The fallback: the default destination.
    assert.equal(resolveDestinationOrDefault({ ...base, pattern: '${a'.repeat(350_000) }).path, '/ws/docs/guide/images/a-fox.png');
  });

  it('backreferences and ambiguous alternations are refused with the rule named', () => {
    const vars = destinationVars(base);
    assertUnsafe(() => expandDestination('${documentBaseName/(a)\\1/x/}', vars), /uses a backreference/);
    assertUnsafe(() => expandDestination('${documentBaseName/(a|a)*$/x/}', vars), /alternatives can match the same text/);
  });

  it('ordinary transforms keep working (VS Code compatible)', () => {
    const vars = destinationVars(base);
    assert.equal(expandDestination('${documentRelativeDirName/\\//-/}', vars, new RegexBudget(60_000)), 'docs-guide');
    assert.equal(expandDestination('${documentBaseName/^(.*)$/img-$1/}', vars, new RegexBudget(60_000)), 'img-README');
    assert.equal(expandDestination('${documentBaseName/[^a-z]+/_/}', vars, new RegexBudget(60_000)), '_');
  });

  it('an invalid regular expression is still an error, not a fallback', () => {
    assert.throws(
      () => resolveDestinationOrDefault({ ...base, pattern: '${documentBaseName/(/x/}/${fileName}' }),
      (e: unknown) => e instanceof FileError && !(e instanceof UnsafeDestinationPatternError) && /invalid regular expression/.test(e.message),
    );
  });

  describe('resolveDestinationOrDefault: a refused pattern gives the default destination, with the reason', () => {
    it('a catastrophic transform: saved under images/ next to the document, and the log line says why', () => {
      const resolved = resolveDestinationOrDefault({ ...base, pattern: catastrophic });
      assert.equal(resolved.path, '/ws/docs/guide/images/a-fox.png');
      assert.match(resolved.refusedPattern ?? '', /was not run: its regular expression repeats a group .* The image was saved at the default destination instead\.$/);
    });
    it('a usable pattern is used, with nothing to report', () => {
      assert.deepEqual(resolveDestinationOrDefault({ ...base, pattern: 'pics/' }), { path: '/ws/docs/guide/pics/a-fox.png' });
    });
    it('other refusals still throw (containment is not weakened)', () => {
      assert.throws(() => resolveDestinationOrDefault({ ...base, pattern: '../../../x.png' }), /outside the workspace folder/);
      assert.throws(() => resolveDestinationOrDefault({ ...base, pattern: '.git/x.png' }), /inside \.git\//);
    });
  });
});

describe('destination rules: control characters and protected folders (issue 9, item 6)', () => {
  const controls: [name: string, char: string, code: string][] = [
    ['NUL (C0)', '\u0000', 'U+0000 (NUL)'],
    ['TAB (C0)', '\t', 'U+0009'],
    ['ESC (C0)', '\u001b', 'U+001B'],
    ['US (C0, the last)', '\u001f', 'U+001F'],
    ['DEL', '\u007f', 'U+007F'],
    ['PAD (C1, the first)', '\u0080', 'U+0080'],
    ['CSI (C1)', '\u009b', 'U+009B'],
    ['APC (C1, the last)', '\u009f', 'U+009F'],
  ];
  for (const [name, char, code] of controls) {
    it(`refuses ${name} in a folder segment and in the file name, naming the rule and the character`, () => {
      for (const pattern of [`img${char}s/\${fileName}`, `images/fox${char}.png`]) {
        assert.throws(
          () => resolveDestination({ ...base, pattern }),
          (e: unknown) => {
            assert.ok(e instanceof FileError, String(e));
            assert.match(e.message, new RegExp(`contains the control character ${code.replace(/[()+]/g, '\\$&')}; file and folder names may not hold control characters \\(C0, DEL, C1\\)`));
            assert.doesNotMatch(e.message, /[\u0000-\u001f\u007f-\u009f]/, 'the message shows the character escaped, never raw');
            return true;
          },
        );
      }
      assert.match(destinationPathProblem(`a/b${char}c.png`) ?? '', /control character/);
    });
  }
  it('refuses a control character that comes from a variable (the document folder name)', () => {
    assert.throws(() => resolveDestination({ ...base, documentPath: '/ws/do\u001bcs/a.md', pattern: '' }), /control character U\+001B/);
  });
  it('keeps printable characters that are not control characters (NBSP U+00A0, CJK, emoji)', () => {
    assert.equal(resolveDestination({ ...base, pattern: 'a\u00a0b/松鼠-🦊.png' }), '/ws/docs/guide/a\u00a0b/松鼠-🦊.png');
  });

  const protectedPaths: [pattern: string, folder: string][] = [
    ['/.git/hooks/pre-commit.png', '.git'],
    ['/.vscode/settings.png', '.vscode'],
    ['.git/x.png', '.git'],
    ['/docs/.vscode/', '.vscode'],
    ['/.GIT/x.png', '.git'],
    ['/.VsCode/x.png', '.vscode'],
    ['/a/../.git/x.png', '.git'],
    ['/a/./b/../../.vscode/x.png', '.vscode'],
    ['../../.git/objects/x.png', '.git'],
    ['${workspaceFolder}/.git/x.png', '.git'],
    ['/.git./x.png', '.git'],
    ['/.git /x.png', '.git'],
    ['/.git::$INDEX_ALLOCATION/x.png', '.git'],
    ['/GIT~1/x.png', '.git'],
    ['/VSCODE~1/x.png', '.vscode'],
    ['/.g\u200cit/x.png', '.git'],
    ['/sub/.git/x.png', '.git'],
  ];
  for (const [pattern, folder] of protectedPaths) {
    it(`refuses ${JSON.stringify(pattern)}: inside ${folder}/`, () => {
      assert.throws(
        () => resolveDestination({ ...base, pattern }),
        (e: unknown) => {
          assert.ok(e instanceof FileError, String(e));
          assert.match(e.message, new RegExp(`writes inside \\${folder}/ \\(the segment '[^']+'\\); images are never saved there because`));
          return true;
        },
      );
    });
  }
  it('a transform cannot make .git either', () => {
    assert.throws(() => resolveDestination({ ...base, pattern: '/${slug/^.*$/.git/}/x.png' }), /writes inside \.git\//);
  });
  it('allows names that only look alike (.github, .gitignore-images, vscode, my.git, .git-assets)', () => {
    for (const folder of ['.github', '.gitignore-images', 'vscode', 'my.git', '.git-assets', '.vscode-images']) {
      assert.equal(resolveDestination({ ...base, pattern: `/${folder}/x.png` }), `/ws/${folder}/x.png`);
    }
  });
  it('a path that passes through .git and leaves it again is fine (it does not write there)', () => {
    assert.equal(resolveDestination({ ...base, pattern: '/a/.git/../b.png' }), '/ws/a/b.png');
  });
  it('a workspace folder that itself lies under a .vscode folder is not refused: only the part the pattern adds counts', () => {
    assert.equal(
      resolveDestination({ documentPath: '/home/me/.vscode/extensions/mine/README.md', workspaceFolderPath: '/home/me/.vscode/extensions/mine', slug: 'a-fox', ext: 'png' }),
      '/home/me/.vscode/extensions/mine/images/a-fox.png',
    );
  });
  it('containment is unchanged: .. out of the folder is still refused as outside', () => {
    assert.throws(() => resolveDestination({ ...base, pattern: '../../../x.png' }), /outside the workspace folder \/ws/);
  });

  describe('chosenDestinationPattern (the agent tool\'s path)', () => {
    const cases: [destination: string, ext: string, pattern: string, path: string][] = [
      ['docs/images/fox.png', 'jpg', '/docs/images/fox.jpg', '/ws/docs/images/fox.jpg'],
      ['docs/images/fox', 'png', '/docs/images/fox.png', '/ws/docs/images/fox.png'],
      ['/art/', 'webp', '/art/${fileName}', '/ws/art/a-fox.webp'],
      ['cost$5/$fox.png', 'png', '/cost\\$5/\\$fox.png', '/ws/cost$5/$fox.png'],
    ];
    for (const [destination, ext, pattern, path] of cases) {
      it(`${destination} → ${pattern}`, () => {
        assert.equal(chosenDestinationPattern(destination, ext), pattern);
        assert.equal(resolveDestination({ workspaceFolderPath: '/ws', pattern, slug: 'a-fox', ext }), path);
      });
    }
  });
});

describe('containment is by path segment, not by string prefix (issue 10, planted bug: isInside as startsWith)', () => {
  // `/ws-public` starts with the characters `/ws` but is a sibling of the workspace folder `/ws`, not inside it.
  const doc = { slug: 'a-fox', ext: 'png', now: new Date(2026, 0, 2, 3, 4, 5), documentPath: '/ws/a.md', workspaceFolderPath: '/ws' };
  const outside = (e: unknown): boolean => {
    assert.ok(e instanceof FileError, String(e));
    assert.match(e.message, /outside the workspace folder \/ws\b/);
    return true;
  };

  it('"../ws-public/x.png" from a document at the workspace root is refused, not saved in /ws-public', () => {
    assert.throws(() => resolveDestination({ ...doc, pattern: '../ws-public/x.png' }), outside);
    assert.throws(() => resolveDestination({ ...doc, pattern: '${workspaceFolder}-public/${fileName}' }), outside);
  });

  it('"/ws-public/x.png" means <workspace>/ws-public/x.png (the VS Code rule), never the sibling folder', () => {
    assert.equal(resolveDestination({ ...doc, pattern: '/ws-public/x.png' }), '/ws/ws-public/x.png');
  });

  it('a document in a sibling folder is not "relative" to the workspace', () => {
    const v = destinationVars({ ...doc, documentPath: '/ws-public/notes/a.md' });
    assert.equal(v['documentRelativeFilePath'], '/ws-public/notes/a.md');
    assert.equal(v['documentRelativeDirName'], '/ws-public/notes');
  });

  it('assertInsideWorkspace refuses /ws-public/x.png for the workspace /ws before looking at the disk', async () => {
    let looked = 0;
    const realpath = async (p: string): Promise<string | undefined> => {
      looked += 1;
      return p;
    };
    await assert.rejects(assertInsideWorkspace('/ws-public/x.png', '/ws', realpath), outside);
    assert.equal(looked, 0);
    await assertInsideWorkspace('/ws/ws-public/x.png', '/ws', realpath);
  });
});
