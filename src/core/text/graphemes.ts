/**
 * User-perceived characters (grapheme clusters), so text is never cut inside a surrogate pair, between a base
 * letter and its accent, or inside an emoji sequence.
 *
 * The segmenter is created on first use, not when the module loads: constructing an `Intl.Segmenter` loads ICU's
 * break-iterator data, which took about 10 ms of the extension's activation when two modules did it at load.
 */
let segmenter: Intl.Segmenter | undefined;

export function graphemes(text: string): string[] {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(segmenter.segment(text), (s) => s.segment);
}
