/**
 * The image history as data (SPEC §7): one entry per generated image, newest first, bounded, and read back
 * defensively — `workspaceState` may hold what an older version wrote, or anything at all. No `vscode` import,
 * so the rules are unit-tested directly.
 */
import type { GenerationSettings } from '../../../core/config/generationSettings';
import type { OutputFormat } from '../../../core/types';
import { asRecord, nonEmptyString } from '../../../core/json';
import { parseStoredUsage, type TokenUsage } from '../../../core/gateway/usage';
import { parseStoredQuota, type QuotaStatus } from '../../../core/gateway/quota';

export interface HistoryEntry {
  /** Unique across restarts (generation numbers start again at 1 in each session). */
  id: string;
  prompt: string;
  revisedPrompt?: string;
  /** The saved image, `Uri.toString()`. */
  uri: string;
  /** The document the generation started from, `Uri.toString()`, when there was one. */
  documentUri?: string;
  /** The settings that shaped the image: what Regenerate repeats. */
  settings: GenerationSettings;
  /** Epoch ms when the image was saved. */
  createdAt: number;
  /** From the start of the generation to the placed image. */
  elapsedMs: number;
  /** `WxH` as the gateway reported it. */
  size?: string;
  /** Length of the saved file in bytes. */
  bytes: number;
  mime: string;
  /** What the answer said the image cost (issue 13 item 6); absent in entries of older versions. */
  usage?: TokenUsage;
  /** The plan quota left right after, when the gateway passed the Codex headers on. */
  quota?: QuotaStatus;
}

/** Older entries beyond this many are forgotten (the image files stay). */
export const maxHistoryEntries = 200;

const outputFormats: readonly OutputFormat[] = ['png', 'jpeg', 'webp'];

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function parseSettings(value: unknown): GenerationSettings | undefined {
  const raw = asRecord(value);
  const model = nonEmptyString(raw?.['model']);
  const outputFormat = outputFormats.find((f) => f === raw?.['outputFormat']);
  if (!raw || !model || !outputFormat) return undefined;
  const size = nonEmptyString(raw['size']);
  const quality = nonEmptyString(raw['quality']);
  const background = nonEmptyString(raw['background']);
  const styleRecord = asRecord(raw['style']);
  const styleName = nonEmptyString(styleRecord?.['name']);
  const styleText = nonEmptyString(styleRecord?.['text']);
  return {
    model,
    outputFormat,
    ...(size !== undefined ? { size } : {}),
    ...(quality !== undefined ? { quality } : {}),
    ...(background !== undefined ? { background } : {}),
    ...(styleName !== undefined && styleText !== undefined ? { style: { name: styleName, text: styleText } } : {}),
  };
}

/** One stored entry, or undefined when it lacks what the history needs to show and repeat it. */
export function parseHistoryEntry(value: unknown): HistoryEntry | undefined {
  const raw = asRecord(value);
  if (!raw) return undefined;
  const id = nonEmptyString(raw['id']);
  const prompt = nonEmptyString(raw['prompt']);
  const uri = nonEmptyString(raw['uri']);
  const settings = parseSettings(raw['settings']);
  const createdAt = finiteNumber(raw['createdAt']);
  if (!id || !prompt || !uri || !settings || createdAt === undefined) return undefined;
  const revisedPrompt = nonEmptyString(raw['revisedPrompt']);
  const documentUri = nonEmptyString(raw['documentUri']);
  const size = nonEmptyString(raw['size']);
  const usage = parseStoredUsage(raw['usage']);
  const quota = parseStoredQuota(raw['quota']);
  return {
    id,
    prompt,
    ...(revisedPrompt !== undefined ? { revisedPrompt } : {}),
    uri,
    ...(documentUri !== undefined ? { documentUri } : {}),
    settings,
    createdAt,
    elapsedMs: finiteNumber(raw['elapsedMs']) ?? 0,
    ...(size !== undefined ? { size } : {}),
    bytes: finiteNumber(raw['bytes']) ?? 0,
    mime: nonEmptyString(raw['mime']) ?? 'image/png',
    ...(usage !== undefined ? { usage } : {}),
    ...(quota !== undefined ? { quota } : {}),
  };
}

/** The stored list: valid entries only, no duplicate ids (the first wins), newest first, at most `max`. */
export function parseHistory(value: unknown, max: number = maxHistoryEntries): HistoryEntry[] {
  if (!Array.isArray(value)) return [];
  const seen = new Set<string>();
  const entries: HistoryEntry[] = [];
  for (const item of value) {
    const entry = parseHistoryEntry(item);
    if (!entry || seen.has(entry.id)) continue;
    seen.add(entry.id);
    entries.push(entry);
  }
  // A stable sort keeps the stored order for entries saved in the same millisecond.
  return entries.sort((a, b) => b.createdAt - a.createdAt).slice(0, Math.max(0, max));
}

/** `entry` first, any older entry with the same id dropped, the oldest forgotten beyond `max`. */
export function addHistoryEntry(entries: readonly HistoryEntry[], entry: HistoryEntry, max: number = maxHistoryEntries): HistoryEntry[] {
  return [entry, ...entries.filter((e) => e.id !== entry.id)].slice(0, Math.max(0, max));
}

/** `lz3k9a1c-4f2a9b`: time first so ids sort roughly by age, then randomness against collisions. */
export function newHistoryId(now: number, random: () => number = Math.random): string {
  const suffix = Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
  return `${now.toString(36)}-${suffix}`;
}
