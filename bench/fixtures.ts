/**
 * The request every contender sends and the response bodies the bench gateway serves, built once.
 * Shapes follow shared/research/gateway.md: §6.1 (non-stream envelope as relayed by CPA) and §6.2
 * (the recorded SSE event sequence), with `partial_images: 3` previews of the same size as the final image.
 */
import { makeNoisePng, TINY_PNG_BASE64 } from './png';

export const BENCH_KEY = 'sk-bench-0000000000000000';
export const BENCH_PROMPT = 'a cute squirrel';
export const PARTIAL_IMAGES = 3;

export const IDENTITY_HEADERS: Record<string, string> = {
  'user-agent': 'codex-tui/0.122.0 (Manjaro 26.1.0-pre; x86_64) vscode/3.0.12 (codex-tui; 0.122.0)',
  version: '0.122.0',
  originator: 'codex_cli_rs',
  session_id: 'test-session',
};

/** SPEC §1: the exact body, plus `partial_images` when streaming. */
export function requestBody(stream: boolean): Record<string, unknown> {
  const tool: Record<string, unknown> = { type: 'image_generation', output_format: 'png' };
  if (stream) tool.partial_images = PARTIAL_IMAGES;
  return {
    model: 'gpt-5.4',
    input: BENCH_PROMPT,
    tools: [tool],
    instructions: 'you are a helpful assistant',
    tool_choice: 'auto',
    stream,
    store: false,
  };
}

export interface ImageCase {
  /** `tiny`, `1024`, `2048`: the path segment the bench gateway routes on. */
  name: string;
  width: number;
  height: number;
  /** The final image, as the file on disk must be byte for byte. */
  png: Buffer;
  /** The previews streamed before it (same size, different noise). */
  partials: Buffer[];
  /** `application/json` body of the non-stream answer. */
  jsonBody: Buffer;
  /** The SSE answer, one Buffer per event, written back to back. */
  sseEvents: Buffer[];
  sseBytes: number;
}

const RESPONSE_ID = 'resp_0894cf2ef651c7d1016a06f4e560dc8196b918735bb38f5f4e';
const ITEM_ID = 'ig_0894cf2ef651c7d1016a06f4e5ebfc8196ab22321dd99ceb94';
const MSG_ID = 'msg_0894cf2ef651c7d1016a06f4f41a5481969a365b503795d305';

function toolsEcho(stream: boolean): unknown[] {
  return [
    {
      type: 'image_generation',
      background: 'auto',
      moderation: 'auto',
      n: 1,
      output_compression: 100,
      output_format: 'png',
      quality: 'auto',
      size: 'auto',
      ...(stream ? { partial_images: PARTIAL_IMAGES } : {}),
    },
  ];
}

function imageItem(result: string, size: string, status: string): Record<string, unknown> {
  return {
    action: 'generate',
    background: 'opaque',
    id: ITEM_ID,
    output_format: 'png',
    quality: 'high',
    result,
    revised_prompt: 'A cute red squirrel holding an acorn, soft daylight, detailed fur.',
    size,
    status,
    type: 'image_generation_call',
  };
}

const messageItem = {
  content: [{ annotations: [], logprobs: [], text: '', type: 'output_text' }],
  id: MSG_ID,
  phase: 'final_answer',
  role: 'assistant',
  status: 'completed',
  type: 'message',
};

function envelope(output: unknown[], status: string, stream: boolean): Record<string, unknown> {
  return {
    id: RESPONSE_ID,
    object: 'response',
    created_at: 1778840805,
    ...(status === 'completed' ? { completed_at: 1778840820 } : {}),
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: 'you are a helpful assistant',
    max_output_tokens: null,
    max_tool_calls: null,
    metadata: {},
    model: 'gpt-5.4',
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: 'none', summary: 'detailed' },
    store: false,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tool_usage: { image_gen: { input_tokens: 49, output_tokens: 272, total_tokens: 321 } },
    tools: toolsEcho(stream),
    top_p: 1,
    truncation: 'disabled',
    usage:
      status === 'completed'
        ? { input_tokens: 1200, input_tokens_details: { cached_tokens: 0 }, output_tokens: 80, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1280 }
        : null,
    user: null,
  };
}

function sseEvent(data: Record<string, unknown>): Buffer {
  return Buffer.from(`event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`, 'utf8');
}

function buildSse(finalB64: string, partialB64: string[], size: string): Buffer[] {
  let seq = 0;
  const ev = (type: string, fields: Record<string, unknown>) => sseEvent({ type, sequence_number: seq++, ...fields });
  const events: Buffer[] = [
    ev('response.created', { response: envelope([], 'in_progress', true) }),
    ev('response.in_progress', { response: envelope([], 'in_progress', true) }),
    ev('response.output_item.added', { output_index: 0, item: { id: ITEM_ID, type: 'image_generation_call', status: 'in_progress' } }),
    ev('response.image_generation_call.in_progress', { output_index: 0, item_id: ITEM_ID }),
    ev('response.image_generation_call.generating', { output_index: 0, item_id: ITEM_ID }),
  ];
  partialB64.forEach((b64, index) => {
    events.push(
      ev('response.image_generation_call.partial_image', {
        output_index: 0,
        item_id: ITEM_ID,
        partial_image_index: index,
        partial_image_b64: b64,
        size,
        quality: 'high',
        background: 'opaque',
        output_format: 'png',
      }),
    );
  });
  events.push(
    ev('response.image_generation_call.completed', { output_index: 0, item_id: ITEM_ID }),
    ev('response.output_item.done', { output_index: 0, item: imageItem(finalB64, size, 'completed') }),
    ev('response.output_item.added', { output_index: 1, item: { ...messageItem, status: 'in_progress', content: [] } }),
    ev('response.content_part.added', { item_id: MSG_ID, output_index: 1, content_index: 0, part: messageItem.content[0] }),
    ev('response.output_text.done', { item_id: MSG_ID, output_index: 1, content_index: 0, text: '', logprobs: [] }),
    ev('response.content_part.done', { item_id: MSG_ID, output_index: 1, content_index: 0, part: messageItem.content[0] }),
    ev('response.output_item.done', { output_index: 1, item: messageItem }),
    // As recorded (§6.2) and as CPA patches it (§2.3): the completed response repeats the image.
    ev('response.completed', { response: envelope([imageItem(finalB64, size, 'completed'), messageItem], 'completed', true) }),
  );
  return events;
}

function buildCase(name: string, width: number, height: number, png: Buffer, partials: Buffer[]): ImageCase {
  const size = `${width}x${height}`;
  const finalB64 = png.toString('base64');
  // §6.1 relays the final item with status "generating": the quirk every contender must tolerate.
  const jsonBody = Buffer.from(JSON.stringify(envelope([imageItem(finalB64, size, 'generating'), messageItem], 'completed', false)), 'utf8');
  const sseEvents = buildSse(finalB64, partials.map((p) => p.toString('base64')), size);
  return { name, width, height, png, partials, jsonBody, sseEvents, sseBytes: sseEvents.reduce((n, b) => n + b.length, 0) };
}

/** The 1×1 baseline and the large images, each with three distinct same-size previews. */
export function buildCases(sizes: readonly number[]): ImageCase[] {
  const tiny = Buffer.from(TINY_PNG_BASE64, 'base64');
  const cases = [buildCase('tiny', 1, 1, tiny, [tiny, tiny, tiny])];
  for (const side of sizes) {
    const png = makeNoisePng(side, side, side);
    const partials = Array.from({ length: PARTIAL_IMAGES }, (_, i) => makeNoisePng(side, side, side * 10 + i + 1));
    cases.push(buildCase(String(side), side, side, png, partials));
  }
  return cases;
}
