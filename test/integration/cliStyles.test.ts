/**
 * Styles from the command line (issue 13 item 5): `--style NAME` adds the style's text to the prompt as sent; in
 * `fill`, a document's front matter `image-style: NAME` wins over --style; an unknown name fails before any request
 * (one image) or fails that document's images (fill). The built CLI in a child process against the test gateway.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliTestBed } from '../support/cliTestBed';
import { BUILT_IN_STYLES } from '../../src/core/prompt/styles';

describe('CLI: styles', () => {
  const bed = cliTestBed('styles');

  async function run(args: string[], files: Record<string, string> = {}) {
    const r = await bed.run(bed.gw.scenarioUrl('ok'), args, {
      prepare: async (cwd) => {
        for (const [name, text] of Object.entries(files)) {
          await mkdir(join(cwd, name, '..'), { recursive: true });
          await writeFile(join(cwd, name), text);
        }
      },
    });
    return { ...r, inputs: r.requests.map((q) => (q.json as { input?: unknown }).input as string) };
  }

  it('--style watercolor: the style text follows the prompt in what is sent', async () => {
    const r = await run(['--prompt', 'a fox', '-o', 'fox.png', '--style', 'watercolor']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.inputs, [`a fox\n\n${BUILT_IN_STYLES['watercolor']}`]);
  });

  it('--style cubist: a usage of an unknown style fails before any request, naming the known ones', async () => {
    const r = await run(['--prompt', 'a fox', '--style', 'cubist']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /The style 'cubist' is not defined\. Known styles: diagram, flat illustration, watercolor, photo, line art/);
    assert.deepEqual(r.inputs, []);
  });

  it("fill: a document's front matter image-style wins over --style; a document without one gets --style", async () => {
    const styled = '---\ntitle: Manual\nimage-style: line art\n---\n# Manual\n\n![a lighthouse]()\n';
    const plain = '# Notes\n\n![a harbour]()\n';
    const r = await run(['fill', 'docs/manual.md', 'docs/notes.md', '--style', 'photo'], { 'docs/manual.md': styled, 'docs/notes.md': plain });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual([...r.inputs].sort(), [`a harbour\n\n${BUILT_IN_STYLES['photo']}`, `a lighthouse\n\n${BUILT_IN_STYLES['line art']}`].sort());
    assert.match(await readFile(join(r.cwd, 'docs/manual.md'), 'utf8'), /^---\ntitle: Manual\nimage-style: line art\n---\n# Manual\n\n!\[a lighthouse\]\(images\/a-lighthouse\.png\)\n$/);
  });
});
