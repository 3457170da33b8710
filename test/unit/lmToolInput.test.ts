import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chosenDestinationPattern, resolveDestination } from '../../src/core/files/destination';
import { MAX_TOOL_DOCUMENT_PATH, readToolInput, type GenerateImageInput } from '../../src/vscode/features/lmTool/toolInput';
import { FileError } from '../../src/core/files/fileError';

describe('readToolInput (the agent tool input)', () => {
  const valid: [string, unknown, ReturnType<typeof readToolInput>][] = [
    ['a prompt only', { prompt: 'a fox' }, { prompt: 'a fox' }],
    ['trimmed prompt and destination', { prompt: '  a fox \n', destination: ' docs/images/fox.png ' }, { prompt: 'a fox', destination: 'docs/images/fox.png' }],
    ['insert requested', { prompt: 'a fox', insertIntoActiveMarkdown: true }, { prompt: 'a fox', insertIntoActiveMarkdown: true }],
    ['insert declined is left out', { prompt: 'a fox', insertIntoActiveMarkdown: false }, { prompt: 'a fox' }],
    ['null optional fields are left out', { prompt: 'a fox', destination: null, insertIntoActiveMarkdown: null }, { prompt: 'a fox' }],
    ['unknown fields are ignored', { prompt: 'a fox', size: '1024x1024' }, { prompt: 'a fox' }],
  ];
  for (const [name, input, expected] of valid) it(`reads ${name}`, () => assert.deepEqual(readToolInput(input), expected));

  const invalid: [string, unknown, RegExp][] = [
    ['no input', undefined, /non-empty "prompt"/],
    ['an array', ['a fox'], /non-empty "prompt"/],
    ['a missing prompt', { destination: 'x.png' }, /non-empty "prompt"/],
    ['a blank prompt', { prompt: '   ' }, /non-empty "prompt"/],
    ['a prompt that is not text', { prompt: 42 }, /non-empty "prompt"/],
    ['a blank destination', { prompt: 'a fox', destination: ' ' }, /"destination" must be a workspace-relative file path/],
    ['a destination that is not text', { prompt: 'a fox', destination: ['x.png'] }, /"destination"/],
    ['an insert flag that is not boolean', { prompt: 'a fox', insertIntoActiveMarkdown: 'yes' }, /"insertIntoActiveMarkdown" must be true or false/],
  ];
  for (const [name, input, message] of invalid) it(`refuses ${name}`, () => assert.throws(() => readToolInput(input), message));
});

describe('the agent tool\'s destination: refused before any request, and again when saving (issue 9, item 6)', () => {
  const refused: [string, string, RegExp][] = [
    ['an ESC in a folder name', 'docs/\u001b[31mred/fox.png', /"destination" contains the control character U\+001B; file and folder names may not hold control characters \(C0, DEL, C1\)/],
    ['a newline inside the file name', 'docs/fox\nx.png', /control character U\+000A/],
    ['DEL', 'fox\u007f.png', /control character U\+007F/],
    ['a C1 control (CSI)', 'fox\u009b2J.png', /control character U\+009B/],
    ['.git/', '.git/hooks/post-checkout.png', /"destination" writes inside \.git\/ \(the segment '\.git'\)/],
    ['.vscode/', '.vscode/tasks.png', /writes inside \.vscode\//],
    ['.GIT in upper case', 'a/.GIT/x.png', /writes inside \.git\//],
    ['.git reached by ..', 'a/../.git/x.png', /writes inside \.git\//],
    ['.vscode as the folder to name the file in', '/.vscode/', /writes inside \.vscode\//],
    ['.git with a trailing dot (Windows drops it)', '.git./config.png', /writes inside \.git\//],
  ];
  for (const [name, destination, message] of refused) {
    it(`refuses ${name}, naming the rule`, () => {
      assert.throws(() => readToolInput({ prompt: 'a fox', destination }), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, message);
        assert.match(e.message, /Choose another workspace-relative path, or leave it out\.$/);
        assert.doesNotMatch(e.message, /[\u0000-\u001f\u007f-\u009f]/, 'the message (read by the model and shown in the chat) carries no raw control character');
        return true;
      });
      // The save applies the same rules to the path the tool builds, should a caller get past the input check.
      assert.throws(
        () => resolveDestination({ workspaceFolderPath: '/ws', pattern: chosenDestinationPattern(destination, 'png'), slug: 'a-fox', ext: 'png' }),
        (e: unknown) => e instanceof FileError && /control character|writes inside/.test(e.message),
      );
    });
  }

  const accepted: [string, string, string][] = [
    ['a plain path', 'docs/images/fox.png', '/ws/docs/images/fox.png'],
    ['a folder that only looks like .git', '.github/images/fox.png', '/ws/.github/images/fox.png'],
    ['a path through .git that leaves it again', 'a/.git/../fox.png', '/ws/a/fox.png'],
    ['a folder', 'art/', '/ws/art/a-fox.png'],
  ];
  for (const [name, destination, path] of accepted) {
    it(`accepts ${name} and saves it inside the workspace`, () => {
      const input = readToolInput({ prompt: 'a fox', destination }) as GenerateImageInput;
      assert.equal(input.destination, destination);
      assert.equal(resolveDestination({ workspaceFolderPath: '/ws', pattern: chosenDestinationPattern(destination, 'png'), slug: 'a-fox', ext: 'png' }), path);
    });
  }

  it('refuses a destination over 1024 characters before any rule reads it (a million dots would make a trailing-dot regex quadratic)', () => {
    assert.throws(() => readToolInput({ prompt: 'a fox', destination: `${'.'.repeat(1_000_000)}x` }), /"destination" is 1000001 characters long; at most 1024 are allowed\./);
    assert.equal((readToolInput({ prompt: 'a fox', destination: `${'.'.repeat(1000)}x/y.png` }) as GenerateImageInput).destination, `${'.'.repeat(1000)}x/y.png`);
  });

  it('a path out of the workspace still passes the input check and is refused at the save as outside (containment unchanged)', () => {
    const input = readToolInput({ prompt: 'a fox', destination: '../../etc/x.png' }) as GenerateImageInput;
    assert.throws(
      () => resolveDestination({ workspaceFolderPath: '/ws', pattern: chosenDestinationPattern(input.destination ?? '', 'png'), slug: 'a-fox', ext: 'png' }),
      /outside the workspace folder \/ws/,
    );
  });
});

describe('the agent tool\'s variants and fill mode (issue 13 item 7)', () => {
  const valid: [string, unknown, ReturnType<typeof readToolInput>][] = [
    ['one variant is the plain call', { prompt: 'a fox', variants: 1 }, { prompt: 'a fox' }],
    ['two variants', { prompt: 'a fox', variants: 2 }, { prompt: 'a fox', variants: 2 }],
    ['four variants with a destination', { prompt: 'a fox', variants: 4, destination: 'art/fox.png' }, { prompt: 'a fox', destination: 'art/fox.png', variants: 4 }],
    ['null variants are left out', { prompt: 'a fox', variants: null }, { prompt: 'a fox' }],
    ['a document to fill', { fillDocument: 'docs/guide.md' }, { fillDocument: 'docs/guide.md' }],
    ['a document path trimmed and normalised', { fillDocument: ' docs/./drafts/../guide.markdown ' }, { fillDocument: 'docs/guide.markdown' }],
    ['a document path with backslashes', { fillDocument: 'docs\\guide.mdx' }, { fillDocument: 'docs/guide.mdx' }],
    ['a fill with the insert flag off', { fillDocument: 'README.md', insertIntoActiveMarkdown: false }, { fillDocument: 'README.md' }],
  ];
  for (const [name, input, expected] of valid) it(`reads ${name}`, () => assert.deepEqual(readToolInput(input), expected));

  const invalid: [string, unknown, RegExp][] = [
    ['zero variants', { prompt: 'a fox', variants: 0 }, /"variants" must be a whole number from 1 to 4/],
    ['five variants', { prompt: 'a fox', variants: 5 }, /"variants" must be a whole number from 1 to 4/],
    ['a fraction of a variant', { prompt: 'a fox', variants: 2.5 }, /"variants" must be a whole number/],
    ['variants as text', { prompt: 'a fox', variants: '2' }, /"variants" must be a whole number/],
    ['a huge number of variants', { prompt: 'a fox', variants: 1e9 }, /"variants" must be a whole number from 1 to 4/],
    ['a fill with a prompt', { fillDocument: 'docs/guide.md', prompt: 'a fox' }, /"prompt" does not apply with "fillDocument"/],
    ['a fill with variants', { fillDocument: 'docs/guide.md', variants: 2 }, /"variants" does not apply with "fillDocument"/],
    ['a fill with a destination', { fillDocument: 'docs/guide.md', destination: 'art/' }, /"destination" does not apply with "fillDocument"/],
    ['a fill that asks to insert at the cursor', { fillDocument: 'docs/guide.md', insertIntoActiveMarkdown: true }, /"insertIntoActiveMarkdown" does not apply/],
    ['a blank document', { fillDocument: '  ' }, /"fillDocument" must be the workspace-relative path of a markdown document/],
    ['a document that is not text', { fillDocument: ['docs/guide.md'] }, /"fillDocument" must be the workspace-relative path/],
    ['an absolute document path', { fillDocument: '/etc/motd.md' }, /not an absolute path/],
    ['a Windows drive path', { fillDocument: 'C:\\notes\\a.md' }, /not an absolute path/],
    ['a path out of the workspace', { fillDocument: 'docs/../../secrets.md' }, /leads out of the workspace folder/],
    ['a file that is not markdown', { fillDocument: 'docs/notes.txt' }, /must name a markdown document/],
    ['a document inside .git', { fillDocument: '.git/description.md' }, /"fillDocument" writes inside \.git\//],
    ['a control character', { fillDocument: 'docs/\u001b[31mred.md' }, /"fillDocument" contains the control character U\+001B/],
    ['an overlong path', { fillDocument: `${'a/'.repeat(MAX_TOOL_DOCUMENT_PATH)}x.md` }, /"fillDocument" is \d+ characters long; at most 1024/],
  ];
  for (const [name, input, message] of invalid) {
    it(`refuses ${name}`, () =>
      assert.throws(() => readToolInput(input), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, message);
        assert.doesNotMatch(e.message, /[\u0000-\u001f\u007f-\u009f]/, 'no raw control character goes back to the model');
        return true;
      }));
  }
});
