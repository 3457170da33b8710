/** Filling several empty image links of one document at once changes only their targets (src/core/markdown/fillTargets.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findEmptyImageLinks } from '../../src/core/markdown/emptyImageLinks';
import { applyTargetFills } from '../../src/core/markdown/fillTargets';

const doc = [
  '---',
  'title: ![not in front matter]()',
  '---',
  '# Guide',
  '',
  'Intro ![Loading screen]() and ![the map]( ) then ![a fox] end.',
  '',
  '```',
  '![in code]()',
  '```',
  '',
  '<!-- ![in a comment]() -->',
  '![last](<>)',
  '',
].join('\r\n');

describe('applyTargetFills', () => {
  it('fills every found target, in any order given, and leaves every other byte as it was', () => {
    const links = findEmptyImageLinks(doc);
    assert.deepEqual(links.map((l) => l.rawAlt), ['Loading screen', 'the map', 'a fox', 'last'], 'code, comments and front matter are skipped');
    const fills = links.map((link, i) => ({ link, destination: `images/${i}.png` })).reverse();
    // The whole output is compared: the four targets filled, every other byte as it was (CRLF line ends included).
    assert.equal(
      applyTargetFills(doc, fills),
      doc
        .replace('![Loading screen]()', '![Loading screen](images/0.png)')
        .replace('![the map]( )', '![the map](images/1.png)')
        .replace('![a fox] end', '![a fox](images/2.png) end')
        .replace('![last](<>)', '![last](images/3.png)'),
    );
  });

  it('fills only the links it is given', () => {
    const links = findEmptyImageLinks(doc);
    const out = applyTargetFills(doc, [{ link: links[1]!, destination: 'x.webp' }]);
    assert.equal(out, doc.replace('![the map]( )', '![the map](x.webp)'));
  });

  it('refuses a link whose text changed since it was found, and changes nothing', () => {
    const links = findEmptyImageLinks(doc);
    const edited = doc.replace('![Loading screen]()', '![Loading screen](done.png)');
    assert.throws(() => applyTargetFills(edited, [{ link: links[0]!, destination: 'images/0.png' }]), /no longer the empty link/);
  });
});
