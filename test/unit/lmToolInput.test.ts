import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readToolInput } from '../../src/vscode/lmTool/toolInput';

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
