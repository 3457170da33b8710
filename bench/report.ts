/**
 * Turns the raw runs into medians, ratios and goal checks, and renders the generated part of
 * BENCHMARKS.md (between the BENCH:RESULTS markers; everything else in that file is written by hand).
 */
import { renderPostProcess, type PostProcessResults } from './postprocess';
import { renderExtensionFill, renderFill, type FillResults } from './fill';
import type { ExtensionFillResults } from './fillExtension';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ActivationReport } from './activation/child';
import { CONTENDERS, describeFloor, type ContenderId } from './contenders/registry';
import { MiB, fmt, max, median, min, ratio } from './stats';

export interface MachineInfo {
  cpus: number;
  nproc: string;
  cpuModel: string;
  memTotalMiB: number;
  memFreeMiB: number;
  kernel: string;
  os: string;
  node: string;
  systemNode?: string;
  curl?: string;
  jq?: string;
  openaiSdk?: string;
  undici?: string;
  eventsourceParser?: string;
  date: string;
  /** `git describe --always --dirty` of the tree measured. */
  commit?: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews the times. */
  loadBefore: number;
  loadAfter?: number;
}

export interface RunRecord {
  round: number;
  caseName: string;
  stream: boolean;
  contender: ContenderId;
  ok: boolean;
  error?: string;
  /** spawn → exit, as the orchestrator saw it (process start-up and module loading included). */
  wallMs: number;
  /** The gateway received the request → the process exited. */
  requestToExitMs?: number;
  /**
   * The gateway received the request → the whole file is on disk: the child's own stamp after its
   * write resolved (library, SDK), the final name appearing (CLI), the pipeline's exit (curl).
   */
  requestToFileMs?: number;
  /** In-process contenders: just before the request call → file written (their own clock, undici loading included). */
  inProcessMs?: number;
  /** /usr/bin/time %M of the process, or the sum over a pipeline's stages, KiB. */
  peakRssKiB?: number;
  stageRssKiB?: number[];
  /** process.resourceUsage().maxRSS reported by the child itself, KiB. */
  selfMaxRssKiB?: number;
  clientClosedEarly?: boolean;
}

export interface SizeInfo {
  extensionJs?: number;
  extensionJsGzip?: number;
  cliJs?: number;
  /** undici, built on its own and required by the two bundles on the first request (absent before that split). */
  undiciJs?: number;
  vsix?: number;
  imageJs?: number;
  wasm?: number;
  extensionInputs: { name: string; bytes: number }[];
}

export interface CaseInfo {
  name: string;
  width: number;
  height: number;
  pngBytes: number;
  base64Bytes: number;
  jsonBodyBytes: number;
  sseBytes: number;
}

export interface BenchResults {
  machine: MachineInfo;
  rounds: number;
  contenderSeconds: number;
  cases: CaseInfo[];
  available: ContenderId[];
  unavailable: Record<string, string>;
  records: RunRecord[];
  activation: { node: string; runs: ActivationReport[] }[];
  sizes: SizeInfo;
  /** Issue 12: a 2048² PNG → 1024² WebP q80, ours against cwebp. */
  postProcess?: PostProcessResults;
  /** Issue 13: 20 empty links filled at concurrency 1, 3, 6 against a 1 s gateway. */
  fill?: FillResults;
  /** The same in code-server's extension host (Generate All Missing Images). */
  fillExtension?: ExtensionFillResults;
}

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export interface Cell {
  contender: ContenderId;
  caseName: string;
  stream: boolean;
  runs: number;
  failed: number;
  errors: string[];
  /** The primary time: request arrival → complete file on disk. */
  requestToFile: Stat;
  requestToExit: Stat;
  wall: Stat;
  inProcess?: Stat;
  peakRssMiB: number;
  /** Median peak RSS on this image minus median peak RSS of the same contender on the 1×1 image. */
  growthMiB?: number;
  imageMiB: number;
}

export interface GoalCheck {
  contender: ContenderId;
  caseName: string;
  stream: boolean;
  timeVsSdk?: number;
  rssVsSdk?: number;
  timeVsFloor?: number;
  growthVsImage?: number;
}

export interface Summary {
  cells: Cell[];
  goals: GoalCheck[];
}

const stat = (values: number[]): Stat => ({ median: median(values), min: min(values), max: max(values) });

export function summarise(results: BenchResults): Summary {
  const cells: Cell[] = [];
  const imageBytes = new Map(results.cases.map((c) => [c.name, c.pngBytes]));
  for (const c of results.cases) {
    for (const stream of [false, true]) {
      for (const contender of results.available) {
        const runs = results.records.filter((r) => r.contender === contender && r.caseName === c.name && r.stream === stream);
        const good = runs.filter((r) => r.ok);
        const inProcess = good.map((r) => r.inProcessMs).filter((v): v is number => v !== undefined);
        const pick = (f: (r: RunRecord) => number | undefined) => stat(good.map(f).filter((v): v is number => v !== undefined));
        cells.push({
          contender,
          caseName: c.name,
          stream,
          runs: runs.length,
          failed: runs.length - good.length,
          errors: [...new Set(runs.filter((r) => !r.ok).map((r) => r.error ?? 'failed'))].slice(0, 3),
          requestToFile: pick((r) => r.requestToFileMs),
          requestToExit: pick((r) => r.requestToExitMs),
          wall: pick((r) => r.wallMs),
          inProcess: inProcess.length ? stat(inProcess) : undefined,
          peakRssMiB: median(good.map((r) => r.peakRssKiB).filter((v): v is number => v !== undefined)) / 1024,
          imageMiB: (imageBytes.get(c.name) ?? 0) / MiB,
        });
      }
    }
  }
  const find = (contender: ContenderId, caseName: string, stream: boolean) =>
    cells.find((x) => x.contender === contender && x.caseName === caseName && x.stream === stream);
  for (const cell of cells) {
    const tiny = find(cell.contender, 'tiny', cell.stream);
    if (cell.caseName !== 'tiny' && tiny && Number.isFinite(tiny.peakRssMiB)) cell.growthMiB = cell.peakRssMiB - tiny.peakRssMiB;
  }
  const goals: GoalCheck[] = [];
  for (const cell of cells) {
    if (cell.caseName === 'tiny' || (cell.contender !== 'ours-lib' && cell.contender !== 'ours-cli')) continue;
    const sdk = find('openai-sdk', cell.caseName, cell.stream);
    const floor = find('curl-jq', cell.caseName, cell.stream);
    goals.push({
      contender: cell.contender,
      caseName: cell.caseName,
      stream: cell.stream,
      timeVsSdk: sdk ? cell.requestToFile.median / sdk.requestToFile.median : undefined,
      rssVsSdk: sdk ? cell.peakRssMiB / sdk.peakRssMiB : undefined,
      timeVsFloor: floor ? cell.requestToFile.median / floor.requestToFile.median : undefined,
      growthVsImage: cell.growthMiB !== undefined ? cell.growthMiB / cell.imageMiB : undefined,
    });
  }
  return { cells, goals };
}

const BEGIN = '<!-- BENCH:RESULTS:BEGIN — generated by `npm run bench` (bench/report.ts); edits here are overwritten -->';
const END = '<!-- BENCH:RESULTS:END -->';

function kib(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / 1024).toFixed(1)} KiB`;
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(2)} MiB`;
}

/** A contender's label inside a table cell. */
function label(id: ContenderId): string {
  return CONTENDERS[id].label.replace(/\|/g, '\\|');
}

function caseLabel(c: { caseName: string; stream: boolean }, cases: CaseInfo[]): string {
  const info = cases.find((x) => x.name === c.caseName);
  const size = info ? (info.name === 'tiny' ? '1×1' : `${info.width}×${info.height}`) : c.caseName;
  return `${size} ${c.stream ? 'stream' : 'JSON'}`;
}

function check(value: number | undefined, limit: number): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  // Judged on the figure shown, so that "1.00×" never reads as a failure.
  return `${value.toFixed(2)}× ${Number(value.toFixed(2)) <= limit ? '✅' : '❌'}`;
}

export function renderMarkdown(results: BenchResults, summary: Summary): string {
  const m = results.machine;
  const out: string[] = [BEGIN, '', '## Results', ''];
  out.push(
    `Measured ${m.date.slice(0, 16).replace('T', ' ')} UTC${m.commit ? ` (tree ${m.commit})` : ''} on ${m.nproc} × ${m.cpuModel}, ${m.memTotalMiB} MiB RAM, ${m.os}, ${m.kernel}. ` +
      `Node ${m.node} for every Node contender${m.systemNode ? ` (the activation is also timed on the system's Node ${m.systemNode})` : ''}; ` +
      `${m.curl ?? 'curl ?'}, ${m.jq ?? 'jq ?'}; openai SDK ${m.openaiSdk ?? '?'}; undici ${m.undici ?? '?'}, eventsource-parser ${m.eventsourceParser ?? '?'} in our bundle. ` +
      `${results.rounds} counted rounds (+1 warm-up), contenders alternating; ${results.contenderSeconds.toFixed(0)} s for the client part. ` +
      `Load average (1 min) ${m.loadBefore.toFixed(1)} at the start, ${m.loadAfter?.toFixed(1) ?? '?'} at the end on ${m.nproc} cores${(m.loadAfter ?? m.loadBefore) > Number(m.nproc) ? ': the machine was busy with other work, so times are noisy (see min–max); peak RSS much less so' : ''}.`,
    '',
  );
  if (Object.keys(results.unavailable).length) {
    out.push('Not measured in this run: ' + Object.entries(results.unavailable).map(([k, v]) => `\`${k}\` (${v})`).join('; ') + '.', '');
  }

  out.push('### Images served', '', '| image | PNG = decoded bytes | base64 | non-stream JSON body | SSE body (3 partials + final; the final repeated in `response.completed`) |', '|---|---:|---:|---:|---:|');
  for (const c of results.cases) {
    out.push(`| ${c.name === 'tiny' ? '1×1 (baseline)' : `${c.width}×${c.height} noise`} | ${mib(c.pngBytes)} | ${mib(c.base64Bytes)} | ${mib(c.jsonBodyBytes)} | ${mib(c.sseBytes)} |`);
  }
  out.push('');

  out.push(
    '### Request → file on disk',
    '',
    'Medians (min–max) over the counted rounds; every file is checked byte for byte. **request→file**: from the gateway receiving the request to the whole file on disk ' +
      '(library and SDK: their own time stamp once the write resolved; CLI: its final file name appearing, which it links into place when complete; curl: the pipeline\'s exit). ' +
      '**request→exit**: to the process having exited (tearing down a large heap takes tens of ms). **process**: spawn → exit, i.e. plus runtime start-up and module loading. ' +
      '**peak RSS**: `/usr/bin/time` of the process (a pipeline: sum of its stages). ' +
      '**growth**: peak RSS minus the same contender\'s peak on the 1×1 image; **÷ image**: growth over the decoded PNG size.',
    '',
    '| image | contender | request→file ms | ×SDK | ×floor | request→exit ms | process ms | peak RSS MiB | growth MiB | ÷ image | failed |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  const find = (contender: ContenderId, caseName: string, stream: boolean) =>
    summary.cells.find((x) => x.contender === contender && x.caseName === caseName && x.stream === stream);
  for (const cell of summary.cells) {
    const sdk = find('openai-sdk', cell.caseName, cell.stream);
    const floor = find('curl-jq', cell.caseName, cell.stream);
    const t = cell.requestToFile;
    const timeCell = Number.isFinite(t.median) ? `${fmt(t.median)} (${fmt(t.min)}–${fmt(t.max)})` : 'n/a';
    const isInfo = CONTENDERS[cell.contender].informational;
    out.push(
      `| ${caseLabel(cell, results.cases)} | ${label(cell.contender)} | ${timeCell} | ${cell.contender === 'openai-sdk' || !sdk || isInfo ? '' : ratio(t.median, sdk.requestToFile.median)} | ${cell.contender === 'curl-jq' || !floor ? '' : ratio(t.median, floor.requestToFile.median)} | ${fmt(cell.requestToExit.median)} | ${fmt(cell.wall.median)} | ${fmt(cell.peakRssMiB, 1)} | ${cell.growthMiB === undefined ? '' : fmt(cell.growthMiB, 1)} | ${cell.growthMiB === undefined || cell.caseName === 'tiny' ? '' : ratio(cell.growthMiB, cell.imageMiB)} | ${cell.failed ? `${cell.failed}/${cell.runs}` : ''} |`,
    );
  }
  out.push('');
  const failures = summary.cells.filter((c) => c.failed > 0);
  if (failures.length) {
    out.push('Failures:', '');
    for (const c of failures) out.push(`- ${caseLabel(c, results.cases)}, ${label(c.contender)}: ${c.errors.map((e) => `\`${e.replace(/`/g, "'").slice(0, 240)}\``).join('; ')}`);
    out.push('');
  }

  if (summary.goals.length) {
    out.push(
      '### Goals',
      '',
      'Our client must take at most the SDK\'s time and memory (≤ 1.00×), stay within 1.3× of the curl floor, and grow its peak RSS by at most 2× the decoded image.',
      '',
      '| image | ours | time ×SDK | peak RSS ×SDK | time ×floor (≤ 1.3) | growth ÷ image (≤ 2) |',
      '|---|---|---:|---:|---:|---:|',
    );
    for (const g of summary.goals) {
      out.push(`| ${caseLabel(g, results.cases)} | ${label(g.contender)} | ${check(g.timeVsSdk, 1)} | ${check(g.rssVsSdk, 1)} | ${check(g.timeVsFloor, 1.3)} | ${check(g.growthVsImage, 2)} |`);
    }
    out.push('');
  }

  out.push('### Extension start-up', '');
  const s = results.sizes;
  out.push(
    `| artefact | size |`,
    '|---|---:|',
    `| \`dist/extension.js\` (production, minified) | ${kib(s.extensionJs)} (${kib(s.extensionJsGzip)} gzipped) |`,
    `| \`dist/cli.js\` | ${kib(s.cliJs)} |`,
    ...(s.undiciJs !== undefined ? [`| \`dist/undici.js\` (undici, loaded by both on the first request) | ${kib(s.undiciJs)} |`] : []),
    ...(s.imageJs !== undefined ? [`| \`dist/image.js\` + \`dist/wasm/*.wasm\` (the image codecs, loaded on the first generation that changes pixels) | ${kib(s.imageJs)} + ${kib(s.wasm)} |`] : []),
    `| \`dist-vsix/cpa-gpt-image.vsix\` | ${kib(s.vsix)} |`,
    '',
  );
  if (s.extensionInputs.length) {
    out.push('What `dist/extension.js` is made of (esbuild metafile, bytes in the output): ' + s.extensionInputs.slice(0, 6).map((i) => `${i.name} ${kib(i.bytes)}`).join(', ') + '.', '');
  }
  const timing = results.activation.filter((a) => !a.node.includes('coverage'));
  if (timing.length) {
    out.push('Cold `require(dist/extension.js)` + `activate()` against the `vscode` stand-in, a fresh process per run; medians (min–max).', '');
    out.push('| Node | runs | require ms | activate() ms | total ms | RSS added MiB | errors |', '|---|---:|---:|---:|---:|---:|---|');
    for (const a of timing) {
      const ok = a.runs.filter((r) => !r.error && Number.isFinite(r.totalMs));
      const st = (pick: (r: ActivationReport) => number) => {
        const v = ok.map(pick);
        return v.length ? `${fmt(median(v), 1)} (${fmt(min(v), 1)}–${fmt(max(v), 1)})` : 'n/a';
      };
      const errors = [...new Set(a.runs.filter((r) => r.error).map((r) => r.error))].join('; ');
      out.push(`| ${a.node} | ${ok.length} | ${st((r) => r.requireMs)} | ${st((r) => r.activateMs)} | ${st((r) => r.totalMs)} | ${ok.length ? fmt(median(ok.map((r) => (r.rssAfterKiB - r.rssBeforeKiB) / 1024)), 1) : 'n/a'} | ${errors ? `\`${errors.slice(0, 200)}\`` : ''} |`);
    }
    out.push('');
  }
  const cov = results.activation.find((a) => a.node.includes('coverage'))?.runs[0];
  const first = timing[0]?.runs.find((r) => !r.error);
  if (first || cov) {
    const report = cov && !cov.error ? cov : first;
    if (report) {
      const init = cov?.initialisers;
      const verdict = (name: string) => init?.packages.find((p) => p.name === name)?.verdict ?? 'n/a';
      const notLoaded = (name: string) => {
        const v = verdict(name);
        return v === 'lazy, not run' || v === 'not in bundle';
      };
      out.push(
        'Loaded at activation? (V8 precise coverage of the bundle: whether the esbuild module initialiser of each package ran; plus undici\'s `Symbol.for(\'undici.globalDispatcher.*\')` on `globalThis`, which undici sets the moment it initialises.)',
        '',
        '| package | module initialiser | global dispatcher symbol set | verdict |',
        '|---|---|---|---|',
        `| undici | ${verdict('undici')} | ${report.undiciGlobalAfterActivate === undefined ? 'n/a' : report.undiciGlobalAfterActivate || report.undiciGlobalAfterSettle ? 'yes' : 'no (also 200 ms after activate)'} | ${notLoaded('undici') && !report.undiciGlobalAfterActivate && !report.undiciGlobalAfterSettle ? 'not loaded ✅' : 'LOADED ❌'} |`,
        `| eventsource-parser | ${verdict('eventsource-parser')} | – | ${notLoaded('eventsource-parser') ? 'not loaded ✅' : 'LOADED ❌'} |`,
        `| json5 | ${verdict('json5')} | – | ${notLoaded('json5') ? 'not loaded' : 'loaded'} |`,
        '',
      );
      if (init) out.push(`Module initialisers in the bundle: ${init.wrappers} lazy wrappers, ${init.wrappersRun} of them ran during require + activate.`, '');
      out.push(
        `activate() registered ${report.commands?.length ?? 0} commands and ${report.subscriptions ?? 0} subscriptions; it called: ${Object.entries(report.calls ?? {})
          .map(([k, v]) => `\`${k}\`${v > 1 ? ` ×${v}` : ''}`)
          .join(', ') || 'nothing'}. Node built-ins it required: ${report.builtinsRequired?.length ? report.builtinsRequired.map((b) => `\`${b}\``).join(', ') : 'none'}.`,
        '',
      );
    }
  }

  if (results.postProcess) out.push(...renderPostProcess(results.postProcess));
  if (results.fill) out.push(...renderFill(results.fill));
  if (results.fillExtension) out.push(...renderExtensionFill(results.fillExtension));

  const floor = describeFloor();
  out.push('The floor, exactly:', '', '```sh', `# non-stream`, floor.nonStream, `# stream`, floor.stream, '```', '', END);
  return out.join('\n');
}

export function rewriteResultsSection(path: string, generated: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const begin = current.indexOf('<!-- BENCH:RESULTS:BEGIN');
  const end = current.indexOf(END);
  const next =
    begin >= 0 && end > begin ? `${current.slice(0, begin)}${generated}${current.slice(end + END.length)}` : `${current.trimEnd()}\n\n${generated}\n`;
  writeFileSync(path, next);
}
