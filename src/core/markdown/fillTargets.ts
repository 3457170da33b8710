/**
 * Fills the targets of several empty image links of one text at once (the CLI's `fill`): each link's `()` — or
 * the empty place after the `]` of a missing target — becomes `(destination)`, and no other character of the text
 * changes. The links must have been found in this very text (`findEmptyImageLinks`); a link whose target is no
 * longer what was found there is refused rather than guessed at.
 */
import { filledTarget, type EmptyImageLink } from './emptyImageLinks';

export interface TargetFill {
  link: EmptyImageLink;
  /** The link destination, already in the form `markdownImageDestination` gives. */
  destination: string;
}

export function applyTargetFills(text: string, fills: readonly TargetFill[]): string {
  const sorted = [...fills].sort((a, b) => a.link.targetStart - b.link.targetStart);
  for (let i = 0; i < sorted.length; i++) {
    const { link } = sorted[i] as TargetFill;
    const written = text.slice(link.targetStart, link.targetEnd);
    const stillEmpty = link.kind === 'missing' ? link.targetStart === link.targetEnd && text[link.targetStart - 1] === ']' : /^\(\s*(<>)?\s*\)$/.test(written);
    if (!stillEmpty || text.slice(link.altStart, link.altEnd) !== link.rawAlt) {
      throw new Error(`The image link at offset ${link.start} is no longer the empty link that was found there.`);
    }
    const previous = sorted[i - 1];
    if (previous && previous.link.targetEnd > link.targetStart) throw new Error(`Two fills overlap at offset ${link.targetStart}.`);
  }
  let out = '';
  let at = 0;
  for (const { link, destination } of sorted) {
    out += text.slice(at, link.targetStart) + filledTarget(destination);
    at = link.targetEnd;
  }
  return out + text.slice(at);
}
