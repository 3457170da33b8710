/**
 * One cold activation, in a fresh process: inject the `vscode` stand-in, `require` the bundle, run
 * `activate()`, and report the time of each step, the memory it took, what it touched, and whether
 * undici / eventsource-parser were initialised. With `coverage`, V8 precise coverage (function
 * granularity) is on, which slows things down: timing runs and coverage runs are kept apart.
 *
 *   node activation.js <dist/extension.js> <report.json> [timing|coverage] [@types/vscode/index.d.ts]
 */
import Module from 'node:module';
import { Session } from 'node:inspector/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createVscodeStandIn } from './vscodeStandIn';
import { analyseInitialisers, type CoverageFunction, type InitialiserReport } from './initialisers';

export interface ActivationReport {
  node: string;
  mode: string;
  requireMs: number;
  activateMs: number;
  totalMs: number;
  /** Process CPU time (user + system) over require + activate(): steadier than wall time on a busy machine. */
  totalCpuMs: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  heapUsedDeltaKiB: number;
  /** `Symbol.for('undici.globalDispatcher.1'|'.2')` on globalThis: set the moment undici's index runs. */
  undiciGlobalAfterActivate: boolean;
  undiciGlobalAfterSettle: boolean;
  /** Node built-ins the bundle asked for while loading and activating. */
  builtinsRequired: string[];
  commands: string[];
  calls: Record<string, number>;
  subscriptions: number;
  initialisers?: InitialiserReport;
  error?: string;
}

const [bundleArg, reportPath, mode = 'timing', typesPath] = process.argv.slice(2);
if (!bundleArg || !reportPath) throw new Error('usage: activation.js <bundle> <report> [timing|coverage]');
const bundle = resolve(bundleArg);

const undiciSet = () =>
  Object.getOwnPropertySymbols(globalThis).some((s) => s === Symbol.for('undici.globalDispatcher.1') || s === Symbol.for('undici.globalDispatcher.2'));

interface ModuleInternals {
  _resolveFilename(request: string, ...rest: unknown[]): string;
  _cache: Record<string, unknown>;
  prototype: { require(id: string): unknown };
}

async function main(): Promise<void> {
  const standIn = createVscodeStandIn(dirname(dirname(bundle)), typesPath ? readFileSync(typesPath, 'utf8') : undefined);
  const internals = Module as unknown as ModuleInternals;
  const originalResolve = internals._resolveFilename;
  internals._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? 'vscode' : originalResolve.call(this, request, ...rest);
  };
  const fake = new Module('vscode');
  fake.exports = standIn.vscode;
  fake.loaded = true;
  internals._cache['vscode'] = fake;

  const builtins = new Set<string>();
  const originalRequire = internals.prototype.require;
  internals.prototype.require = function (this: unknown, id: string) {
    if (id.startsWith('node:') || Module.isBuiltin(id)) builtins.add(id.replace(/^node:/, ''));
    return originalRequire.call(this, id);
  };

  let session: Session | undefined;
  if (mode === 'coverage') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  }

  const report: Partial<ActivationReport> = { node: process.version, mode };
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const extension = require(bundle) as { activate(context: unknown): unknown };
    const t1 = performance.now();
    await extension.activate(standIn.context);
    const t2 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    report.totalCpuMs = (cpu.user + cpu.system) / 1000;
    report.requireMs = t1 - t0;
    report.activateMs = t2 - t1;
    report.totalMs = t2 - t0;
    report.undiciGlobalAfterActivate = undiciSet();
    report.rssAfterKiB = Math.round(process.memoryUsage().rss / 1024);
    report.heapUsedDeltaKiB = Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024);
    // Let anything activate() started without awaiting (a deferred import, a first request) run.
    await new Promise((r) => setTimeout(r, 200));
    report.undiciGlobalAfterSettle = undiciSet();
  } catch (err) {
    report.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  report.rssBeforeKiB = Math.round(rssBefore / 1024);
  report.builtinsRequired = [...builtins].sort();
  report.commands = standIn.commands;
  report.calls = Object.fromEntries([...standIn.calls].sort());
  const subscriptions = (standIn.context as { subscriptions?: unknown[] }).subscriptions;
  report.subscriptions = Array.isArray(subscriptions) ? subscriptions.length : 0;

  if (session) {
    const { result } = (await session.post('Profiler.takePreciseCoverage')) as unknown as {
      result: { url: string; functions: CoverageFunction[] }[];
    };
    const url = pathToFileURL(bundle).href;
    const script = result.find((s) => s.url === url || s.url === bundle);
    if (script) report.initialisers = analyseInitialisers(readFileSync(bundle, 'utf8'), script.functions);
    session.disconnect();
  }
  writeFileSync(reportPath as string, JSON.stringify(report));
}

void main();
