/**
 * The two small facts that configuration resolution (config.ts) and OpenClaw's files (openclaw.ts) share.
 * They live here so that neither module imports the other's internals (config.ts reads openclaw.ts's
 * result; openclaw.ts must not import config.ts back).
 */

/** A value and where it came from ("setting cpaImage.baseUrl", "env IMAGE_GEN_KEY", a file…). */
export interface Resolved<T> {
  value: T;
  source: string;
}

/**
 * `gpt-image-*` (also behind a provider prefix such as `openai/gpt-image-1`) names an image model. The
 * Responses route needs a text model that calls the image tool, so such a model is refused there.
 */
export function isImageModel(model: string): boolean {
  const lastSegment = model.trim().toLowerCase().split('/').pop() ?? '';
  return lastSegment.startsWith('gpt-image');
}
