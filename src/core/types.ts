/**
 * The shapes shared by the pure core, the command-line tool and the VS Code glue.
 * Nothing here imports `vscode`; see test/unit/coreBoundary.test.ts.
 */

import type { TokenUsage } from './gateway/usage';
import type { QuotaStatus } from './gateway/quota';

export type OutputFormat = 'png' | 'jpeg' | 'webp';

/** Optional fields of the `image_generation` tool; each is sent only when set (SPEC §1). */
/** A named prompt suffix (issue 13 item 5). */
export interface ImageStyle {
  name: string;
  text: string;
}

export interface ImageToolOptions {
  outputFormat: OutputFormat;
  size?: string;
  quality?: string;
  background?: string;
  outputCompression?: number;
  partialImages?: number;
  moderation?: string;
}

/** The codex-style identity headers (SPEC §1). */
export interface IdentityHeaders {
  userAgent: string;
  version: string;
  originator: string;
  sessionId: string;
}

/** Bounds of the retry policy (SPEC §5). */
export interface RetrySettings {
  /** A stated rate-limit delay up to this long is waited out; a longer one fails at once. */
  maxRateLimitWaitMs: number;
  /** How many times the `tools: []` text fallback is retried. */
  textFallbackRetries: number;
  /** How many times 408/5xx/connection resets are retried with backoff. */
  transientRetries: number;
  /** How many times a short rate limit is waited out before giving up. */
  rateLimitRetries: number;
  /**
   * Requests in all for one generation, whatever made them retry (rate limits, 5xx, text-only answers, dropped
   * connections): the per-kind counts above add up to 9 otherwise. Default 5 when absent (`defaultSettings`).
   */
  maxAttempts?: number;
  /** Time for one generation in all (attempts and the waits between them), in ms. Default 900 s when absent. */
  totalTimeoutMs?: number;
}

/** Proxy choice for the transport: VS Code's http.* settings or the standard environment variables. */
export interface ProxySettings {
  /** `http://user:pass@host:port`; undefined means "use HTTPS_PROXY/HTTP_PROXY from the environment, if any". */
  proxyUrl?: string;
  /** Comma-separated hosts that bypass the proxy (NO_PROXY syntax). */
  noProxy?: string;
  /** Verify the TLS certificate of the gateway (http.proxyStrictSSL). Default true. */
  strictSsl?: boolean;
}

/** How a delivered image is fitted to the asked size (src/core/image/fit.ts). */
export type FitMode = 'crop' | 'contain' | 'none';

/** The format to save in: the delivered one, or one re-encoded locally (gateways ignore `output_format`). */
export type SaveFormat = 'original' | 'png' | 'webp' | 'jpeg';

/** How the delivered image becomes the saved one (cpaImage.fit and cpaImage.save.*, or the CLI flags; issue 12). */
export interface ImageProcessing {
  fit: FitMode;
  format: SaveFormat;
  /** 1–100, for WebP and JPEG. */
  quality: number;
  /** Downscale only, aspect kept. */
  maxWidth?: number;
  maxHeight?: number;
  /**
   * A transparent background was asked: an image delivered without real alpha (every pixel opaque) gets its
   * background removed locally (src/core/image/background.ts), and is saved as PNG or WebP.
   */
  transparent?: boolean;
  /** False: no provenance written into the saved file (cpaImage.save.metadata, --no-metadata); default true. */
  metadata?: boolean;
}

/**
 * Which of the gateway's two image routes a generation takes (issue 14): `responses` (a text model calling the
 * image_generation tool, POST /v1/responses), `images` (the image model itself, POST /v1/images/generations and
 * /v1/images/edits), or `auto` (Responses first, the Images route once when the gateway shows the tool is missing).
 */
export type ImageApi = 'responses' | 'images' | 'auto';

/** The route a request actually went to. */
export type ImageRoute = 'responses' | 'images';

/** Everything the client needs for one call, already resolved and validated. */
export interface GatewaySettings {
  /** As configured; the request URL is derived by `responsesUrl()`. */
  baseUrl: string;
  apiKey: string;
  model: string;
  instructions: string;
  identity: IdentityHeaders;
  stream: boolean;
  tool: ImageToolOptions;
  /** Overall time allowed for one HTTP attempt (headers and body), in ms. Default 10 minutes. */
  timeoutMs: number;
  /**
   * Size cap in bytes (default 64 MiB), so a broken gateway cannot exhaust memory: a non-streamed body is capped
   * as a whole; a stream is capped per event and per image value in it, not in total, since it carries the
   * previews and repeats the final image in `response.completed` (a 2048² PNG with 3 previews is ~80 MiB).
   */
  maxResponseBytes: number;
  retry: RetrySettings;
  proxy?: ProxySettings;
  /** When true and a `WxH` size is asked, the prompt also states it ("Image size: 1024×1536 (portrait)."). */
  sizePhrase?: boolean;
  /** The style whose text is added to the prompt as sent (core/prompt/styles.ts). */
  style?: ImageStyle;
  /** The post-process stage's settings; absent means the default (crop, original format, quality 80). */
  processing?: ImageProcessing;
  /** The route (cpaImage.api, --api); absent means `responses`. */
  api?: ImageApi;
  /** The model of the Images route (cpaImage.imageModel, --image-model), an image model such as gpt-image-2. */
  imageModel?: string;
}

/** An image sent along for editing (SPEC §7), always resent as a data URL (gateway.md §1.4). */
export interface InputImage {
  mime: string;
  bytes: Uint8Array;
}

/** What the user asked for. */
export interface ImageRequest {
  prompt: string;
  /** Images to edit; when present the request uses a message with input_text + input_image parts. */
  inputImages?: InputImage[];
  /**
   * A PNG whose fully transparent pixels mark where the first image is to be edited (the API's convention): the
   * Images route's `mask`, the Responses tool's `input_image_mask`. Only with `inputImages`.
   */
  mask?: InputImage;
}

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp';

/**
 * Where a generation is, as the wire shows it: `connecting` until the request is written, `waiting` (for the gateway)
 * until its answer begins, `generating` once the headers or the first event arrived (`queued` when the gateway says
 * so), `receiving` while the image comes in, `saving` after.
 */
export type Phase = 'connecting' | 'waiting' | 'queued' | 'generating' | 'receiving' | 'saving';

/** Why a retry happens: `connection` is a connection that dropped; `refused` one that could not be made at all. */
export type RetryReason = 'rate_limited' | 'text_fallback' | 'server_error' | 'connection' | 'refused' | 'timeout' | 'transparent_refused';

/** Live status reported while a generation runs. */
export type ProgressEvent =
  | { type: 'phase'; phase: Phase }
  | { type: 'partialImage'; index: number; bytes: Uint8Array; mime: ImageMime; expected?: number }
  | { type: 'retry'; attempt: number; delayMs: number; reason: RetryReason; message: string }
  | { type: 'text'; text: string };

/** A finished image. */
export interface GeneratedImage {
  bytes: Uint8Array;
  mime: ImageMime;
  /** File extension that matches the real bytes, without the dot. */
  extension: 'png' | 'jpg' | 'webp';
  revisedPrompt?: string;
  /**
   * `WxH`: from the client, as the gateway reported it (often just what was asked); after the extension's post-process
   * stage, the real pixel size read from the bytes.
   */
  size?: string;
  responseId?: string;
  /**
   * The gateway refused `background: transparent` (gpt-image-2 answers 400 "Transparent background is not supported
   * for this model.") and the image was asked again without it: the post-process stage removes the background.
   */
  transparencyRefused?: boolean;
  /** 1 when the first attempt succeeded. */
  attempts: number;
  elapsedMs: number;
  /** What the answer says the generation cost in tokens (gateway/usage.ts), when it says so. */
  usage?: TokenUsage;
  /** The plan quota left, from the Codex headers CPA passes through (gateway/quota.ts), when it sent them. */
  quota?: QuotaStatus;
  /** The route that made the image, when it was the Images route (absent: the Responses route). */
  route?: ImageRoute;
  /** Set when `auto` left the Responses route for the Images route; the front ends say so (CLI: one line; extension: the notification). */
  routeSwitch?: RouteSwitch;
}

/**
 * Why `auto` took the Images route: the Responses route answered with text after the retries (`text_fallback`), said
 * `Tool choice 'image_generation' not found` (`tool_not_found`), or refused the tool with a 403 (`tool_forbidden`).
 */
export interface RouteSwitch {
  reason: 'text_fallback' | 'tool_not_found' | 'tool_forbidden';
  /** The Images route's model. */
  imageModel: string;
}

/** Time and randomness, injectable so tests of retry waits never sleep. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, rejects with a CancelledError when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** In [0, 1): jitter for backoff. */
  random(): number;
}

/** Levels mirror VS Code's LogOutputChannel so the glue can forward them one to one. */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
