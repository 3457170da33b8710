/**
 * Provenance in the saved file (issue 12 item 4): the prompt, the revised prompt, the model, the date, the tool and
 * its settings, written into the image's own container after the post-process stage and before the save (the CLI
 * and the extension both call `withProvenance`), and read back for Regenerate from File. PNG gets iTXt chunks
 * (provenance/pngText.ts), WebP an XMP chunk (provenance/webpXmp.ts), JPEG an XMP APP1 segment
 * (provenance/jpegXmp.ts); only the container changes, never the pixels. Bounded: each prompt is cut to
 * MAX_PROMPT_CHARS, the settings to MAX_SETTINGS_CHARS, the whole to MAX_PROVENANCE_BYTES; reading refuses
 * oversize or corrupt chunks. Files and prompts are untrusted: text is cleaned of characters that XML forbids and
 * escaped, so it can break neither the XML nor the chunk structure.
 */
import type { GenerationSettings } from '../config/generationSettings';
import type { GatewaySettings, GeneratedImage, OutputFormat } from '../types';
import { readPngText, writePngText } from './provenance/pngText';
import { readWebpXmp, writeWebpXmp } from './provenance/webpXmp';
import { MAX_JPEG_XMP_BYTES, readJpegXmp, writeJpegXmp } from './provenance/jpegXmp';
import { buildXmpPacket, parseXmpPacket, type XmpFields } from './provenance/xmpPacket';

/** Set by the bundler (esbuild.mjs) to package.json's version. */
declare const __EXTENSION_VERSION__: string | undefined;

export const MAX_PROMPT_CHARS = 4000;
export const MAX_SETTINGS_CHARS = 2000;
const MAX_SHORT_CHARS = 200;
/** One setting's text (a style's text is up to 600 characters). */
const MAX_SETTING_CHARS = 800;
/** The whole provenance as written (all iTXt chunks, or the XMP packet), in bytes. Below JPEG's one-segment limit. */
export const MAX_PROVENANCE_BYTES = 60 * 1024;

/** The tool settings a regeneration repeats: scalars only. */
export type ProvenanceSettings = Record<string, string | number | boolean>;

export interface Provenance {
  prompt: string;
  revisedPrompt?: string;
  model?: string;
  /** ISO 8601. */
  created?: string;
  /** "CPA GPT Image 0.1.0" (or "… CLI"). */
  software?: string;
  settings?: ProvenanceSettings;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Text safe in both containers: without NUL and the other C0 controls XML 1.0 forbids (tab, LF, CR stay), without
 * lone surrogates, U+FFFE and U+FFFF, and at most `max` characters (never cutting a surrogate pair).
 */
export function cleanText(text: string, max: number): string {
  let cut = text.length > max ? text.slice(0, max) : text;
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}

function cleanSettings(settings: ProvenanceSettings | undefined): string | undefined {
  if (!settings) return undefined;
  const entries = Object.entries(settings)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))
    .map(([k, v]) => [cleanText(k, 40), typeof v === 'string' ? cleanText(v, MAX_SETTING_CHARS) : v] as const);
  const json = JSON.stringify(Object.fromEntries(entries));
  return json.length <= MAX_SETTINGS_CHARS ? json : undefined;
}

/** The fields as text, cleaned and capped; the revised prompt is dropped first if the whole would pass the cap. */
function fieldsOf(p: Provenance): XmpFields {
  const fields: XmpFields = { prompt: cleanText(p.prompt, MAX_PROMPT_CHARS) };
  if (p.revisedPrompt !== undefined) fields.revisedPrompt = cleanText(p.revisedPrompt, MAX_PROMPT_CHARS);
  if (p.model !== undefined) fields.model = cleanText(p.model, MAX_SHORT_CHARS);
  if (p.created !== undefined) fields.created = cleanText(p.created, MAX_SHORT_CHARS);
  if (p.software !== undefined) fields.software = cleanText(p.software, MAX_SHORT_CHARS);
  const settings = cleanSettings(p.settings);
  if (settings !== undefined) fields.settings = settings;
  return fields;
}

const PNG_KEYWORDS: ReadonlyArray<[keyof XmpFields, string]> = [
  ['prompt', 'prompt'],
  ['revisedPrompt', 'revised_prompt'],
  ['model', 'model'],
  ['created', 'created'],
  ['software', 'software'],
  ['settings', 'settings'],
];

function pngEntries(fields: XmpFields): Array<[string, string]> {
  return PNG_KEYWORDS.flatMap(([key, keyword]) => (fields[key] !== undefined ? [[keyword, fields[key]!] as [string, string]] : []));
}

const pngSize = (entries: Array<[string, string]>): number => entries.reduce((n, [k, v]) => n + 17 + k.length + encoder.encode(v).length, 0);
const xmpBytes = (fields: XmpFields): Uint8Array => encoder.encode(buildXmpPacket(fields));

/**
 * `bytes` with the provenance written into their container, or undefined when the container could not be edited
 * (not a well-formed PNG/WebP/JPEG): the caller then saves the image without it.
 */
export function writeProvenance(bytes: Uint8Array, mime: GeneratedImage['mime'], provenance: Provenance): Uint8Array | undefined {
  let fields = fieldsOf(provenance);
  if (mime === 'image/png') {
    let entries = pngEntries(fields);
    if (pngSize(entries) > MAX_PROVENANCE_BYTES) entries = entries.filter(([k]) => k !== 'revised_prompt');
    return pngSize(entries) > MAX_PROVENANCE_BYTES ? undefined : writePngText(bytes, entries);
  }
  let packet = xmpBytes(fields);
  if (packet.length > MAX_PROVENANCE_BYTES) {
    const { revisedPrompt: _dropped, ...rest } = fields;
    fields = rest;
    packet = xmpBytes(fields);
  }
  if (packet.length > MAX_PROVENANCE_BYTES || packet.length > MAX_JPEG_XMP_BYTES) return undefined;
  return mime === 'image/webp' ? writeWebpXmp(bytes, packet) : writeJpegXmp(bytes, packet);
}

function parseSettings(json: string | undefined): ProvenanceSettings | undefined {
  if (json === undefined || json.length > MAX_SETTINGS_CHARS) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const settings: ProvenanceSettings = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) settings[k] = v;
    }
    return settings;
  } catch {
    return undefined;
  }
}

function toProvenance(fields: XmpFields): Provenance | undefined {
  if (fields.prompt === undefined || fields.prompt.trim() === '') return undefined;
  const settings = parseSettings(fields.settings);
  const p: Provenance = { prompt: cleanText(fields.prompt, MAX_PROMPT_CHARS) };
  if (fields.revisedPrompt !== undefined) p.revisedPrompt = cleanText(fields.revisedPrompt, MAX_PROMPT_CHARS);
  if (fields.model !== undefined) p.model = cleanText(fields.model, MAX_SHORT_CHARS);
  if (fields.created !== undefined) p.created = cleanText(fields.created, MAX_SHORT_CHARS);
  if (fields.software !== undefined) p.software = cleanText(fields.software, MAX_SHORT_CHARS);
  if (settings) p.settings = settings;
  return p;
}

/** The provenance a file carries (written by this tool: a prompt is required), or undefined. Never throws. */
export function readProvenance(bytes: Uint8Array): Provenance | undefined {
  try {
    const png = readPngText(bytes, new Set(PNG_KEYWORDS.map(([, k]) => k)));
    if (png.size > 0) {
      const fields: XmpFields = {};
      for (const [key, keyword] of PNG_KEYWORDS) if (png.has(keyword)) fields[key] = png.get(keyword)!;
      return toProvenance(fields);
    }
    const packet = readWebpXmp(bytes) ?? readJpegXmp(bytes);
    if (!packet || packet.length > MAX_PROVENANCE_BYTES) return undefined;
    const fields = parseXmpPacket(decoder.decode(packet));
    return fields ? toProvenance(fields) : undefined;
  } catch {
    return undefined;
  }
}

/** What the file names as its software: "CPA GPT Image 0.1.0" or "CPA GPT Image CLI 0.1.0". */
export function softwareName(frontEnd: 'extension' | 'CLI'): string {
  const version = typeof __EXTENSION_VERSION__ === 'string' ? __EXTENSION_VERSION__ : 'dev';
  return frontEnd === 'CLI' ? `CPA GPT Image CLI ${version}` : `CPA GPT Image ${version}`;
}

const OUTPUT_FORMATS: readonly OutputFormat[] = ['png', 'jpeg', 'webp'];

/**
 * What Regenerate from File repeats, from a file's provenance: the model and the image settings exactly as
 * recorded (a value not recorded is cleared, as Regenerate from history does). Undefined without a model.
 */
export function repeatSettingsOf(p: Provenance): GenerationSettings | undefined {
  const s = p.settings ?? {};
  const text = (key: string): string | undefined => (typeof s[key] === 'string' && s[key] !== '' ? (s[key] as string) : undefined);
  const outputFormat = OUTPUT_FORMATS.find((f) => f === text('outputFormat'));
  if (p.model === undefined || p.model === '' || outputFormat === undefined) return undefined;
  const size = text('size');
  const quality = text('quality');
  const background = text('background');
  const style = text('style');
  const styleText = text('styleText');
  return {
    model: p.model,
    outputFormat,
    ...(size !== undefined ? { size } : {}),
    ...(quality !== undefined ? { quality } : {}),
    ...(background !== undefined ? { background } : {}),
    ...(style !== undefined && styleText !== undefined ? { style: { name: style, text: styleText } } : {}),
  };
}

/** The settings worth repeating, from what the generation was made with. */
export function provenanceSettings(gateway: GatewaySettings): ProvenanceSettings {
  const s: ProvenanceSettings = {};
  const { tool, processing } = gateway;
  if (tool.size !== undefined) s.size = tool.size;
  if (tool.quality !== undefined) s.quality = tool.quality;
  if (tool.background !== undefined) s.background = tool.background;
  s.outputFormat = tool.outputFormat;
  if (tool.moderation !== undefined) s.moderation = tool.moderation;
  if (gateway.style !== undefined) {
    s.style = gateway.style.name;
    s.styleText = gateway.style.text;
  }
  if (processing) {
    s.fit = processing.fit;
    s.saveFormat = processing.format;
    s.saveQuality = processing.quality;
    if (processing.maxWidth !== undefined) s.maxWidth = processing.maxWidth;
    if (processing.maxHeight !== undefined) s.maxHeight = processing.maxHeight;
  }
  return s;
}

/**
 * The image with its provenance written in, when `gateway.processing.metadata` is not false; the image as it was
 * when the setting is off or its container could not be edited (metadata never costs the image).
 */
export function withProvenance(
  image: GeneratedImage,
  prompt: string,
  gateway: GatewaySettings,
  software: string,
  now: Date = new Date(),
  /** The image was made by editing another (Edit Image): the prompt is an instruction, not a description. */
  edited = false,
): GeneratedImage {
  if (gateway.processing?.metadata === false) return image;
  const provenance: Provenance = {
    prompt,
    ...(image.revisedPrompt !== undefined ? { revisedPrompt: image.revisedPrompt } : {}),
    model: gateway.model,
    created: now.toISOString(),
    software,
    settings: { ...provenanceSettings(gateway), ...(edited ? { edited: true } : {}) },
  };
  const bytes = writeProvenance(image.bytes, image.mime, provenance);
  return bytes ? { ...image, bytes } : image;
}
