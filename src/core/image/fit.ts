/**
 * The geometry of fitting a delivered image to the asked size (issue 12 item 1), as a plan of plain numbers so it is
 * checked without pixels: which rectangle of the source is kept, what size it is resampled to, and where it sits on
 * the final canvas. Gateways ignore `size` (the Codex upstream sent 1536×1024 for every request in one measurement,
 * research peers-2026-12 §3), so the asked size is made here.
 *
 *   crop     scale to cover the asked size, cut the centre: exactly the asked size, nothing added.
 *   contain  scale to fit inside the asked size, pad the rest (transparent, or white for JPEG): exactly the asked size,
 *            nothing cut.
 *   none     keep the delivered size.
 * An image of the asked aspect is only ever made smaller (to the asked size): enlarging it would add bytes, not
 * detail, and its shape already fits the document. A different aspect is fitted to exactly the asked size, which may
 * enlarge the kept part (1536×1024 cropped for 1024×1536 keeps 683×1024 and scales it by 1.5).
 * Then `maxWidth`/`maxHeight` shrink the result (never enlarge it), keeping its aspect.
 */
import type { FitMode } from '../types';
import type { PixelSize } from './imageSize';
import type { Rect } from './pixels';

export type { FitMode };
export const FIT_MODES: readonly FitMode[] = ['crop', 'contain', 'none'];

export interface FitOptions {
  fit: FitMode;
  maxWidth?: number;
  maxHeight?: number;
}

/** What happened to the shape, for the notification: kept, cut to the aspect, padded to it, or only resized. */
export type FitAction = 'kept' | 'cropped' | 'padded' | 'scaled';

export interface FitPlan {
  /** The part of the delivered image that is kept. */
  source: Rect;
  /** Its size after resampling. */
  content: PixelSize;
  /** The saved image's size: `content` plus any padding. */
  canvas: PixelSize;
  /** Where `content` sits on the canvas. */
  offset: { x: number; y: number };
  action: FitAction;
  /** True when maxWidth/maxHeight made it smaller. */
  downscaled: boolean;
}

/** `1024x1536` → { width: 1024, height: 1536 }; `auto`, empty or malformed → undefined. */
export function parseSize(size: string | undefined): PixelSize | undefined {
  const match = /^\s*(\d{1,5})\s*[xX×]\s*(\d{1,5})\s*$/.exec(size ?? '');
  if (!match) return undefined;
  const width = Number(match[1]);
  const height = Number(match[2]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** `16:9` → 16/9 width per height; undefined when malformed. */
export function parseAspect(aspect: string): { width: number; height: number } | undefined {
  const match = /^\s*(\d{1,5}(?:\.\d+)?)\s*[:/xX]\s*(\d{1,5}(?:\.\d+)?)\s*$/.exec(aspect);
  if (!match) return undefined;
  const width = Number(match[1]);
  const height = Number(match[2]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/**
 * A size for an aspect ratio: the shorter side 1024, the longer one in proportion, rounded to a multiple of 16 (what
 * gpt-image models accept), so 3:2 is 1536×1024, 2:3 is 1024×1536, 16:9 is 1824×1024. Undefined beyond 3:1, which
 * the image models refuse.
 */
export function sizeForAspect(aspect: { width: number; height: number }): PixelSize | undefined {
  const ratio = aspect.width / aspect.height;
  if (!(ratio >= 1 / 3 && ratio <= 3)) return undefined;
  const long = (short: number, r: number): number => Math.round((short * r) / 16) * 16;
  return ratio >= 1 ? { width: long(1024, ratio), height: 1024 } : { width: 1024, height: long(1024, 1 / ratio) };
}

/** Rounded, never below 1. */
const px = (value: number): number => Math.max(1, Math.round(value));

/** The plan for a `delivered` image when `asked` was requested (undefined: no size asked, or `auto`). */
export function planFit(delivered: PixelSize, asked: PixelSize | undefined, options: FitOptions): FitPlan {
  const whole: Rect = { x: 0, y: 0, width: delivered.width, height: delivered.height };
  let plan: FitPlan;
  if (!asked || options.fit === 'none' || (asked.width === delivered.width && asked.height === delivered.height)) {
    plan = { source: whole, content: { ...delivered }, canvas: { ...delivered }, offset: { x: 0, y: 0 }, action: 'kept', downscaled: false };
  } else if (asked.width * delivered.height === asked.height * delivered.width) {
    // Same aspect, other size: both modes only resample, and only down (see the file comment).
    plan =
      delivered.width > asked.width
        ? { source: whole, content: { ...asked }, canvas: { ...asked }, offset: { x: 0, y: 0 }, action: 'scaled', downscaled: false }
        : { source: whole, content: { ...delivered }, canvas: { ...delivered }, offset: { x: 0, y: 0 }, action: 'kept', downscaled: false };
  } else if (options.fit === 'crop') {
    const sourceWider = delivered.width * asked.height > asked.width * delivered.height;
    const width = sourceWider ? Math.min(delivered.width, px((delivered.height * asked.width) / asked.height)) : delivered.width;
    const height = sourceWider ? delivered.height : Math.min(delivered.height, px((delivered.width * asked.height) / asked.width));
    const source = { x: Math.floor((delivered.width - width) / 2), y: Math.floor((delivered.height - height) / 2), width, height };
    plan = { source, content: { ...asked }, canvas: { ...asked }, offset: { x: 0, y: 0 }, action: 'cropped', downscaled: false };
  } else {
    const scale = Math.min(asked.width / delivered.width, asked.height / delivered.height);
    const content = { width: Math.min(asked.width, px(delivered.width * scale)), height: Math.min(asked.height, px(delivered.height * scale)) };
    const offset = { x: Math.floor((asked.width - content.width) / 2), y: Math.floor((asked.height - content.height) / 2) };
    plan = { source: whole, content, canvas: { ...asked }, offset, action: 'padded', downscaled: false };
  }
  return limitSize(plan, options);
}

/** Shrinks the whole plan (content, padding, offset) so the canvas fits maxWidth×maxHeight. */
function limitSize(plan: FitPlan, options: FitOptions): FitPlan {
  const factor = Math.min(1, (options.maxWidth ?? Infinity) / plan.canvas.width, (options.maxHeight ?? Infinity) / plan.canvas.height);
  if (!(factor < 1)) return plan;
  const canvas = { width: px(plan.canvas.width * factor), height: px(plan.canvas.height * factor) };
  const padded = plan.canvas.width !== plan.content.width || plan.canvas.height !== plan.content.height;
  const content = padded
    ? { width: Math.min(canvas.width, px(plan.content.width * factor)), height: Math.min(canvas.height, px(plan.content.height * factor)) }
    : canvas;
  const offset = { x: Math.floor((canvas.width - content.width) / 2), y: Math.floor((canvas.height - content.height) / 2) };
  return { ...plan, content, canvas, offset, downscaled: true };
}

/** True when the plan changes pixels (the image must be decoded and encoded again). */
export function planChangesPixels(plan: FitPlan, delivered: PixelSize): boolean {
  return (
    plan.source.width !== delivered.width ||
    plan.source.height !== delivered.height ||
    plan.content.width !== delivered.width ||
    plan.content.height !== delivered.height ||
    plan.canvas.width !== delivered.width ||
    plan.canvas.height !== delivered.height
  );
}

/** The shape named for the size phrase: portrait, landscape or square. */
export function orientation(size: PixelSize): 'portrait' | 'landscape' | 'square' {
  return size.width === size.height ? 'square' : size.width > size.height ? 'landscape' : 'portrait';
}

/**
 * The short fixed phrase added to the prompt when a size is asked, so a gateway that drops `size` still composes
 * for the aspect: "Image size: 1024×1536 (portrait)."
 */
export function sizePhrase(size: PixelSize): string {
  return `Image size: ${size.width}×${size.height} (${orientation(size)}).`;
}
