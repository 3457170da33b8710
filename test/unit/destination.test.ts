import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  destinationVars,
  expandDestination,
  matchCopyFilesDestination,
  resolveDestination,
  slugFromPrompt,
  uniquePath,
  type DestinationInput,
} from '../../src/core/destination';
import { GatewayError } from '../../src/core/errors';

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
    assert.throws(() => expandDestination('${nope}/x', vars), (e: unknown) => e instanceof GatewayError && e.kind === 'file' && /unknown variable \$\{nope\}/.test(e.message));
  });
  it('names a variable that needs a document', () => {
    const noDoc = destinationVars({ ...base, documentPath: undefined });
    assert.throws(() => expandDestination('${documentDirName}/x.png', noDoc), (e: unknown) => e instanceof GatewayError && /\$\{documentDirName\}, which needs an open document/.test(e.message));
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
          assert.ok(e instanceof GatewayError, String(e));
          assert.equal(e.kind, 'file');
          assert.match(e.message, c.message);
          return true;
        },
      );
    });
  }
});

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
    it(`${doc} → ${String(expected)}`, () => assert.equal(matchCopyFilesDestination(map, doc), expected));
  }
  it('first match wins in the order of the map', () => {
    assert.equal(matchCopyFilesDestination({ '**/*.md': 'first/', 'docs/*.md': 'second/' }, 'docs/a.md'), 'first/');
    assert.equal(matchCopyFilesDestination({ 'docs/*.md': 'second/', '**/*.md': 'first/' }, 'docs/a.md'), 'second/');
  });
  it('treats glob characters of other syntaxes literally and skips broken entries', () => {
    assert.equal(matchCopyFilesDestination({ 'a+b(1).md': 'x/' }, 'a+b(1).md'), 'x/');
    assert.equal(matchCopyFilesDestination({ 'a+b(1).md': 'x/' }, 'aab1.md'), undefined);
    assert.equal(matchCopyFilesDestination({ '': 'x/', '[z-a].md': 'y/', '*.md': 'z/' }, 'k.md'), 'z/');
  });
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
      (e: unknown) => e instanceof GatewayError && e.kind === 'file' && /10000 names are taken/.test(e.message),
    );
    assert.equal(calls, 10000);
  });
});
