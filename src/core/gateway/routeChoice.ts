/**
 * The `auto` route's two questions (issue 14 item 1): did the Responses route show that its image tool is
 * unavailable, and does the gateway offer the Images route? Pure: the client asks the gateway, these read the answers.
 */
import type { GatewayError } from '../errors';
import type { RouteSwitch } from '../types';
import { isImageModel } from '../config/resolved';
import { asRecord } from '../json';
import { parseJsonBody } from './responseReader';

/** The error's own words and the gateway's, where a tool's name would appear. */
function words(error: GatewayError): string {
  return [error.message, error.details.gatewayMessage ?? '', error.details.code ?? ''].join('\n');
}

/**
 * Why the Responses route cannot make the image, when the error shows its tool is unavailable: a text answer after the
 * retries (`no_image` without a stop reason: the tool was stripped or never called), `Tool choice 'image_generation'
 * not found` (CPA with the tool stripped and a forced choice, gateway.md §2.6), or a 403 that names the tool. Any
 * other failure (rate limit, key, content policy, a response stopped early) is not the route's fault: undefined.
 */
export function imageToolUnavailable(error: GatewayError): RouteSwitch['reason'] | undefined {
  const text = words(error);
  if (error.kind === 'no_image' && error.details.code === undefined && !/stopped early/i.test(error.message)) return 'text_fallback';
  if (/tool[ _]choice\b[^\n]{0,80}image_generation[^\n]{0,40}not found/i.test(text)) return 'tool_not_found';
  if (error.kind === 'forbidden' && /image[_ ]generation|image tool/i.test(text)) return 'tool_forbidden';
  return undefined;
}

/** Whether a `/v1/models` list names an image model (the configured one, or any `gpt-image-*`). */
export function listsImageModel(models: readonly string[], imageModel: string | undefined): boolean {
  const wanted = imageModel?.trim().toLowerCase();
  return models.some((id) => id.trim().toLowerCase() === wanted || isImageModel(id));
}

/**
 * What the free probe's answer says (images-api.md §6): `POST /v1/images/generations` with `{}` is refused with a 400
 * naming the missing prompt when the route is there; an empty 404 means it is not (CPA before v6.9.32, or
 * `disable-image-generation: true`). Anything else tells nothing.
 */
export function probeShowsImagesRoute(status: number, bodyText: string): boolean {
  if (status !== 400 && status !== 422) return false;
  const parsed = parseJsonBody(bodyText);
  const error = parsed.ok ? asRecord(asRecord(parsed.value)?.error) : undefined;
  const message = typeof error?.message === 'string' ? error.message : bodyText;
  return /\bprompt\b/i.test(message.slice(0, 2000));
}

/**
 * Whether a JSON edit was refused for its form, so the multipart form is worth one try: 415, or a 400 that speaks of
 * the content type, a form, or a missing image file (what a multipart-only reader says of a JSON body).
 */
export function jsonEditRefused(error: GatewayError): boolean {
  const status = error.details.status;
  if (status === 415) return true;
  if (status !== 400) return false;
  return /content[- ]type|multipart|form-data|image is required|expected a file|must be a file/i.test(words(error));
}
