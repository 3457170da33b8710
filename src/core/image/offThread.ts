/**
 * Runs the post-process stage's pixel work (process.ts's `runTransform`) in a worker thread, so the extension host's
 * event loop stays free while an image is decoded, resampled and encoded: 250–420 ms of CPU for a 2048² PNG saved as a
 * 1024² WebP, in synchronous pieces (BENCHMARKS.md), which on the host's own thread would stall every extension.
 *
 * One worker (src/core/image/imageWorker.ts, built as dist/imageWorker.js), started on the first job and ended after
 * `idleMs` without work, which also gives back the codecs' WebAssembly memory (it only grows while a thread lives).
 * It keeps a process alive only while a job is pending. A job that takes longer than `jobTimeoutMs` ends the worker
 * (a hostile image cannot hold the stage for ever); a worker that fails or stops fails the jobs it had. Either way
 * processImage then saves the image as delivered and says why. When the worker file is missing (the sources, in
 * tests), or a worker cannot start in this host at all, the work runs in this thread, as the CLI's does.
 */
import { existsSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { runTransform, type ProcessedImage, type Transformer, type TransformJob } from './process';
import type { WorkerReply, WorkerRequest } from './imageWorker';

/** How long an idle worker is kept (and its codecs warm) for the next image: a batch's images come seconds apart. */
export const IMAGE_WORKER_IDLE_MS = 60_000;
/** The longest one image's pixel work may take before the worker is ended: ten times a 2048² image on a slow machine. */
export const IMAGE_JOB_TIMEOUT_MS = 60_000;

export interface OffThreadImages {
  transform: Transformer;
  /** Whether a worker thread is alive now. */
  running(): boolean;
  /** Ends the worker; pending jobs fail. */
  dispose(): Promise<void>;
}

interface Pending {
  job: TransformJob;
  resolve(result: ProcessedImage): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export function offThreadImages(workerFile: string, options: { idleMs?: number; jobTimeoutMs?: number } = {}): OffThreadImages {
  const idleMs = options.idleMs ?? IMAGE_WORKER_IDLE_MS;
  const jobTimeoutMs = options.jobTimeoutMs ?? IMAGE_JOB_TIMEOUT_MS;
  const timeLimit = jobTimeoutMs >= 1000 ? `${Math.round(jobTimeoutMs / 1000)} s` : `${jobTimeoutMs} ms`;
  let worker: Promise<Worker> | undefined;
  let live: Worker | undefined;
  /** Whether the current worker said it is ready (its code loaded); one that fails before that cannot run here at all. */
  let online = false;
  /** Set when there is no worker file or a worker could not start: from then on the work runs in this thread. */
  let unavailable: boolean | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const clearIdle = (): void => {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
  };
  /** Ends the current worker; its pending jobs fail with `error`. */
  const end = (w: Worker | undefined, error: Error): void => {
    if (w === undefined || w !== live) return;
    live = undefined;
    worker = undefined;
    clearIdle();
    // A worker that never began to run (no worker threads in this host, or the file would not load): its jobs, and
    // all later ones, run in this thread, as they did before the worker existed.
    const fallBack = !online;
    if (fallBack) unavailable = true;
    for (const job of pending.values()) {
      clearTimeout(job.timer);
      if (fallBack) runTransform(job.job).then(job.resolve, job.reject);
      else job.reject(error);
    }
    pending.clear();
    void w.terminate();
  };
  const settled = (w: Worker): void => {
    if (pending.size > 0) return;
    w.unref();
    clearIdle();
    idleTimer = setTimeout(() => end(w, new Error('The image worker was idle.')), idleMs);
    idleTimer.unref?.();
  };
  const start = async (): Promise<Worker> => {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(workerFile);
    live = w;
    online = false;
    w.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) {
        if (live === w) online = true;
        return;
      }
      const job = pending.get(reply.id);
      if (!job) return;
      pending.delete(reply.id);
      clearTimeout(job.timer);
      if ('error' in reply) job.reject(new Error(reply.error));
      else job.resolve(reply.result);
      settled(w);
    });
    w.on('error', (err) => end(w, err instanceof Error ? err : new Error(String(err))));
    w.on('exit', (code) => end(w, new Error(`The image worker stopped (exit code ${code}).`)));
    return w;
  };

  const transform = async (job: TransformJob): Promise<ProcessedImage> => {
    // The file is looked for once, on the first job (the sources, in tests, have none).
    unavailable ??= !existsSync(workerFile);
    if (unavailable) return runTransform(job);
    clearIdle();
    worker ??= start();
    let w: Worker;
    try {
      w = await worker;
    } catch {
      // No worker threads here (or the file would not start): the work runs in this thread, as before.
      worker = undefined;
      return runTransform(job);
    }
    // It ended while this job waited for it (it stopped, or could not start): the job goes to the next one (or to
    // this thread, once workers are known not to run here).
    if (w !== live) return transform(job);
    return new Promise<ProcessedImage>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => end(w, new Error(`the image work took longer than ${timeLimit} and was stopped`)), jobTimeoutMs);
      timer.unref?.();
      pending.set(id, { job, resolve, reject, timer });
      w.ref();
      // The job's bytes are copied, not handed over: the delivered image stays here, to be saved as it is if the
      // work fails.
      w.postMessage({ id, job } satisfies WorkerRequest);
    });
  };

  return {
    transform,
    running: () => live !== undefined,
    async dispose(): Promise<void> {
      end(live, new Error('The image worker was closed.'));
    },
  };
}
