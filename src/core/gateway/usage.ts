/**
 * Token usage of one answer (issue 13 item 6): what the gateway says a generation cost, read from the answer's
 * `usage` and the image tool's own `tool_usage.image_gen` (gateway.md §6.1, §6.2), kept route-neutral so that any
 * route that reports `input_tokens`/`output_tokens`/`total_tokens` (the Responses API, the Images API) fills the
 * same shape. The gateway is not trusted: a count that is not a whole number from 0 to `MAX_TOKENS` is left out,
 * and nothing here throws, whatever the value (RELIABILITY.md "Token usage").
 *
 * The same reader reads back what the history stored (`parseStoredUsage`), so an entry written by an older
 * version, or edited by hand, loads with only the counts that are sound.
 */
import { asRecord, type JsonObject } from '../json';

/** The largest count accepted: far above any real answer (a context window is ~10⁶ tokens), far below 2⁵³. */
export const MAX_TOKENS = 1_000_000_000_000;

/** The breakdown of input or output tokens, each when reported. */
export interface TokenDetails {
  /** `cached_tokens` (input). */
  cached?: number;
  /** `reasoning_tokens` (output). */
  reasoning?: number;
  /** `text_tokens` (Images API). */
  text?: number;
  /** `image_tokens` (Images API). */
  image?: number;
}

/** Counts as one route reports them: input, output and total, each when present and sound. */
export interface TokenCounts {
  input?: number;
  output?: number;
  total?: number;
  inputDetails?: TokenDetails;
  outputDetails?: TokenDetails;
}

/** What one generation cost: the answer's counts and, when reported apart, the image tool's own. */
export interface TokenUsage extends TokenCounts {
  /** The image tool's own counts (Responses `tool_usage.image_gen`); the image tokens of the run. */
  imageTool?: TokenCounts;
}

const DETAIL_KEYS: readonly (readonly [wire: string, key: keyof TokenDetails])[] = [
  ['cached_tokens', 'cached'],
  ['reasoning_tokens', 'reasoning'],
  ['text_tokens', 'text'],
  ['image_tokens', 'image'],
];

/** A sound count, or undefined: a whole number from 0 to MAX_TOKENS (no strings, NaN, fractions or 1e300). */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TOKENS ? value : undefined;
}

function readDetails(value: unknown, keys: readonly (readonly [string, keyof TokenDetails])[]): TokenDetails | undefined {
  const object = asRecord(value);
  if (!object) return undefined;
  const details: TokenDetails = {};
  for (const [wire, key] of keys) {
    const count = tokenCount(object[wire]);
    if (count !== undefined) details[key] = count;
  }
  return Object.keys(details).length > 0 ? details : undefined;
}

/** Counts from an object with the given field names; undefined when none of them is sound. */
function readCounts(value: unknown, names: { input: string; output: string; total: string; inputDetails: string; outputDetails: string }, detailKeys: typeof DETAIL_KEYS): TokenCounts | undefined {
  const object = asRecord(value);
  if (!object) return undefined;
  const counts: TokenCounts = {};
  const input = tokenCount(object[names.input]);
  const output = tokenCount(object[names.output]);
  const total = tokenCount(object[names.total]);
  if (input !== undefined) counts.input = input;
  if (output !== undefined) counts.output = output;
  if (total !== undefined) counts.total = total;
  const inputDetails = readDetails(object[names.inputDetails], detailKeys);
  const outputDetails = readDetails(object[names.outputDetails], detailKeys);
  if (inputDetails) counts.inputDetails = inputDetails;
  if (outputDetails) counts.outputDetails = outputDetails;
  return Object.keys(counts).length > 0 ? counts : undefined;
}

const WIRE_NAMES = {
  input: 'input_tokens',
  output: 'output_tokens',
  total: 'total_tokens',
  inputDetails: 'input_tokens_details',
  outputDetails: 'output_tokens_details',
};

/** The Response object of an SSE event (`{type, response: {…}}`) or the answer itself. */
function answerObject(json: unknown): JsonObject | undefined {
  const object = asRecord(json);
  return asRecord(object?.response) ?? object;
}

/**
 * The usage of an answer: a Response object (JSON answer, or the `response` of `response.completed`), an SSE event
 * holding one, or a bare `{usage}` (an Images API answer or event). Undefined when no sound count is found.
 */
export function readTokenUsage(json: unknown): TokenUsage | undefined {
  try {
    const answer = answerObject(json);
    if (!answer) return undefined;
    const counts = readCounts(answer.usage, WIRE_NAMES, DETAIL_KEYS);
    const imageTool = readCounts(asRecord(answer.tool_usage)?.image_gen, WIRE_NAMES, DETAIL_KEYS);
    if (!counts && !imageTool) return undefined;
    return { ...counts, ...(imageTool ? { imageTool } : {}) };
  } catch {
    // A value no JSON parse makes (a getter that throws, a revoked proxy): no usage rather than a failed generation.
    return undefined;
  }
}

const STORED_NAMES = { input: 'input', output: 'output', total: 'total', inputDetails: 'inputDetails', outputDetails: 'outputDetails' };
const STORED_DETAIL_KEYS: typeof DETAIL_KEYS = DETAIL_KEYS.map(([, key]) => [key, key] as const);

/** A `TokenUsage` as stored (the history's workspaceState), read back with the same bounds; undefined when unsound. */
export function parseStoredUsage(value: unknown): TokenUsage | undefined {
  try {
    const object = asRecord(value);
    if (!object) return undefined;
    const counts = readCounts(object, STORED_NAMES, STORED_DETAIL_KEYS);
    const imageTool = readCounts(object.imageTool, STORED_NAMES, STORED_DETAIL_KEYS);
    if (!counts && !imageTool) return undefined;
    return { ...counts, ...(imageTool ? { imageTool } : {}) };
  } catch {
    return undefined;
  }
}

/** The total of counts: `total` when reported, else input + output; undefined when neither is known. */
function countsTotal(counts: TokenCounts | undefined): number | undefined {
  if (!counts) return undefined;
  if (counts.total !== undefined) return counts.total;
  if (counts.input === undefined && counts.output === undefined) return undefined;
  return (counts.input ?? 0) + (counts.output ?? 0);
}

/**
 * Tokens the run cost in all: the answer's total plus the image tool's. The image tool's counts are reported apart
 * from the answer's (`usage` counts the text model; CPA records `tool_usage.image_gen` as a usage of the image model,
 * gateway.md §1.2), so both are spent. Undefined when neither is known.
 */
export function usageTotal(usage: TokenUsage | undefined): number | undefined {
  const answer = countsTotal(usage);
  const image = countsTotal(usage?.imageTool);
  if (answer === undefined && image === undefined) return undefined;
  return (answer ?? 0) + (image ?? 0);
}

/**
 * The image tokens of the run, when the gateway tells them: the image tool's own total (Responses route), else the
 * image tokens of the output, then of the input (Images API details).
 */
export function imageTokens(usage: TokenUsage | undefined): number | undefined {
  return countsTotal(usage?.imageTool) ?? usage?.outputDetails?.image ?? usage?.inputDetails?.image;
}

/** Running totals of a session: images made, and tokens of those whose usage was reported. */
export interface UsageTally {
  images: number;
  /** Images whose answer reported a usage. */
  imagesWithUsage: number;
  tokens: number;
}

export const emptyTally: UsageTally = { images: 0, imagesWithUsage: 0, tokens: 0 };

/** The tally with one more image; the sums stop at Number.MAX_SAFE_INTEGER rather than lose precision. */
export function addToTally(tally: UsageTally, usage: TokenUsage | undefined): UsageTally {
  const total = usageTotal(usage);
  return {
    images: Math.min(Number.MAX_SAFE_INTEGER, tally.images + 1),
    imagesWithUsage: Math.min(Number.MAX_SAFE_INTEGER, tally.imagesWithUsage + (total === undefined ? 0 : 1)),
    tokens: Math.min(Number.MAX_SAFE_INTEGER, tally.tokens + (total ?? 0)),
  };
}
