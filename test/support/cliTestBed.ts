/**
 * What a describe block of CLI tests needs, set up once: the built CLI, a test gateway that expects the canary key,
 * a scratch folder (each run gets a fresh working folder below it) and a HOME of its own (so no user's settings or
 * OpenClaw files leak in). `before`/`after` are registered by the call; the fields are read inside the tests.
 *
 *   const bed = cliTestBed('variants');
 *   const r = await bed.run(bed.gw.scenarioUrl('ok'), ['--prompt', 'a fox']);
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startTestGateway, type RecordedRequest, type TestGateway } from '../gateway/server';
import { CANARY, buildCli, filesBelow, runCliProcess, type CliRun } from '../reliability/support';
import { removeTempFolder } from './removeInside';

export interface CliBedRun extends CliRun {
  /** The run's working folder. */
  cwd: string;
  /** Every file written below `cwd`, relative, with `/`. */
  files: string[];
  /** What the gateway received on `url` (all runs on that url so far). */
  requests: RecordedRequest[];
}

export interface CliRunOptions {
  /** Fills the working folder before the CLI starts. */
  prepare?: (cwd: string) => Promise<void>;
  /** More environment for the child (the gateway's url and the canary key are always set). */
  env?: Record<string, string>;
  killAfterMs?: number;
}

export interface CliTestBed {
  readonly gw: TestGateway;
  readonly scratch: string;
  readonly home: string;
  /** The built CLI in a child process, in a fresh folder, with IMAGE_GEN_BASE_URL=url and the canary key. */
  run(url: string, args: readonly string[], options?: CliRunOptions): Promise<CliBedRun>;
}

export function cliTestBed(name: string): CliTestBed {
  let gw: TestGateway | undefined;
  let scratch: string | undefined;
  let home: string | undefined;
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the CLI test bed is used before its before() hook ran');
    return value;
  };
  before(async () => {
    buildCli();
    gw = await startTestGateway({ expectedKey: CANARY });
    scratch = await mkdtemp(join(tmpdir(), `cpa-${name}-`));
    home = await mkdtemp(join(tmpdir(), `cpa-${name}-home-`));
  });
  after(async () => {
    await gw?.close();
    if (scratch) await removeTempFolder(scratch);
    if (home) await removeTempFolder(home);
  });
  return {
    get gw() {
      return ready(gw);
    },
    get scratch() {
      return ready(scratch);
    },
    get home() {
      return ready(home);
    },
    async run(url, args, options = {}) {
      const cwd = await mkdtemp(join(ready(scratch), 'w'));
      await options.prepare?.(cwd);
      const result = await runCliProcess(args, {
        cwd,
        home: ready(home),
        env: { IMAGE_GEN_BASE_URL: url, IMAGE_GEN_KEY: CANARY, ...options.env },
        ...(options.killAfterMs !== undefined ? { killAfterMs: options.killAfterMs } : {}),
      });
      return { ...result, cwd, files: await filesBelow(cwd), requests: ready(gw).requestsFor(url) };
    },
  };
}
