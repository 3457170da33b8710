/**
 * The Images route's requests (issue 14, images-api.md §2): `POST <base>/v1/images/generations` as JSON, and
 * `POST <base>/v1/images/edits` as JSON with the images and the mask as data URLs (`images: [{image_url}]`,
 * `mask: {image_url}`), or as a multipart form where a gateway refuses the JSON form. CLIProxyAPI takes both forms
 * and turns the multipart one into the JSON one before it goes upstream (docs/images-route.md). Pure, like
 * request.ts: every byte sent can be checked by a unit test.
 */
import type { GatewaySettings, ImageRequest, InputImage } from '../types';
import { GatewayError } from '../errors';
import { promptWithStyle } from '../prompt/styles';
import { baseHeaders, dataUrl, imagesUrl, promptWithSize, type HttpRequest } from './request';

/** The fields after the prompt (and the edit's images), in the order the brief and the API list them; each only when set. */
function optionFields(settings: GatewaySettings): [string, string | number | boolean][] {
  const { tool } = settings;
  const fields: [string, string | number | boolean][] = [];
  if (tool.size !== undefined) fields.push(['size', tool.size]);
  if (tool.quality !== undefined) fields.push(['quality', tool.quality]);
  if (tool.background !== undefined) fields.push(['background', tool.background]);
  fields.push(['output_format', tool.outputFormat]);
  if (tool.outputCompression !== undefined) fields.push(['output_compression', tool.outputCompression]);
  if (tool.moderation !== undefined) fields.push(['moderation', tool.moderation]);
  // One image per request: gateways on the Codex upstream are not known to honour n > 1 (images-api.md §7).
  fields.push(['n', 1]);
  fields.push(['stream', settings.stream]);
  if (settings.stream && tool.partialImages !== undefined) fields.push(['partial_images', tool.partialImages]);
  return fields;
}

function imageModel(settings: GatewaySettings): string {
  const model = settings.imageModel?.trim();
  if (!model) throw new GatewayError('config', 'No image model is set for the Images route. Set cpaImage.imageModel (or --image-model), e.g. gpt-image-2.');
  return model;
}

function sentPrompt(settings: GatewaySettings, request: ImageRequest): string {
  return promptWithSize(settings, promptWithStyle(request.prompt, settings.style?.text));
}

function isEdit(request: ImageRequest): boolean {
  return (request.inputImages?.length ?? 0) > 0;
}

/** `generations` for a new image, `edits` when images are sent along. */
export function buildImagesRequest(settings: GatewaySettings, request: ImageRequest): HttpRequest {
  const edit = isEdit(request);
  const body: Record<string, unknown> = { model: imageModel(settings), prompt: sentPrompt(settings, request) };
  if (edit) {
    body.images = (request.inputImages ?? []).map((image) => ({ image_url: dataUrl(image) }));
    if (request.mask) body.mask = { image_url: dataUrl(request.mask) };
  }
  for (const [name, value] of optionFields(settings)) body[name] = value;
  return {
    url: imagesUrl(settings.baseUrl, edit ? 'edits' : 'generations'),
    method: 'POST',
    headers: baseHeaders(settings, settings.stream ? 'text/event-stream' : 'application/json'),
    body: JSON.stringify(body),
  };
}

/** File names for the form's parts; the type is what the gateway reads (CPA labels a part without one octet-stream). */
function fileName(image: InputImage, stem: string): string {
  const extension = image.mime === 'image/jpeg' ? 'jpg' : image.mime === 'image/webp' ? 'webp' : 'png';
  return `${stem}.${extension}`;
}

/**
 * The edit as `multipart/form-data`: text fields, the images as `image[]` files and the mask as the `mask` file, each
 * with its real Content-Type. The boundary is given so a test can compare the bytes; it never occurs in base64 or
 * the fixed texts, and the prompt is checked for it.
 */
export function buildImagesMultipartEdit(settings: GatewaySettings, request: ImageRequest, boundary = 'cpa-image-form-7c1d2e9b4a'): HttpRequest {
  const prompt = sentPrompt(settings, request);
  if (prompt.includes(boundary)) throw new GatewayError('config', 'The prompt contains the form boundary; it cannot be sent as a form.');
  const parts: Buffer[] = [];
  const text = (name: string, value: string): void => {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8'));
  };
  const file = (name: string, filename: string, image: InputImage): void => {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${image.mime}\r\n\r\n`, 'utf8'));
    parts.push(Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength));
    parts.push(Buffer.from('\r\n', 'utf8'));
  };
  text('model', imageModel(settings));
  text('prompt', prompt);
  (request.inputImages ?? []).forEach((image, i) => file('image[]', fileName(image, `image-${i + 1}`), image));
  if (request.mask) file('mask', 'mask.png', request.mask);
  for (const [name, value] of optionFields(settings)) {
    // `stream` goes only when true (CPA reads 1|true|yes|on); false is the default of every form reader.
    if (name === 'stream' && value === false) continue;
    text(name, String(value));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  const headers = baseHeaders(settings, settings.stream ? 'text/event-stream' : 'application/json');
  headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
  return { url: imagesUrl(settings.baseUrl, 'edits'), method: 'POST', headers, formBody: Buffer.concat(parts) };
}

/**
 * The free probe (images-api.md §6): `POST /v1/images/generations` with `{}`. CPA answers 400 "prompt is required"
 * without calling upstream when the route is there and enabled, an empty 404 when it is not.
 */
export function buildImagesProbeRequest(settings: GatewaySettings): HttpRequest {
  return { url: imagesUrl(settings.baseUrl, 'generations'), method: 'POST', headers: baseHeaders(settings, 'application/json'), body: '{}' };
}
