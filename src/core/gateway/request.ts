/**
 * Builds the exact HTTP requests the gateway expects (SPEC §1): URL, headers and body.
 * Pure: no I/O, so every byte we send can be checked by a unit test.
 */
import type { GatewaySettings, ImageRequest, ImageToolOptions, InputImage } from '../types';
import { GatewayError } from '../errors';
import { parseSize, sizePhrase } from '../image/fit';
import { promptWithStyle } from '../prompt/styles';

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** The bytes of a multipart form (the Images route's edit fallback), sent instead of `body`. */
  formBody?: Uint8Array;
}

/**
 * Parses a configured base URL, refusing anything but http(s) so that a typo such as
 * `localhost:8317` (parsed as scheme `localhost:`) fails with a clear message.
 */
function parseBaseUrl(baseUrl: string): URL {
  const trimmed = baseUrl.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new GatewayError(
      'config',
      `The base URL "${trimmed}" is not a valid URL. Set it to the gateway's address, e.g. http://127.0.0.1:8317.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new GatewayError(
      'config',
      `The base URL "${trimmed}" must start with http:// or https://. Set it to the gateway's address, e.g. http://127.0.0.1:8317.`,
    );
  }
  url.hash = '';
  return url;
}

/** The path without trailing slashes, so `/v1/` and `/v1` compare equal. */
function trimmedPath(url: URL): string {
  return url.pathname.replace(/\/+$/, '');
}

/**
 * `<base>/v1/responses`. `host`, `host/`, `host/v1`, `host/v1/` all mean the same; a URL that
 * already ends in `/responses` is used as it is; any path prefix and query are kept.
 */
export function responsesUrl(baseUrl: string): string {
  const url = parseBaseUrl(baseUrl);
  const path = trimmedPath(url);
  if (path.endsWith('/responses')) url.pathname = path;
  else if (path.endsWith('/v1')) url.pathname = `${path}/responses`;
  else url.pathname = `${path}/v1/responses`;
  return url.toString();
}

/** `<base>/v1/models`, derived the same way (a `/responses` URL becomes its sibling `/models`). */
export function modelsUrl(baseUrl: string): string {
  const url = parseBaseUrl(baseUrl);
  const path = trimmedPath(url);
  if (path.endsWith('/responses')) url.pathname = `${path.slice(0, -'/responses'.length)}/models`;
  else if (path.endsWith('/v1')) url.pathname = `${path}/models`;
  else url.pathname = `${path}/v1/models`;
  return url.toString();
}

/**
 * `<base>/v1/images/generations` or `/v1/images/edits` (the Images route, issue 14), derived as `modelsUrl` derives
 * its sibling: a `/responses` URL becomes `/images/…` beside it.
 */
export function imagesUrl(baseUrl: string, kind: 'generations' | 'edits'): string {
  const url = parseBaseUrl(baseUrl);
  const path = trimmedPath(url);
  if (path.endsWith('/responses')) url.pathname = `${path.slice(0, -'/responses'.length)}/images/${kind}`;
  else if (path.endsWith('/v1')) url.pathname = `${path}/images/${kind}`;
  else url.pathname = `${path}/v1/images/${kind}`;
  return url.toString();
}

export function baseHeaders(settings: GatewaySettings, accept: string): Record<string, string> {
  const { identity } = settings;
  return {
    authorization: `Bearer ${settings.apiKey}`,
    'content-type': 'application/json',
    accept,
    'user-agent': identity.userAgent,
    version: identity.version,
    originator: identity.originator,
    session_id: identity.sessionId,
  };
}

/** An image as the data URL both routes take (`data:image/png;base64,…`). */
export function dataUrl(image: InputImage): string {
  const base64 = Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength).toString('base64');
  return `data:${image.mime};base64,${base64}`;
}

/** The `image_generation` tool: `type`, `output_format`, then each optional field only when set. */
function imageTool(options: ImageToolOptions, edit: boolean, mask?: InputImage): Record<string, unknown> {
  const tool: Record<string, unknown> = { type: 'image_generation' };
  if (edit) tool.action = 'edit';
  tool.output_format = options.outputFormat;
  if (options.size !== undefined) tool.size = options.size;
  if (options.quality !== undefined) tool.quality = options.quality;
  if (options.background !== undefined) tool.background = options.background;
  if (options.outputCompression !== undefined) tool.output_compression = options.outputCompression;
  if (options.partialImages !== undefined) tool.partial_images = options.partialImages;
  if (options.moderation !== undefined) tool.moderation = options.moderation;
  // The tool's mask (OpenAI's image_generation tool field; CPA forwards it): transparent pixels mark the edit.
  if (edit && mask) tool.input_image_mask = { image_url: dataUrl(mask) };
  return tool;
}

/**
 * An edit is one user message with the instruction and each image as a data URL: the gateway
 * drops `previous_response_id` and forces `store:false`, so images are always resent (gateway.md §1.4).
 */
function editInput(request: ImageRequest, prompt: string): unknown[] {
  const content: unknown[] = [{ type: 'input_text', text: prompt }];
  for (const image of request.inputImages ?? []) content.push({ type: 'input_image', image_url: dataUrl(image) });
  return [{ type: 'message', role: 'user', content }];
}

/**
 * The prompt as sent: with the asked size stated in a short fixed phrase when `sizePhrase` is on, because gateways
 * that drop `size` still compose for the aspect the text names (issue 12 item 1).
 */
export function promptWithSize(settings: GatewaySettings, prompt: string): string {
  const size = settings.sizePhrase === true ? parseSize(settings.tool.size) : undefined;
  return size ? `${prompt}\n\n${sizePhrase(size)}` : prompt;
}

export function buildResponsesRequest(settings: GatewaySettings, request: ImageRequest): HttpRequest {
  const edit = (request.inputImages?.length ?? 0) > 0;
  const prompt = promptWithSize(settings, promptWithStyle(request.prompt, settings.style?.text));
  // SPEC §1 states this exact body; the key order is kept so it can be compared as text.
  const body = {
    model: settings.model,
    input: edit ? editInput(request, prompt) : prompt,
    tools: [imageTool(settings.tool, edit, request.mask)],
    instructions: settings.instructions,
    tool_choice: 'auto',
    stream: settings.stream,
    store: false,
  };
  return {
    url: responsesUrl(settings.baseUrl),
    method: 'POST',
    headers: baseHeaders(settings, settings.stream ? 'text/event-stream' : 'application/json'),
    body: JSON.stringify(body),
  };
}

/** `GET <base>/v1/models`: the cheap authenticated request of "Check Connection". */
export function buildModelsRequest(settings: GatewaySettings): HttpRequest {
  const headers = baseHeaders(settings, 'application/json');
  delete headers['content-type'];
  return { url: modelsUrl(settings.baseUrl), method: 'GET', headers };
}

/** A request for words about images: the text model reads the instruction and the images and answers in text. */
export interface TextRequest {
  text: string;
  images: readonly { mime: string; bytes: Uint8Array }[];
}

/**
 * A text-only request (Write Alt Text, issue 14 item 5): one user message with the instruction and each image as an
 * `input_image` data URL, and no `tools` (nor `tool_choice`), so no image is generated and no image quota is spent.
 */
export function buildTextRequest(settings: GatewaySettings, request: TextRequest): HttpRequest {
  const content: unknown[] = [{ type: 'input_text', text: request.text }];
  for (const image of request.images) {
    const base64 = Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength).toString('base64');
    content.push({ type: 'input_image', image_url: `data:${image.mime};base64,${base64}` });
  }
  const body = {
    model: settings.model,
    input: [{ type: 'message', role: 'user', content }],
    instructions: settings.instructions,
    stream: settings.stream,
    store: false,
  };
  return {
    url: responsesUrl(settings.baseUrl),
    method: 'POST',
    headers: baseHeaders(settings, settings.stream ? 'text/event-stream' : 'application/json'),
    body: JSON.stringify(body),
  };
}
