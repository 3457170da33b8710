/**
 * Untrusted text never becomes a live link, HTML or an icon (issue 9, item 1): every markdown link form, fed to
 * each sink function of src/core/text/inertText.ts, is checked against what the sink's renderer parses — VS Code's
 * own notification link regex (`parseLinkedText`), its icon regex, and for MarkdownString sinks VS Code's
 * `appendText` followed by a CommonMark + GFM-autolink parser (markdown-it) — and plain text stays readable.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import {
  INERT_BREAK,
  iconLabelText,
  languageModelText,
  markdownDocumentText,
  markdownText,
  notificationText,
  treeItemText,
} from '../../src/core/text/inertText';
import { formatInsertion } from '../../src/core/markdown/links';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * VS Code's `parseLinkedText` (src/vs/base/common/linkedText.ts), copied from code-server 4.139.1's workbench.js:
 * notifications, progress notifications and input box prompts turn each match into a clickable link.
 */
const LINKED_TEXT_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)(?: (["'])(.+?)(\3))?\)/gi;

/** What VS Code does to a notification message before parsing it (NotificationViewItem.parseNotificationMessage). */
function notificationLinks(message: string): string[] {
  const shown = message.replace(/(\r\n|\n|\r)/gm, ' ').trim();
  return [...shown.matchAll(LINKED_TEXT_LINK)].map((m) => m[0]);
}

/** VS Code's label-with-icons regex (iconLabels.ts): an unescaped match renders as an icon. */
const ICON = /(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g;

function icons(text: string): string[] {
  return [...text.matchAll(ICON)].filter((m) => m[1] === undefined).map((m) => m[0]);
}

/** `MarkdownString.appendText` of VS Code 1.139 (extensionHostProcess.js), supportThemeIcons off. */
function vscodeAppendText(text: string): string {
  return text
    .replace(/[\\`*_{}[\]()#+!~]/g, '\\$&')
    .replace(/^([ \t]*)-/gm, '$1\\-')
    .replace(/([ \t]+)/g, (_m, spaces: string) => '&nbsp;'.repeat(spaces.length))
    .replace(/>/gm, '\\>')
    .replace(/\n/g, '\n\n');
}

/**
 * CommonMark with raw HTML on and GFM-style autolinks (VS Code renders with marked, `gfm: true`: links for
 * `http(s)://`, `www.` and e-mail addresses, not for bare domains, hence no fuzzy links here).
 */
const md = new MarkdownIt({ html: true, linkify: true });
md.linkify.set({ fuzzyLink: false, fuzzyIP: false, fuzzyEmail: true });

/** The kinds of markup tokens a markdown rendering of `source` holds (links, images, HTML, emphasis, …). */
function markup(source: string): string[] {
  const found: string[] = [];
  const visit = (tokens: ReturnType<typeof md.parse>): void => {
    for (const token of tokens) {
      if (/^(link_open|image|html_inline|html_block|em_open|strong_open|s_open|code_inline|heading_open|bullet_list_open|ordered_list_open|blockquote_open|fence|code_block)$/.test(token.type)) {
        found.push(token.type === 'link_open' ? `link ${token.attrGet('href')}` : token.type);
      }
      if (token.children) visit(token.children);
    }
  };
  visit(md.parse(source, {}));
  return found;
}

const unbroken = (text: string) => text.split(INERT_BREAK).join('');

const targets = ['command:workbench.action.terminal.new', 'https://evil.example/phish', 'file:///etc/passwd', 'COMMAND:workbench.action.terminal.new'];

/** Every link form of the issue, with each kind of target. */
const attacks: { form: string; text: string }[] = targets.flatMap((target) => [
  { form: 'inline [a](b)', text: `[Sign in again](${target}) Your session has expired.` },
  { form: 'inline with spaces [a]( b )', text: `[Sign in again]( ${target} )` },
  { form: 'inline with title [a](b "t")', text: `[Sign in again](${target} "Sign in")` },
  { form: 'inline with single-quoted title', text: `[Sign in again](${target} 'Sign in')` },
  { form: 'pointy [a](<b>)', text: `[Sign in again](<${target}>)` },
  { form: 'image ![a](b)', text: `![x](${target})` },
  { form: 'nested [[a](b)](c)', text: `[[Sign](${target})](${target})` },
  { form: 'reference [a][r] + [r]: url', text: `[Sign in again][r]\n\n[r]: ${target}` },
  { form: 'collapsed reference [a][] + [a]: url', text: `[Sign in again][]\n\n[Sign in again]: ${target}` },
  { form: 'shortcut reference [a] + [a]: url', text: `[Sign in again]\n\n[Sign in again]: ${target}` },
  { form: 'autolink <b>', text: `<${target}>` },
  { form: 'HTML <a href>', text: `<a href="${target}">Sign in again</a>` },
  { form: 'HTML <img onerror>', text: `<img src=x onerror="location='${target}'">` },
  { form: 'split over a line break', text: `[Sign in\nagain](${target})` },
]);

const iconAttacks = ['$(check) all good', '$(sync~spin) working', '\\$(check) escaped already', 'a$(zap)b', '$(loading~spin)'];

describe('inertText: notifications and progress (VS Code parseLinkedText)', () => {
  for (const { form, text } of attacks) {
    it(`${form}: ${JSON.stringify(text).slice(0, 70)} → no link`, () => {
      const out = notificationText(text);
      assert.deepEqual(notificationLinks(out), [], out);
      assert.equal(unbroken(out), text, 'the text reads the same');
    });
  }

  it('the regex copied from VS Code does find the raw attack (the check is not vacuous)', () => {
    assert.deepEqual(notificationLinks('[Sign in again](command:workbench.action.terminal.new) Your session has expired.'), [
      '[Sign in again](command:workbench.action.terminal.new)',
    ]);
    assert.ok(notificationLinks('\\[a\\](command:x)').length > 0, 'backslash escapes do not stop parseLinkedText');
  });

  it('a message made of escaped pieces and template text around them has no link, even cut or joined anywhere', () => {
    const piece = fc
      .array(fc.constantFrom('[', ']', '(', ')', '<', '>', '$', 'a', ' ', 'command:x', 'https://h', '"', '\n', '\\'), { maxLength: 24 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.array(fc.constantFrom(' ', ': ', '“', '” ', '. ', '/'), { minLength: 4, maxLength: 4 }), fc.nat(200), (pieces, glue, cut) => {
        const message = pieces.map((p, i) => `${glue[i]}${notificationText(p)}`).join('');
        // VS Code cuts long messages at 1000 characters; any cut of an inert text is inert.
        assert.deepEqual(notificationLinks(message.slice(0, cut)), []);
        assert.deepEqual(notificationLinks(message), []);
        assert.deepEqual(icons(message), []);
      }),
      { numRuns: 2000 },
    );
  });

  it('icons in data do not render (input box prompts parse them)', () => {
    for (const text of iconAttacks) assert.deepEqual(icons(notificationText(text)), [], text);
  });

  it('our own templates cannot join data into a link: no link, and no `]{0}`, `]({0}`, `<{0}` or `${0}` in any l10n template', () => {
    const bundle = JSON.parse(readFileSync(join(root, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
    for (const [english, chinese] of Object.entries(bundle)) {
      for (const template of [english, chinese]) {
        assert.doesNotMatch(template, /\]\(?\{\d+\}|<\{\d+\}|\$\{\d+\}/, template);
        assert.deepEqual(notificationLinks(template), [], template);
      }
    }
  });
});

describe('inertText: labels that render icons (status bar, CodeLens, quick pick) and tree items', () => {
  for (const sink of [iconLabelText, treeItemText]) {
    for (const text of iconAttacks) {
      it(`${sink.name}: ${JSON.stringify(text)} shows no icon and reads the same`, () => {
        const out = sink(text);
        assert.deepEqual(icons(out), []);
        assert.equal(unbroken(out), text);
      });
    }
  }

  it('the icon regex copied from VS Code does find the raw icon (the check is not vacuous)', () => {
    assert.deepEqual(icons('$(sync~spin) x'), ['$(sync~spin)']);
  });

  it('labels keep brackets as they are (quick-pick filtering works on what the user sees)', () => {
    assert.equal(iconLabelText('a [fox](in) <the> rain'), 'a [fox](in) <the> rain');
  });
});

describe('inertText: MarkdownString tooltips (appendText, untrusted, no theme icons)', () => {
  for (const { form, text } of attacks) {
    it(`${form}: ${JSON.stringify(text).slice(0, 70)} → no markup after appendText`, () => {
      const source = vscodeAppendText(markdownText(text));
      assert.deepEqual(markup(source), [], source);
      assert.equal(unbroken(markdownText(text)), text);
    });
  }

  it('appendText alone leaves an autolink live (why markdownText breaks `<` first)', () => {
    assert.deepEqual(markup(vscodeAppendText('<command:workbench.action.terminal.new>')), ['link command:workbench.action.terminal.new%5C']);
    assert.deepEqual(markup(vscodeAppendText('see https://evil.example/x')), ['link https://evil.example/x']);
  });

  for (const text of ['see https://evil.example/x', 'www.evil.example', 'mail me: a@evil.example', 'ftp://x.example/y', '**bold** _it_ `code` # h', '- item\n1. item\n> quote', '$(check) ok']) {
    it(`bare URLs, e-mail addresses and emphasis are plain: ${JSON.stringify(text)}`, () => {
      const out = markdownText(text);
      assert.deepEqual(markup(vscodeAppendText(out)), []);
      assert.deepEqual(icons(out), []);
      assert.equal(unbroken(out), text);
    });
  }
});

describe('inertText: the language-model tool', () => {
  for (const { form, text } of attacks) {
    it(`${form}: no link for a notification-style or a markdown reader`, () => {
      const out = languageModelText(text);
      assert.deepEqual(notificationLinks(out), []);
      assert.deepEqual(
        markup(out).filter((m) => m.startsWith('link') || m.startsWith('html') || m === 'image'),
        [],
        out,
      );
    });
  }

  it('the markdown link the tool hands over for a folder named like a command link is one image, no link', () => {
    const folder = '/ws/[Sign in again](command:workbench.action.terminal.new)';
    for (const alt of ['a fox', '[Sign in again](command:workbench.action.terminal.new)']) {
      const link = formatInsertion({ format: 'markdown', imagePath: `${folder}/images/fox.png`, documentPath: `/ws/doc.md`, alt });
      assert.deepEqual(markup(link), ['image'], link);
    }
  });
});

describe('inertText: a markdown document shown in the markdown preview (Show Resolved Configuration)', () => {
  for (const { form, text } of attacks) {
    it(`${form}: no link, image or HTML in a table cell or a list item`, () => {
      const out = markdownDocumentText(text);
      for (const source of [`| a | ${out.replace(/\|/g, '\\|').replace(/\s+/g, ' ')} |\n|---|---|\n| x | y |`, `- ${out}`]) {
        assert.deepEqual(
          markup(source).filter((m) => m.startsWith('link') || m.startsWith('html') || m === 'image'),
          [],
          source,
        );
      }
    });
  }
});

describe('inertText: plain text stays readable', () => {
  const plain = [
    'a watercolor fox reading a book',
    '一只在雪中的红狐狸，水彩风格',
    'docs/images/狐狸-2.png',
    'C:\\Users\\me\\images\\fox (1).png',
    'The gateway rejected the request (HTTP 400): Tool choice is invalid.',
    'partial image 1/2 · 0:12',
  ];
  for (const text of plain) {
    it(`unchanged by every sink: ${text}`, () => {
      for (const sink of [notificationText, iconLabelText, treeItemText, languageModelText, markdownDocumentText]) assert.equal(sink(text), text, sink.name);
    });
  }

  it('file paths with brackets keep every character; only invisible breaks are added', () => {
    for (const text of ['images/[draft] fox.png', 'docs/[Sign in again](command:x)/images/a.png', 'a < b > c', 'cost $(5)']) {
      for (const sink of [notificationText, markdownText, languageModelText, iconLabelText, treeItemText]) {
        assert.equal(unbroken(sink(text)), text, `${sink.name}(${text})`);
      }
    }
  });
});
