/**
 * Variants (issue 13 item 3): how many candidates of one prompt a run makes. Each candidate is its own request
 * (gateways on the Codex upstream ignore `n`), so the count is also how many requests run at the same time; it is
 * small on purpose. The setting and the prompt box's choice are read through `variantCount`, so a hand-edited
 * settings.json (`"cpaImage.variants": 9`, `"2"`, `2.5`) still gives a count the run can use.
 */

export const MIN_VARIANTS = 1;
export const MAX_VARIANTS = 4;

/** The counts the prompt box offers, in order. */
export const VARIANT_COUNTS: readonly number[] = Array.from({ length: MAX_VARIANTS - MIN_VARIANTS + 1 }, (_, i) => MIN_VARIANTS + i);

/**
 * A whole number from 1 to 4: a number is rounded down and clamped, a numeric string read as a number, anything
 * else (undefined, NaN, text, an object) is 1 — one image, as without the setting.
 */
export function variantCount(value: unknown): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(number)) return MIN_VARIANTS;
  return Math.min(MAX_VARIANTS, Math.max(MIN_VARIANTS, Math.floor(number)));
}
