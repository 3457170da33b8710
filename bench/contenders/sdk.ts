/**
 * Contender: the official `openai` npm SDK doing the same job as our client — `responses.create` with
 * the same body and headers, take the first image_generation_call's `result`, decode, write the file.
 * Streaming: iterate the events and stop at the first `response.output_item.done` that carries an
 * image (the fastest way an SDK user would write it; the rest of the stream is not read).
 */
import { writeFile } from 'node:fs/promises';
import OpenAI from 'openai';
import { IDENTITY_HEADERS, requestBody } from '../fixtures';
import { readJob, runContender } from './common';

interface ImageCallLike {
  type: string;
  result?: string | null;
}

function imageResult(item: ImageCallLike | undefined): string | undefined {
  return item && item.type === 'image_generation_call' && typeof item.result === 'string' && item.result !== '' ? item.result : undefined;
}

const job = readJob();
const client = new OpenAI({ apiKey: job.apiKey, baseURL: `${job.baseUrl}/v1`, defaultHeaders: IDENTITY_HEADERS, maxRetries: 0, timeout: 600_000 });

void runContender(job, async () => {
  const body = requestBody(job.stream) as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming;
  let result: string | undefined;
  if (!job.stream) {
    const response = await client.responses.create(body);
    for (const item of response.output) {
      result = imageResult(item as ImageCallLike);
      if (result) break;
    }
  } else {
    const stream = await client.responses.create({ ...body, stream: true });
    for await (const event of stream) {
      if (event.type === 'response.output_item.done') {
        result = imageResult(event.item as ImageCallLike);
        if (result) break;
      }
    }
  }
  if (!result) throw new Error('no image in the response');
  const bytes = Buffer.from(result, 'base64');
  await writeFile(job.output, bytes);
  return bytes.length;
});
