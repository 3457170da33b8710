/**
 * The contenders: how each one is started for one job. Every contender runs in its own child process
 * under `/usr/bin/time -f %M` (peak RSS of that process, KiB); a shell pipeline wraps each of its stages
 * so the pipeline's peak is the sum of its stages' peaks (an upper bound: they run at the same time).
 */
import { join } from 'node:path';
import { IDENTITY_HEADERS, PARTIAL_IMAGES } from '../fixtures';
import type { ContenderJob } from './common';

export type ContenderId = 'curl-jq' | 'ours-cli' | 'ours-lib' | 'openai-sdk' | 'wire';

export interface ContenderInfo {
  id: ContenderId;
  label: string;
  /** Reported as the floor every other contender is compared with. */
  floor?: boolean;
  /** Informational only: not a way to get the file (downloads the body to /dev/null). */
  informational?: boolean;
  /** Writes a ContenderReport (in-process request→file time, its own maxRSS). */
  reports: boolean;
}

export const CONTENDERS: Record<ContenderId, ContenderInfo> = {
  'curl-jq': { id: 'curl-jq', label: 'curl | jq | base64 -d (floor)', floor: true, reports: false },
  'ours-cli': { id: 'ours-cli', label: 'ours: node dist/cli.js', reports: false },
  'ours-lib': { id: 'ours-lib', label: 'ours: ImageClient.generate', reports: true },
  'openai-sdk': { id: 'openai-sdk', label: 'openai SDK responses.create', reports: true },
  wire: { id: 'wire', label: 'wire only: curl -o /dev/null', informational: true, reports: false },
};

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Files the stages' peak RSS (KiB) are written to; summed. */
  rssFiles: string[];
}

export interface LaunchContext {
  timeBin: string;
  nodeBin: string;
  buildDir: string;
  cliPath: string;
  /** Scratch directory of this run. */
  runDir: string;
  /** Request bodies written once: stream and non-stream. */
  bodyFiles: { stream: string; nonStream: string };
  homeDir: string;
}

/** Shell single-quoting. */
function q(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The seed's fallback (`curl` + the SPEC §1 headers) with the fastest Debian extractor we measured (jq). */
function curlPipeline(ctx: LaunchContext, job: ContenderJob, extract: boolean): Launch {
  const url = `${job.baseUrl}/v1/responses`;
  const headers = [`Authorization: Bearer ${job.apiKey}`, 'Content-Type: application/json'];
  if (job.stream) {
    for (const [name, value] of Object.entries(IDENTITY_HEADERS)) headers.push(`${name}: ${value}`);
    headers.push('accept: text/event-stream');
  }
  const body = job.stream ? ctx.bodyFiles.stream : ctx.bodyFiles.nonStream;
  const rss = (n: number) => join(ctx.runDir, `stage${n}.rss`);
  const timed = (n: number) => `${q(ctx.timeBin)} -f %M -o ${q(rss(n))}`;
  const curl = `${timed(1)} curl -s ${job.stream ? '-N ' : ''}--location ${q(url)} ${headers.map((h) => `-H ${q(h)}`).join(' ')} --data-binary @${q(body)}`;
  let script: string;
  let stages: number;
  if (!extract) {
    script = `${curl} -o /dev/null`;
    stages = 1;
  } else if (!job.stream) {
    script = `${curl} | ${timed(2)} jq -r 'first(.output[] | select(.type == "image_generation_call" and (.result // "") != "") | .result)' | ${timed(3)} base64 -d > ${q(job.output)}`;
    stages = 3;
  } else {
    // The first `response.output_item.done` data line carries the image (partials use another key);
    // grep -F stops there, so curl is cut off the way the SDK contender stops reading.
    script =
      `${curl} | ${timed(2)} grep -F -m1 'data: {"type":"response.output_item.done"' | ${timed(3)} cut -c7- ` +
      `| ${timed(4)} jq -r '.item | select(.type == "image_generation_call") | .result' | ${timed(5)} base64 -d > ${q(job.output)}`;
    stages = 5;
  }
  return { command: 'bash', args: ['-c', script], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, rssFiles: Array.from({ length: stages }, (_, i) => rss(i + 1)) };
}

export function launch(id: ContenderId, ctx: LaunchContext, job: ContenderJob): Launch {
  const rssFile = join(ctx.runDir, 'stage1.rss');
  const nodeEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: ctx.homeDir };
  switch (id) {
    case 'curl-jq':
      return curlPipeline(ctx, job, true);
    case 'wire':
      return curlPipeline(ctx, job, false);
    case 'ours-cli': {
      // --no-metadata: the file is compared byte for byte with the served image, and the CLI writes the prompt and
      // settings into a PNG by default (issue 12 item 4); the other contenders write the bytes as served.
      const args = ['-f', '%M', '-o', rssFile, ctx.nodeBin, ctx.cliPath, '--prompt', job.prompt, '--output', job.output, '--no-metadata'];
      if (job.stream) args.push('--stream', '--partial-images', String(PARTIAL_IMAGES));
      // The CLI resolves its gateway from the environment (SPEC §6); HOME points at an empty folder so
      // no OpenClaw file on this machine takes part.
      return { command: ctx.timeBin, args, env: { ...nodeEnv, IMAGE_GEN_BASE_URL: job.baseUrl, IMAGE_GEN_KEY: job.apiKey }, rssFiles: [rssFile] };
    }
    case 'ours-lib':
    case 'openai-sdk': {
      const script = join(ctx.buildDir, id === 'ours-lib' ? 'ours-lib.js' : 'openai-sdk.js');
      return { command: ctx.timeBin, args: ['-f', '%M', '-o', rssFile, ctx.nodeBin, script, JSON.stringify(job)], env: nodeEnv, rssFiles: [rssFile] };
    }
  }
}

/** The exact commands, for BENCHMARKS.md. */
export function describeFloor(): { nonStream: string; stream: string } {
  return {
    nonStream: `curl -s --location "$BASE/v1/responses" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' --data-binary @body.json | jq -r 'first(.output[] | select(.type == "image_generation_call" and (.result // "") != "") | .result)' | base64 -d > out.png`,
    stream: `curl -s -N --location "$BASE/v1/responses" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' <identity headers> -H 'accept: text/event-stream' --data-binary @body.json | grep -F -m1 'data: {"type":"response.output_item.done"' | cut -c7- | jq -r '.item | select(.type == "image_generation_call") | .result' | base64 -d > out.png`,
  };
}
