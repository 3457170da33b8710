/**
 * The post-process stage's work on one delivered image, shared by the extension (src/vscode/generation/postProcess.ts)
 * and the command-line tool: read the real size from the bytes, fit it to the asked size (fit.ts), shrink it to
 * maxWidth/maxHeight, and encode it in the format to save (re-encoding happens here because gateways ignore
 * `output_format`: research peers-2026-12 §3). When nothing has to change, the gateway's bytes are kept as they are
 * and no image library is loaded.
 */
import { detectImageType } from '../gateway/imageType';
import type { GeneratedImage, ImageMime, ImageProcessing, SaveFormat } from '../types';
import { parseSize, planChangesPixels, planFit, type FitAction, type FitPlan } from './fit';
import { readPixelSize, type PixelSize } from './imageSize';
import { loadCodecs, type Codecs } from './loadCodecs';
import { cropPixels, flattenOnWhite, padPixels } from './pixels';
import { isFullyOpaque, removeBackground } from './background';
import type { CodecFormat } from './codecs';

export type { ImageProcessing, SaveFormat };
export const SAVE_FORMATS: readonly SaveFormat[] = ['original', 'png', 'webp', 'jpeg'];

export const defaultProcessing: ImageProcessing = { fit: 'crop', format: 'original', quality: 80 };

/** What was done, for the notification and the CLI ("asked 1024×1536, gateway sent 1536×1024, cropped"). */
export interface ProcessReport {
  /** The size asked for, when one was. */
  asked?: PixelSize;
  /** The delivered image's real size (from its bytes); undefined when its header could not be read. */
  delivered?: PixelSize;
  /** The saved image's size. */
  saved?: PixelSize;
  action: FitAction;
  downscaled: boolean;
  /** Set when the saved format differs from the delivered one. */
  converted?: { from: ImageMime; to: ImageMime };
  /** The background was removed locally (transparency asked, none delivered). */
  backgroundRemoved?: boolean;
  /** The gateway refused `background: transparent` (400); the image was asked again without it. */
  transparencyRefused?: boolean;
  /** Why the image could not be processed; it was then kept as delivered (the image is paid for: never lost here). */
  failed?: string;
}

export interface ProcessedImage {
  image: GeneratedImage;
  report: ProcessReport;
}

const MIME_OF: Record<CodecFormat, ImageMime> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };
const FORMAT_OF: Record<ImageMime, CodecFormat> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' };

/**
 * The pixel work of one image, as plain data (structured-cloneable): what `runTransform` does here or in a worker
 * thread (src/core/image/offThread.ts), so the extension host's event loop is not blocked by it.
 */
export interface TransformJob {
  image: GeneratedImage;
  plan: FitPlan;
  from: CodecFormat;
  to: CodecFormat;
  quality: number;
  report: ProcessReport;
  wantsAlpha: boolean;
}

/** Runs a job: in this thread by default; the extension hands it to a worker thread. */
export type Transformer = (job: TransformJob) => Promise<ProcessedImage>;

/**
 * Processes `image` as `processing` says, for a request that asked `askedSize` (`WxH`, `auto` or undefined). The
 * decisions (the plan, whether pixels change at all) are made here; only the pixel work goes to `transformer`.
 */
export async function processImage(
  image: GeneratedImage,
  askedSize: string | undefined,
  processing: ImageProcessing,
  codecs: () => Promise<Codecs> = loadCodecs,
  transformer: Transformer = (job) => runTransform(job, codecs),
): Promise<ProcessedImage> {
  const asked = parseSize(askedSize);
  const delivered = readPixelSize(image.bytes, image.mime);
  const base = {
    ...(asked ? { asked } : {}),
    action: 'kept' as FitAction,
    downscaled: false,
    ...(image.transparencyRefused === true ? { transparencyRefused: true } : {}),
  };
  if (!delivered) return { image, report: base };
  const plan = planFit(delivered, asked, processing);
  const from = FORMAT_OF[image.mime];
  // Transparency asked of a JPEG kept as it was: saved as PNG, the one lossless format with alpha.
  const to: CodecFormat = processing.format === 'original' ? (processing.transparent === true && from === 'jpeg' ? 'png' : from) : processing.format;
  const wantsAlpha = processing.transparent === true && to !== 'jpeg';
  const report: ProcessReport = { ...base, delivered, saved: plan.canvas, action: plan.action, downscaled: plan.downscaled };
  if (!planChangesPixels(plan, delivered) && to === from && !wantsAlpha) return { image, report };

  try {
    return await transformer({ image, plan, from, to, quality: processing.quality, report, wantsAlpha });
  } catch (err) {
    const failed = err instanceof Error ? err.message : String(err);
    return { image, report: { ...report, saved: delivered, action: 'kept', downscaled: false, failed } };
  }
}

/** The pixel work: decode, take out the background when asked, crop, resample, pad, encode. Throws on failure. */
export async function runTransform(job: TransformJob, codecs: () => Promise<Codecs> = loadCodecs): Promise<ProcessedImage> {
  const { image, plan, from, to, quality, report, wantsAlpha } = job;
  const { decode, encode, resize } = await codecs();
  let pixels = await decode(image.bytes, from);
  let backgroundRemoved = false;
  if (wantsAlpha && isFullyOpaque(pixels)) {
    pixels = removeBackground(pixels).image;
    backgroundRemoved = true;
  } else if (wantsAlpha && to === from && !planChangesPixels(plan, { width: pixels.width, height: pixels.height })) {
    // The gateway's alpha is real and nothing else changes: its bytes are kept.
    return { image, report };
  }
  pixels = cropPixels(pixels, plan.source);
  pixels = await resize(pixels, plan.content.width, plan.content.height);
  // JPEG has no alpha: its padding is white; PNG and WebP keep it transparent.
  const fill = to === 'jpeg' ? ([255, 255, 255, 255] as const) : ([0, 0, 0, 0] as const);
  pixels = padPixels(pixels, plan.canvas.width, plan.canvas.height, plan.offset.x, plan.offset.y, fill);
  if (to === 'jpeg') pixels = flattenOnWhite(pixels);
  const bytes = await encode(pixels, to, quality);
  const type = detectImageType(bytes);
  if (!type || type.mime !== MIME_OF[to]) throw new Error(`The ${to} encoder produced no valid image.`);
  return {
    image: { ...image, bytes, mime: type.mime, extension: type.extension },
    report: { ...report, ...(to !== from ? { converted: { from: image.mime, to: type.mime } } : {}), ...(backgroundRemoved ? { backgroundRemoved } : {}) },
  };
}

const MIME_LABEL: Record<ImageMime, string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WebP' };
const sizeText = (size: PixelSize): string => `${size.width}×${size.height}`;

/**
 * The report in words, empty when nothing worth saying happened: "asked 1024×1536, gateway sent 1536×1024, cropped",
 * "1536×1024, downscaled to 800×533", "converted PNG to WebP".
 */
export function describeProcessing(report: ProcessReport): string {
  const parts: string[] = [];
  const { asked, delivered, saved } = report;
  if (asked && delivered && (asked.width !== delivered.width || asked.height !== delivered.height)) {
    parts.push(`asked ${sizeText(asked)}, gateway sent ${sizeText(delivered)}`);
    const sameAspect = asked.width * delivered.height === asked.height * delivered.width;
    parts.push(report.action === 'kept' ? (sameAspect ? 'same aspect, kept as sent' : 'kept as sent') : report.action);
  }
  if (report.downscaled && saved) parts.push(`downscaled to ${sizeText(saved)}`);
  if (report.transparencyRefused) parts.push('the gateway refused a transparent background');
  if (report.backgroundRemoved) parts.push('background removed locally');
  if (report.converted) parts.push(`converted ${MIME_LABEL[report.converted.from]} to ${MIME_LABEL[report.converted.to]}`);
  if (report.failed !== undefined) parts.push(`could not be processed (${report.failed}), saved as delivered`);
  return parts.join(', ');
}
