/**
 * Contender: our client as a library, the way the extension uses it — `new ImageClient().generate(...)`,
 * then write the decoded bytes. Bundled by esbuild like dist/ (undici and eventsource-parser inside).
 * The size cap is raised to 256 MiB so the streamed 2048² case (≈ 5 copies of a 16 MiB base64 image on
 * the wire) measures speed, not the cap; the CLI contender runs with the real defaults.
 */
import { writeFile } from 'node:fs/promises';
import { ImageClient } from '../../src/core/gateway/client';
import type { GatewaySettings } from '../../src/core/types';
import { IDENTITY_HEADERS } from '../fixtures';
import { readJob, runContender } from './common';

const job = readJob();

const settings: GatewaySettings = {
  baseUrl: job.baseUrl,
  apiKey: job.apiKey,
  model: 'gpt-5.4',
  instructions: 'you are a helpful assistant',
  identity: {
    userAgent: IDENTITY_HEADERS['user-agent'] ?? '',
    version: IDENTITY_HEADERS.version ?? '',
    originator: IDENTITY_HEADERS.originator ?? '',
    sessionId: IDENTITY_HEADERS.session_id ?? '',
  },
  stream: job.stream,
  tool: { outputFormat: 'png', ...(job.stream ? { partialImages: job.partialImages } : {}) },
  timeoutMs: 600_000,
  maxResponseBytes: 256 * 1024 * 1024,
  retry: { maxRateLimitWaitMs: 30_000, textFallbackRetries: 2, transientRetries: 2, rateLimitRetries: 2 },
};

void runContender(job, async () => {
  const image = await new ImageClient().generate(settings, { prompt: job.prompt });
  await writeFile(job.output, image.bytes);
  return image.bytes.length;
});
