/**
 * What the client must do with every scenario of the test gateway, in both request modes, with the default
 * retry policy (3 transient retries, 2 text-fallback retries, 3 rate-limit retries, 30 s ceiling). This is the
 * executable half of RELIABILITY.md: faults.test.ts checks every row, keySafety.test.ts runs every row with
 * the canary key, and a test fails when the gateway gains a scenario that has no row here.
 */
import type { UserSettings } from '../../src/core/config/config';
import type { GatewayErrorKind } from '../../src/core/errors';
import type { ScenarioName } from '../gateway/server';

export type Outcome =
  /** An image of this type after `attempts` requests. */
  | { image: 'png' | 'jpg' | 'webp'; attempts: number }
  /** A GatewayError of this kind after `requests` requests, whose message matches. */
  | { error: GatewayErrorKind; requests: number; message: RegExp };

export interface ScenarioRow {
  scenario: ScenarioName;
  /** What the row is about, for RELIABILITY.md and the test name. */
  fault: string;
  params?: Record<string, string | number>;
  settings?: UserSettings;
  nonStream: Outcome;
  stream: Outcome;
}

const image = (attempts = 1, type: 'png' | 'jpg' | 'webp' = 'png'): Outcome => ({ image: type, attempts });
const fails = (error: GatewayErrorKind, requests: number, message: RegExp): Outcome => ({ error, requests, message });
const both = (outcome: Outcome): { nonStream: Outcome; stream: Outcome } => ({ nonStream: outcome, stream: outcome });

/** 1 + transientRetries: what a transient failure that never clears costs. */
const TRANSIENT_ATTEMPTS = 4;

export const scenarioTable: readonly ScenarioRow[] = [
  { scenario: 'ok', fault: 'a normal answer', ...both(image()) },
  { scenario: 'generating-status', fault: 'final image item left at status "generating"', ...both(image()) },
  { scenario: 'completed-empty-output', fault: 'response.completed with output []', ...both(image()) },
  { scenario: 'keepalive', fault: '": keep-alive" SSE comments between events', ...both(image()) },
  { scenario: 'crlf', fault: 'CRLF line ends', ...both(image()) },
  { scenario: 'split-chunks', fault: '1–7 byte pieces cutting events, lines and UTF-8 characters', ...both(image()) },
  { scenario: 'partial-images', fault: 'partial images before the final one', ...both(image()) },
  { scenario: 'webp-instead', fault: 'WebP bytes although PNG was asked', ...both(image(1, 'webp')) },
  { scenario: 'jpeg-instead', fault: 'JPEG bytes although PNG was asked', ...both(image(1, 'jpg')) },
  { scenario: 'rate-limit-retry-after-ms', fault: '429 with retry-after-ms, once', ...both(image(2)) },
  { scenario: 'rate-limit-retry-after', fault: '429 with Retry-After, once', ...both(image(2)) },
  { scenario: 'rate-limit-reset-seconds', fault: '429 model_cooldown with reset_seconds, once', ...both(image(2)) },
  { scenario: 'rate-limit-text', fault: '429 "try again in 1.2s" in the message, once', ...both(image(2)) },
  { scenario: 'rate-limit-in-stream', fault: 'in-stream response.failed rate_limit_exceeded, once', ...both(image(2)) },
  { scenario: 'error-event-rate-limit', fault: 'in-stream flat error event rate_limit_exceeded, once', ...both(image(2)) },
  {
    scenario: 'usage-limit',
    fault: '429 usage_limit_reached (resets in days)',
    ...both(fails('usage_limit', 1, /usage limit or quota has been reached.*resets at/)),
  },
  {
    scenario: 'model-cooldown-long',
    fault: '429 model_cooldown of 1 h (over the 30 s ceiling)',
    ...both(fails('rate_limited', 1, /rate limiting requests.*60 min/)),
  },
  { scenario: 'tools-empty-once', fault: 'text answer with tools [] once (transient fallback)', ...both(image(2)) },
  {
    scenario: 'tools-empty-always',
    fault: 'text answer with tools [] every time',
    ...both(fails('no_image', 3, /text instead of an image.*The model said: "I can't generate images here/)),
  },
  { scenario: 'auth-string-error', fault: '401 {"error":"Invalid API key"}', ...both(fails('auth', 1, /rejected the API key.*Set API Key/)) },
  { scenario: 'auth-key-echo', fault: '401 whose message quotes the key it got', ...both(fails('auth', 1, /rejected the API key.*\[REDACTED\]/)) },
  { scenario: 'forbidden', fault: '403 permission_error', ...both(fails('forbidden', 1, /not allowed to do this.*Image generation is not enabled/)) },
  { scenario: 'not-found', fault: '404 model_not_found', ...both(fails('not_found', 1, /no such route or model/)) },
  { scenario: 'bad-request', fault: '400 invalid_request_error', ...both(fails('bad_request', 1, /rejected the request \(400\).*Tool choice/)) },
  { scenario: 'timeout-408', fault: 'CPA 408 "stream disconnected", once', ...both(image(2)) },
  {
    scenario: 'html-502',
    fault: 'nginx HTML 502 page',
    ...both(fails('server', TRANSIENT_ATTEMPTS, /HTML page \(status 502\).*502 Bad Gateway/)),
  },
  { scenario: 'server-error-once', fault: '503 once', ...both(image(2)) },
  { scenario: 'server-error-always', fault: '500 every time', ...both(fails('server', TRANSIENT_ATTEMPTS, /gateway failed \(500\)/)) },
  {
    scenario: 'truncated-json',
    fault: 'body cut in the middle of the JSON / of an event',
    nonStream: fails('protocol', TRANSIENT_ATTEMPTS, /not valid JSON — it may have been cut off/),
    stream: fails('protocol', TRANSIENT_ATTEMPTS, /stream ended before the image arrived/),
  },
  {
    scenario: 'stream-cut',
    fault: 'stream that ends without a terminal event (non-stream: CPA 408)',
    nonStream: fails('server', TRANSIENT_ATTEMPTS, /gateway failed \(408\).*stream disconnected/),
    stream: fails('protocol', TRANSIENT_ATTEMPTS, /stream ended before the image arrived/),
  },
  { scenario: 'stream-cut-once', fault: 'stream cut once, then whole', ...both(image(2)) },
  {
    scenario: 'response-failed',
    fault: 'response.failed server_error (non-stream: 502)',
    ...both(fails('server', TRANSIENT_ATTEMPTS, /gateway failed.*An error occurred while processing your request/)),
  },
  {
    scenario: 'content-policy',
    fault: 'image_content_policy_violation',
    ...both(fails('content_policy', 1, /refused by the content policy.*safety system/)),
  },
  {
    scenario: 'error-event-flat',
    fault: 'flat error event insufficient_quota (non-stream: 429)',
    ...both(fails('usage_limit', 1, /usage limit or quota has been reached.*exceeded your current quota/)),
  },
  {
    scenario: 'error-event-nested',
    fault: 'nested error event, then response.failed',
    ...both(fails('usage_limit', 1, /usage limit or quota has been reached.*exceeded your current quota/)),
  },
  { scenario: 'blank-lines-before-body', fault: 'blank lines before the body (CPA keep-alive)', ...both(image()) },
  {
    scenario: 'keepalive-200-error',
    fault: 'error JSON under status 200 after blank lines',
    nonStream: fails('server', TRANSIENT_ATTEMPTS, /error under status 200.*unexpected EOF/),
    stream: fails('server', TRANSIENT_ATTEMPTS, /error under status 200.*unexpected EOF/),
  },
  {
    scenario: 'hang',
    fault: 'no answer at all (timeout 300 ms)',
    settings: { timeoutSeconds: 0.3 },
    ...both(fails('timeout', 1, /did not answer within 300 ms/)),
  },
  {
    scenario: 'hang-after-headers',
    fault: 'headers, then a body that never ends (timeout 300 ms)',
    settings: { timeoutSeconds: 0.3 },
    ...both(fails('timeout', 1, /did not answer within 300 ms/)),
  },
  {
    scenario: 'not-image',
    fault: 'result that decodes to an HTML page',
    ...both(fails('not_image', 1, /not a PNG, JPEG or WebP image; they start with "<!DOCTYPE html>/)),
  },
  {
    scenario: 'huge',
    fault: 'response over the size cap (16 MiB against a 1 MiB cap)',
    params: { bytes: 16 * 1024 * 1024 },
    settings: { maxResponseMiB: 1 },
    ...both(fails('too_large', 1, /larger than the 1 MiB limit/)),
  },
  {
    scenario: 'reset-mid-body',
    fault: 'connection reset in the middle of the body',
    ...both(fails('network', TRANSIENT_ATTEMPTS, /closed before the answer was complete/)),
  },
  {
    scenario: 'redirect',
    fault: '307 to another origin',
    ...both(fails('config', 1, /redirected the request \(307\) to http:\/\/127\.0\.0\.2:\d+; it was not followed and the API key was not sent there/)),
  },
  { scenario: 'slow', fault: 'events spaced out in time', params: { delayMs: 5 }, ...both(image()) },
  {
    scenario: 'response-incomplete',
    fault: 'response.incomplete (max_output_tokens) without an image',
    ...both(fails('no_image', 1, /stopped early \(max_output_tokens\).*Here is a plan for the picture/)),
  },
  { scenario: 'queued', fault: 'response.queued before the work starts', ...both(image()) },
  { scenario: 'data-only', fault: 'data: lines only, and a final [DONE]', ...both(image()) },
  {
    scenario: 'terminal-escapes',
    fault: 'terminal escapes (OSC 52, CSI 2J, C1, RLO, a forged line) in the model text, then in a 400 message',
    // The text answer is retried once as a text fallback; the 400 ends the run and quotes the gateway's words.
    ...both(fails('bad_request', 2, /rejected the request.*Bad tool \u001b\]0;pwned/)),
  },
  {
    scenario: 'flood-text-deltas',
    fault: '24 MiB of model text deltas (non-stream: one 24 MiB message) against a 1 MiB cap: stream budget 20 MiB',
    params: { bytes: 24 * 1024 * 1024 },
    settings: { maxResponseMiB: 1 },
    nonStream: fails('too_large', 1, /response is larger than the 1 MiB limit/),
    stream: fails('too_large', 1, /stream went past 20 MiB in all \(4 × the 1 MiB response size limit \+ 16 MiB\) without an image/),
  },
  {
    scenario: 'flood-output-items',
    fault: '24 MiB of finished items without an image against a 1 MiB cap: stream budget 20 MiB',
    params: { bytes: 24 * 1024 * 1024 },
    settings: { maxResponseMiB: 1 },
    nonStream: fails('too_large', 1, /response is larger than the 1 MiB limit/),
    stream: fails('too_large', 1, /stream went past 20 MiB in all \(4 × the 1 MiB response size limit \+ 16 MiB\) without an image/),
  },
  {
    scenario: 'incomplete-tools-empty',
    fault: 'recorded minimal response.incomplete (max_output_tokens, output []) after tools [] echoed',
    ...both(fails('no_image', 1, /stopped early \(max_output_tokens\): the model ran out of output tokens.*Here is a plan for the picture/)),
  },
  {
    scenario: 'request-too-large',
    fault: '429 rate_limit_exceeded "Request too large … Limit 30000, Requested 342389"',
    ...both(fails('bad_request', 1, /request is too large for the gateway's limit \(Limit 30000, Requested 342389\).*waiting cannot help/)),
  },
  {
    scenario: 'transparent-jpeg',
    fault: 'background transparent with jpeg output (the API answers 400)',
    settings: { background: 'transparent', outputFormat: 'jpeg' },
    ...both(fails('config', 0, /transparent background needs PNG or WebP output/)),
  },
  {
    scenario: 'policy-refusal',
    fault: 'policy refusal code bio_policy (stream: response.failed; non-stream: 400)',
    ...both(fails('content_policy', 1, /refused by the content policy.*\(bio_policy\).*flagged by a safety policy/)),
  },
  {
    scenario: 'markdown-link-error',
    fault: 'a 400 whose message is a markdown command link (shown inert by the extension: test/e2e/inertText.test.ts)',
    ...both(fails('bad_request', 1, /rejected the request \(400\).*\[Sign in again\]\(command:workbench\.action\.terminal\.new\) Your session/)),
  },
  {
    scenario: 'refuse-prompt',
    fault: 'a content-policy refusal only for a prompt holding a word (default REFUSE); the table\'s prompt gets the image',
    ...both(image(1)),
  },
  {
    scenario: 'retry-mix-forever',
    fault: '429, 503 and a text-only answer in turn, forever (each kind within its own retry count)',
    // One budget for all retries (issue 9): 5 requests by default, not 1 + 3 + 3 + 2 = 9; the fifth is the 503.
    ...both(fails('server', 5, /^Stopped after 5 attempts: The gateway failed.*No more attempts: 5 is the limit for one generation \(maxAttempts\)/)),
  },
  // Issue 12: the size is fitted locally (crop by default); the client itself receives the 1536×1024 PNG as sent.
  { scenario: 'ignores-size', fault: 'a 1536×1024 image whatever size was asked (the Codex upstream)', settings: { size: '1024x1536' }, ...both(image()) },
  // Issue 12 item 3: gpt-image-2 refuses `background: transparent` with a 400; the client asks once more without it.
  {
    scenario: 'refuse-transparent',
    fault: '400 invalid_value "Transparent background is not supported for this model." when transparency is asked',
    settings: { background: 'transparent' },
    ...both(image(2)),
  },
  {
    scenario: 'alt-text',
    fault: 'a text answer to a text request (Write Alt Text); as an answer to an image request it is a text fallback',
    ...both(fails('no_image', 3, /text instead of an image.*The model said: "A bar chart/)),
  },
  // Issue 13 item 6: the Codex quota headers CPA passes through; the hostile values of hostile=1 cost nothing but themselves.
  { scenario: 'codex-quota', fault: 'x-codex-* quota headers with hostile values (NaN, 1e300, a command link as plan type)', params: { hostile: 1 }, ...both(image()) },
  // Issue 14: the Images route (`api: images`), one row per shape of images-api.md; the last three rows are `auto`.
  { scenario: 'images-ok', fault: 'Images route: JSON data[].b64_json (stream: image_generation.completed)', settings: { api: 'images' }, ...both(image()) },
  {
    scenario: 'images-ok',
    fault: 'Images route with 2 previews (stream: image_generation.partial_image before the completed event)',
    settings: { api: 'images', partialImages: 2 },
    ...both(image()),
  },
  {
    scenario: 'images-error-event',
    fault: 'Images route: event: error (usage_limit_reached, sanitized) after a preview (non-stream: 429 before any byte)',
    settings: { api: 'images', partialImages: 1 },
    ...both(fails('usage_limit', 1, /usage limit or quota has been reached.*The usage limit has been reached/)),
  },
  {
    scenario: 'images-no-completed',
    fault: 'Images route: the stream ends without a completed event (non-stream: "data": [])',
    settings: { api: 'images' },
    nonStream: fails('no_image', 1, /Images route answered without an image/),
    stream: fails('protocol', TRANSIENT_ATTEMPTS, /stream ended before the image arrived \(no image_generation\.completed/),
  },
  {
    scenario: 'images-error',
    fault: 'Images route off (disable-image-generation, or CPA before v6.9.32): empty 404',
    params: { shape: 'disabled' },
    settings: { api: 'images' },
    ...both(fails('not_found', 1, /"not found" \(404\): no such route or model/)),
  },
  {
    scenario: 'images-error',
    fault: 'Images route: 400 unsupported model',
    params: { shape: 'unsupported-model' },
    settings: { api: 'images' },
    ...both(fails('bad_request', 1, /rejected the request \(400\).*is not supported on \/v1\/images\/generations/)),
  },
  {
    scenario: 'images-error',
    fault: 'Images route: 400 model_not_found (no credential registers gpt-image-2)',
    params: { shape: 'unknown-provider' },
    settings: { api: 'images' },
    ...both(fails('bad_request', 1, /rejected the request \(400\).*unknown provider for model gpt-image-2/)),
  },
  {
    scenario: 'images-error',
    fault: 'Images route: 503 no auth available (only free-plan credentials)',
    params: { shape: 'no-auth' },
    settings: { api: 'images' },
    ...both(fails('server', TRANSIENT_ATTEMPTS, /gateway failed \(503\).*no auth available/)),
  },
  {
    scenario: 'images-error',
    fault: 'Images route: 429 usage_limit_reached with resets_in_seconds (not sanitized on this route)',
    params: { shape: 'usage-limit' },
    settings: { api: 'images' },
    ...both(fails('usage_limit', 1, /usage limit or quota has been reached \(429\)\. It resets at/)),
  },
  {
    scenario: 'images-error',
    fault: 'Images route: 429 model_cooldown of 1 h',
    params: { shape: 'cooldown' },
    settings: { api: 'images' },
    ...both(fails('rate_limited', 1, /rate limiting requests.*60 min/)),
  },
  {
    scenario: 'images-error',
    fault: 'Images route: 500 "unexpected EOF" (the ~120 s upstream cut)',
    params: { shape: 'eof' },
    settings: { api: 'images' },
    ...both(fails('server', TRANSIENT_ATTEMPTS, /gateway failed \(500\).*unexpected EOF/)),
  },
  {
    scenario: 'images-error',
    fault: 'Images route: 400 moderation_blocked',
    params: { shape: 'moderation' },
    settings: { api: 'images' },
    ...both(fails('content_policy', 1, /refused by the content policy.*\(moderation_blocked\)/)),
  },
  {
    scenario: 'images-error',
    fault: 'Images route: 400 "Transparent background is not supported for this model." (asked again without it)',
    params: { shape: 'transparent' },
    settings: { api: 'images', background: 'transparent' },
    ...both(image(2)),
  },
  { scenario: 'images-multipart-only', fault: 'Images route whose edits take only a form (a generation is JSON as ever)', settings: { api: 'images' }, ...both(image()) },
  {
    scenario: 'images-text-responses',
    fault: 'auto: the Responses route answers text with tools [] after the retries, /v1/models lists gpt-image-2 → Images route',
    settings: { api: 'auto' },
    ...both(image()),
  },
  {
    scenario: 'images-tool-not-found',
    fault: "auto: 400 Tool choice 'image_generation' not found, the free probe answers → Images route",
    settings: { api: 'auto' },
    ...both(image()),
  },
  {
    scenario: 'images-absent',
    fault: 'auto: text answers, no image model listed and the probe gets an empty 404 → no switch, the text fallback error',
    settings: { api: 'auto' },
    ...both(fails('no_image', 3, /text instead of an image/)),
  },
];

export const modes = [
  { stream: false, label: 'non-stream', pick: (row: ScenarioRow) => row.nonStream },
  { stream: true, label: 'stream', pick: (row: ScenarioRow) => row.stream },
] as const;
