/**
 * The .vsix holds only what a user needs: the bundle (and undici, markdown-it, picomatch and the image codecs with
 * their .wasm files beside it, loaded on first use), the preview's page script, the manifest and its translations, the icon and stylesheet, and the three
 * documents. No sources, tests, maps, node_modules or the CLI (it is for the command line, not VS Code).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import { zipEntries } from '../support/zipEntries';

const root = path.resolve(__dirname, '../..');

let listed: string[] | undefined;

/** `vsce ls` takes seconds; both tests read the same listing. */
function vsceList(): string[] {
  if (listed) return listed;
  const vsce = path.join(root, 'node_modules/.bin/vsce');
  const out = execFileSync(vsce, ['ls', '--no-dependencies'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  listed = out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .sort();
  return listed;
}

describe('packaged extension', () => {
  it('vsce ls lists exactly the files a user needs', () => {
    const files = vsceList();
    const expected = [
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'dist/THIRD-PARTY-NOTICES.txt',
      'dist/extension.js',
      'dist/gateway.js',
      'dist/image.js',
      'dist/imageWorker.js',
      'dist/markdown-it.js',
      'dist/openclaw.js',
      'dist/picomatch.js',
      'dist/undici.js',
      'dist/wasm/mozjpeg_dec.wasm',
      'dist/wasm/mozjpeg_enc.wasm',
      'dist/wasm/squoosh_png_bg.wasm',
      'dist/wasm/webp_dec.wasm',
      'dist/wasm/webp_enc.wasm',
      'dist/wasm/webp_enc_simd.wasm',
      'dist/webview/preview.js',
      'l10n/bundle.l10n.zh-cn.json',
      'package.json',
      'package.nls.json',
      'package.nls.zh-cn.json',
    ];
    for (const file of expected) assert.ok(files.includes(file), `${file} is packaged (got ${files.join(', ')})`);
    const unexpected = files.filter(
      (file) => !expected.includes(file) && !/^media\/[\w.-]+\.(png|css|svg)$/.test(file) && !/^media\/walkthrough\/[\w.-]+\.md$/.test(file),
    );
    assert.deepEqual(unexpected, [], 'nothing else is packaged (only media assets and the walkthrough pages besides the list; no script in media/)');
    assert.ok(files.includes('media/icon.png'), 'the icon is packaged');
    assert.ok(!files.some((f) => f.endsWith('.map') || f.endsWith('.ts') || f.startsWith('node_modules/')));
  });

  it('the licences of every bundled package travel with the code: dist/THIRD-PARTY-NOTICES.txt names each with its licence text', () => {
    const metas = JSON.parse(readFileSync(path.join(root, 'dist/meta.json'), 'utf8')) as { inputs: Record<string, unknown> }[];
    const bundled = new Set<string>();
    for (const meta of metas) {
      for (const input of Object.keys(meta.inputs)) {
        const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
        if (match?.[1]) bundled.add(match[1]);
      }
    }
    for (const codec of ['@jsquash/png', '@jsquash/jpeg', '@jsquash/webp']) bundled.add(codec);
    const notices = readFileSync(path.join(root, 'dist/THIRD-PARTY-NOTICES.txt'), 'utf8');
    for (const name of ['undici', 'markdown-it', 'picomatch', 'eventsource-parser', 'json5', 'pica']) assert.ok(bundled.has(name), `${name} is bundled`);
    for (const name of bundled) {
      const version = (JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
      assert.ok(notices.includes(`${name} ${version} (`), `the notices name ${name} ${version}`);
    }
    assert.match(notices, /Apache License/, 'the codecs\' Apache-2.0 text');
    assert.match(notices, /Permission is hereby granted, free of charge/, 'the MIT text');
  });

  it('undici is not inside dist/extension.js: it is dist/undici.js, required from it only by path', () => {
    const metas = JSON.parse(readFileSync(path.join(root, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> }[];
    const inputsOf = (file: string): string[] => Object.keys(metas.find((m) => m.outputs[file])?.outputs[file]?.inputs ?? {});
    // The extension reaches undici through its gateway client, dist/gateway.js; the CLI is one bundle.
    for (const bundle of ['dist/extension.js', 'dist/gateway.js', 'dist/cli.js']) {
      const inputs = inputsOf(bundle);
      assert.ok(inputs.some((i) => i.startsWith('src/')), `${bundle} was built`);
      assert.deepEqual(inputs.filter((i) => i.includes('node_modules/undici/')), [], `${bundle} bundles no undici`);
    }
    for (const bundle of ['dist/gateway.js', 'dist/cli.js']) {
      assert.match(readFileSync(path.join(root, bundle), 'utf8'), /require\("\.\/undici\.js"\)/, `${bundle} requires ./undici.js`);
    }
    assert.ok(inputsOf('dist/undici.js').some((i) => i.includes('node_modules/undici/')), 'dist/undici.js is undici');
  });

  it('the gateway client and OpenClaw\'s reader are not inside dist/extension.js: dist/gateway.js and dist/openclaw.js, required from it by path (issue 10 item 6)', () => {
    const metas = JSON.parse(readFileSync(path.join(root, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> }[];
    const inputsOf = (file: string): string[] => Object.keys(metas.find((m) => m.outputs[file])?.outputs[file]?.inputs ?? {});
    const extension = inputsOf('dist/extension.js');
    for (const [file, own] of [
      ['dist/gateway.js', ['src/core/gateway/client.ts', 'src/core/gateway/responseEvents.ts', 'src/core/gateway/base64Splice.ts', 'node_modules/eventsource-parser/']],
      ['dist/openclaw.js', ['src/core/config/openclaw.ts', 'node_modules/json5/']],
    ] as const) {
      for (const input of own) {
        assert.ok(inputsOf(file).some((i) => i.startsWith(input)), `${file} holds ${input}`);
        assert.ok(!extension.some((i) => i.startsWith(input)), `dist/extension.js does not hold ${input}`);
      }
      const name = path.basename(file).replace('.', '\\.');
      assert.match(readFileSync(path.join(root, 'dist/extension.js'), 'utf8'), new RegExp(`require\\("\\./${name}"\\)`), `dist/extension.js requires ./${path.basename(file)}`);
    }
  });

  it('markdown-it and picomatch are not inside dist/extension.js: they are dist/markdown-it.js and dist/picomatch.js, required from it by path', () => {
    const metas = JSON.parse(readFileSync(path.join(root, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> }[];
    const inputsOf = (file: string): string[] => Object.keys(metas.find((m) => m.outputs[file])?.outputs[file]?.inputs ?? {});
    const bundle = readFileSync(path.join(root, 'dist/extension.js'), 'utf8');
    for (const [library, file] of [['markdown-it', 'dist/markdown-it.js'], ['picomatch', 'dist/picomatch.js']] as const) {
      assert.deepEqual(inputsOf('dist/extension.js').filter((i) => i.includes(`node_modules/${library}/`)), [], `dist/extension.js bundles no ${library}`);
      assert.ok(inputsOf(file).some((i) => i.includes(`node_modules/${library}/`)), `${file} is ${library}`);
      assert.match(bundle, new RegExp(`require\\("\\./${library}\\.js"\\)`), `dist/extension.js requires ./${library}.js`);
    }
  });

  it('the image codecs are not inside dist/extension.js, dist/cli.js or the image worker: they are dist/image.js with dist/wasm/, required by path', () => {
    const metas = JSON.parse(readFileSync(path.join(root, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> }[];
    const inputsOf = (file: string): string[] => Object.keys(metas.find((m) => m.outputs[file])?.outputs[file]?.inputs ?? {});
    for (const bundle of ['dist/extension.js', 'dist/cli.js', 'dist/imageWorker.js']) {
      assert.deepEqual(inputsOf(bundle).filter((i) => i.includes('@jsquash') || i.includes('node_modules/pica/') || i.endsWith('src/core/image/codecs.ts')), [], `${bundle} bundles no codec`);
      assert.match(readFileSync(path.join(root, bundle), 'utf8'), /require\("\.\/image\.js"\)/, `${bundle} requires ./image.js`);
    }
    assert.ok(inputsOf('dist/image.js').some((i) => i.includes('node_modules/@jsquash/webp/')), 'dist/image.js holds the codecs');
    assert.ok(existsSync(path.join(root, 'dist/wasm/webp_enc_simd.wasm')), 'the .wasm files are beside it');
  });

  it('the preview page script is built from src/webview/ only (preview.ts and its modules) and uses no innerHTML', () => {
    const metas = JSON.parse(readFileSync(path.join(root, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> }[];
    const inputs = Object.keys(metas.find((m) => m.outputs['dist/webview/preview.js'])?.outputs['dist/webview/preview.js']?.inputs ?? {});
    assert.ok(inputs.includes('src/webview/preview.ts'), `the page script is in: ${JSON.stringify(inputs)}`);
    // The message types it imports from the extension's side are types: no code of the extension or a library gets in.
    assert.deepEqual(inputs.filter((input) => !input.startsWith('src/webview/')), [], 'only the page\'s own modules');
    assert.doesNotMatch(readFileSync(path.join(root, 'dist/webview/preview.js'), 'utf8'), /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('the manifest points at files that are packaged', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      main: string;
      icon: string;
      l10n: string;
      contributes: { walkthroughs: { steps: { media: { markdown?: string; image?: string } }[] }[] };
    };
    const files = vsceList();
    for (const step of manifest.contributes.walkthroughs.flatMap((w) => w.steps)) {
      const media = step.media.markdown ?? step.media.image ?? '';
      assert.ok(files.includes(media), `walkthrough media ${media} is packaged`);
    }
    assert.ok(files.includes(path.posix.normalize(manifest.main)), `main ${manifest.main} is packaged`);
    assert.ok(files.includes(manifest.icon), `icon ${manifest.icon} is packaged`);
    assert.ok(files.some((f) => f.startsWith(path.posix.normalize(manifest.l10n) + '/')), 'l10n bundle is packaged');
  });

  it('the manifest has what a gallery page shows: fitting categories, a banner, keywords in English and Chinese', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      categories: string[];
      keywords: string[];
      galleryBanner: { color?: string; theme?: string };
    };
    // The categories VS Code's Marketplace and Open VSX know (vsce writes them as they are into the .vsix manifest).
    const known = ['AI', 'Chat', 'Data Science', 'Debuggers', 'Education', 'Extension Packs', 'Formatters', 'Keymaps', 'Language Packs', 'Linters', 'Machine Learning', 'Notebooks', 'Other', 'Programming Languages', 'SCM Providers', 'Snippets', 'Testing', 'Themes', 'Visualization'];
    assert.ok(manifest.categories.length > 0 && manifest.categories.every((c) => known.includes(c)), JSON.stringify(manifest.categories));
    assert.ok(!manifest.categories.includes('Other') || manifest.categories.length === 1, '"Other" only when nothing else fits');
    assert.match(manifest.galleryBanner.color ?? '', /^#[0-9a-f]{6}$/i);
    assert.ok(manifest.galleryBanner.theme === 'dark' || manifest.galleryBanner.theme === 'light');
    assert.ok(manifest.keywords.some((k) => /^[\x20-\x7e]+$/.test(k)), 'English keywords');
    assert.ok(manifest.keywords.some((k) => /[\u4e00-\u9fff]/.test(k)), 'Chinese keywords');
    assert.ok(manifest.keywords.length <= 30, 'a short list of keywords');
    assert.equal(new Set(manifest.keywords.map((k) => k.toLowerCase())).size, manifest.keywords.length, 'no keyword twice');
  });

  it('npm run package produced the .vsix that the end-to-end suite installs', { skip: !process.env.CI && !existsSync(path.join(root, 'dist-vsix/cpa-gpt-image.vsix')) }, () => {
    const vsix = readFileSync(path.join(root, 'dist-vsix/cpa-gpt-image.vsix'));
    assert.equal(vsix.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004', 'the .vsix is a zip archive');
    assert.ok(vsix.length < 2 * 1024 * 1024, `the .vsix stays small (${vsix.length} bytes)`);
  });
});

/**
 * What the Marketplace and Open VSX show comes from inside the .vsix: the manifest's repository, homepage, bugs,
 * publisher, categories, banner, keywords and icon, and the packaged README (extension/readme.md), whose images
 * must be https:// addresses (relative ones are broken on a details page) of files this repository holds.
 */
describe('the .vsix as a gallery shows it (issue 11 item 5)', () => {
  const vsixPath = path.join(root, 'dist-vsix/cpa-gpt-image.vsix');
  let files: Map<string, Buffer>;

  interface PackagedManifest {
    name: string;
    publisher: string;
    icon: string;
    repository: { type: string; url: string };
    homepage: string;
    bugs: { url: string };
    categories: string[];
    galleryBanner: { color: string; theme: string };
    keywords: string[];
    scripts: Record<string, string>;
  }

  /** The repository's web address from `repository.url`: the one place it is written. */
  function repositoryWeb(manifest: PackagedManifest): string {
    return manifest.repository.url.replace(/\.git$/, '');
  }

  /** The packaged README, whatever case vsce gave its name. */
  function packagedReadme(): string {
    const entry = [...files.keys()].find((name) => name.toLowerCase() === 'extension/readme.md');
    assert.ok(entry, `the README is packaged (entries: ${[...files.keys()].join(', ')})`);
    return files.get(entry)!.toString('utf8');
  }

  const markdown = new MarkdownIt({ html: true });
  type Token = ReturnType<typeof markdown.parse>[number];
  function inlineTokens(text: string): Token[] {
    return markdown.parse(text, {}).flatMap((t) => [t, ...(t.children ?? [])]);
  }
  /** Every image a renderer shows: markdown images and <img src> in HTML. */
  function renderedImages(text: string): string[] {
    const sources: string[] = [];
    for (const token of inlineTokens(text)) {
      if (token.type === 'image') sources.push(token.attrGet('src') ?? '');
      if (token.type === 'html_inline' || token.type === 'html_block') {
        for (const m of token.content.matchAll(/<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]*)/gi)) sources.push(m[1]!);
      }
    }
    return sources;
  }

  before(() => {
    // A package older than what it is made of would test the past: package again (as `npm run package` does).
    const stale = !existsSync(vsixPath) || ['package.json', 'README.md', 'CHANGELOG.md'].some((f) => statSync(path.join(root, f)).mtimeMs > statSync(vsixPath).mtimeMs);
    if (stale) execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    files = zipEntries(readFileSync(vsixPath));
  }, { timeout: 180_000 });

  it('the manifest inside names the repository, homepage, bugs and publisher, and npm run package needs no escape hatch', () => {
    const manifest = JSON.parse(files.get('extension/package.json')!.toString('utf8')) as PackagedManifest;
    assert.equal(manifest.repository.type, 'git');
    assert.match(manifest.repository.url, /^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/, 'a GitHub repository (vsce derives the README links from it)');
    const web = repositoryWeb(manifest);
    assert.equal(manifest.homepage, `${web}#readme`, 'homepage follows repository.url');
    assert.equal(manifest.bugs.url, `${web}/issues`, 'bugs follows repository.url');
    assert.match(manifest.publisher, /^[a-z0-9][a-z0-9-]*$/i, 'a Marketplace publisher id');
    const script = manifest.scripts['package'] ?? '';
    assert.doesNotMatch(script, /--allow-missing-repository/, 'the repository is there');
    assert.doesNotMatch(script, /--no-rewrite-relative-links/, 'relative README links are rewritten (and vsce checks images are https)');
    // The .vsix manifest the galleries read carries the same links.
    const vsixManifest = files.get('extension.vsixmanifest')!.toString('utf8');
    assert.ok(vsixManifest.includes(`Id="Microsoft.VisualStudio.Services.Links.Source" Value="${manifest.repository.url}"`), 'source link');
    assert.ok(vsixManifest.includes(`Id="Microsoft.VisualStudio.Services.Links.Support" Value="${manifest.bugs.url}"`), 'support link');
    assert.ok(vsixManifest.includes(`Publisher="${manifest.publisher}"`), 'publisher');
  });

  it('the manifest inside has the gallery fields: categories, banner, English and Chinese keywords, a packaged icon', () => {
    const manifest = JSON.parse(files.get('extension/package.json')!.toString('utf8')) as PackagedManifest;
    assert.ok(manifest.categories.length > 0);
    assert.match(manifest.galleryBanner.color, /^#[0-9a-f]{6}$/i);
    assert.ok(manifest.keywords.some((k) => /[\u4e00-\u9fff]/.test(k)), 'Chinese keywords');
    assert.ok(manifest.keywords.some((k) => /^[\x20-\x7e]+$/.test(k)), 'English keywords');
    const icon = files.get(`extension/${manifest.icon}`);
    assert.ok(icon, `${manifest.icon} is in the .vsix`);
    assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG', 'the icon is a PNG');
    const vsixManifest = files.get('extension.vsixmanifest')!.toString('utf8');
    assert.ok(vsixManifest.includes(`Path="extension/${manifest.icon}"`), 'the .vsix manifest names the icon');
    assert.ok(vsixManifest.includes('<Categories>'), 'the .vsix manifest lists categories');
  });

  it('the packaged README has no relative image left: every image is https:// on the repository, of a file it holds', () => {
    const manifest = JSON.parse(files.get('extension/package.json')!.toString('utf8')) as PackagedManifest;
    const readme = packagedReadme();
    const rendered = renderedImages(readme);
    // Also the raw spellings outside code, as another renderer might read them (whatever markdown-it thinks).
    const outsideCode = readme.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
    const raw = [
      ...[...outsideCode.matchAll(/!\[[^\]]*\]\(([^)\s]+)[^)]*\)/g)].map((m) => m[1]!),
      ...[...outsideCode.matchAll(/<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]*)/gi)].map((m) => m[1]!),
    ];
    assert.ok(rendered.length >= 10, `the README shows its screenshots (${rendered.length})`);
    assert.deepEqual([...new Set(raw)].sort(), [...new Set(rendered)].sort(), 'every image-like spelling is a rendered image (examples in code are spelt not to be)');
    const imageBase = `${repositoryWeb(manifest)}/raw/main/`;
    const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n'));
    for (const src of rendered) {
      assert.match(src, /^https:\/\//, `an absolute https image: ${src}`);
      assert.ok(src.startsWith(imageBase), `${src} is on the repository's main branch (${imageBase})`);
      const repoPath = decodeURI(src.slice(imageBase.length));
      assert.ok(existsSync(path.join(root, repoPath)) && tracked.has(repoPath), `${repoPath} exists in the repository (committed)`);
    }
    // The first screen shows it: a picture before the second section.
    const firstImage = readme.indexOf(rendered[0]!);
    assert.ok(firstImage > 0 && firstImage < readme.indexOf('\n## '), 'an image before the first section heading');
  });

  it('the packaged README\'s other links are absolute or anchors, and its code reads as in the source', () => {
    const readme = packagedReadme();
    const relative = inlineTokens(readme)
      .filter((t) => t.type === 'link_open')
      .map((t) => t.attrGet('href') ?? '')
      .filter((href) => !/^(https:\/\/|#)/.test(href));
    assert.deepEqual(relative, [], 'no relative link');
    const codeOf = (text: string) => inlineTokens(text).filter((t) => t.type === 'code_inline' || t.type === 'fence').map((t) => t.content);
    const source = readFileSync(path.join(root, 'README.md'), 'utf8');
    assert.deepEqual(codeOf(readme), codeOf(source), 'vsce rewrote nothing inside code');
    assert.equal(renderedImages(source).filter((src) => /^https?:/.test(src)).length, 0, 'the source README keeps relative images (they render on GitHub)');
  });

  it('the README\'s Marketplace and Open VSX links name this extension (publisher.name)', () => {
    const manifest = JSON.parse(files.get('extension/package.json')!.toString('utf8')) as PackagedManifest;
    const readme = packagedReadme();
    assert.ok(readme.includes(`https://marketplace.visualstudio.com/items?itemName=${manifest.publisher}.${manifest.name})`), 'Marketplace link');
    assert.ok(readme.includes(`https://open-vsx.org/extension/${manifest.publisher}/${manifest.name})`), 'Open VSX link');
    assert.ok(readme.includes(`code --install-extension ${manifest.publisher}.${manifest.name}\``), 'install command');
    const install = readme.slice(readme.indexOf('\n## Install'), readme.indexOf('\n## ', readme.indexOf('\n## Install') + 1));
    assert.ok(install.indexOf('Marketplace') < install.indexOf('build the package yourself'), 'the galleries come before building it');
    assert.match(install, /bash scripts\/setup\.sh[\s\S]*npm run sandbox/, 'try it in a minute: set-up, then the sandbox');
  });
});
