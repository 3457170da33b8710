/**
 * The worker thread that does the post-process stage's pixel work for the extension (src/core/image/offThread.ts).
 * Decoding, resampling and encoding a 2048² image is 250–420 ms of CPU in synchronous pieces (BENCHMARKS.md): on the
 * extension host's own thread that would block every extension for as long. Built as dist/imageWorker.js; it loads the
 * codecs (dist/image.js) on its first job and keeps them while it lives.
 */
import { parentPort } from 'node:worker_threads';
import { runTransform, type ProcessedImage, type TransformJob } from './process';

export interface WorkerRequest {
  id: number;
  job: TransformJob;
}

/** `ready` once this file has loaded (a worker that fails before saying it cannot run in that host at all). */
export type WorkerReply = { ready: true } | { id: number; result: ProcessedImage } | { id: number; error: string };

parentPort?.on('message', (request: WorkerRequest) => {
  runTransform(request.job).then(
    // The result's bytes are this thread's own: handed over, not copied.
    (result) => parentPort?.postMessage({ id: request.id, result } satisfies WorkerReply, [result.image.bytes.buffer as ArrayBuffer]),
    (err: unknown) => parentPort?.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
  );
});

parentPort?.postMessage({ ready: true } satisfies WorkerReply);
