/**
 * Markdown images that need alt text (issue 14 item 5, markdownlint MD045): inline images `![alt](target)` whose
 * alt is empty or only a placeholder (`![](diagram.png)`, `![image](…)`, `![screenshot](…)`, `![图片](…)`, a file
 * name such as `![diagram.png](…)`), so "Write Alt Text" can describe the picture and fill in the alt. Pure text
 * scanning with the same rules as the empty-target links (emptyImageLinks.ts): nothing inside code blocks, code
 * spans, HTML blocks, HTML comments or front matter counts, an escaped `\![` is text, and brackets nest.
 *
 * Not candidates: reference-style images (`![][ref]`: the alt lives here but the image behind the label would have to
 * be looked up), images with an empty target (those are "Generate Image from Alt Text"'s), `<img>` tags (HTML is
 * skipped as a whole), and alts that say something. A remote target (`http:`, `https:`, `//host`) is found but marked
 * `remote`: the callers skip it with a note, since only a local file is sent.
 */
import { imageOpenings, promptFromAlt } from './emptyImageLinks';

/**
 * Alts that say nothing about the picture, compared after `normalizedPlaceholder` (lower case, trailing numbers and
 * separators removed): `Image 3`, `screenshot_2`, `IMG` all match. English and Chinese words a tool or a writer
 * leaves behind; an alt that is a file name (`diagram.png`) is a placeholder too (`isPlaceholderAlt`).
 */
export const PLACEHOLDER_ALTS: readonly string[] = [
  'image',
  'img',
  'images',
  'picture',
  'pic',
  'photo',
  'screenshot',
  'screen shot',
  'screen-shot',
  'screencap',
  'capture',
  'figure',
  'fig',
  'diagram',
  'graphic',
  'illustration',
  'icon',
  'logo',
  'alt',
  'alt text',
  'alttext',
  'untitled',
  'placeholder',
  'todo',
  'tbd',
  'image description',
  'description',
  'insert image',
  'insert image here',
  'enter image description here',
  'paste image',
  'pasted image',
  'pasted-image',
  'clipboard',
  '图片',
  '图像',
  '图',
  '截图',
  '屏幕截图',
  '截屏',
  '示意图',
  '插图',
  '照片',
  '图示',
  '配图',
  '描述',
  '图片描述',
  '在此输入图片描述',
];

const PLACEHOLDERS = new Set(PLACEHOLDER_ALTS);
const IMAGE_FILE_NAME = /\.(png|jpe?g|gif|webp|svg|bmp|avif|tiff?|ico|heic)$/i;

/** Lower case, whitespace collapsed, trailing numbers, dates and separators (`Image 3`, `截图_2024-01-02`) removed. */
export function normalizedPlaceholder(alt: string): string {
  return alt
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s_\-.:#()（）0-9]+$/u, '')
    .trim();
}

/** Whether the alt (as decoded: `promptFromAlt`) says nothing: empty, a placeholder word, or a file name. */
export function isPlaceholderAlt(alt: string): boolean {
  const text = alt.trim();
  if (text === '') return true;
  if (IMAGE_FILE_NAME.test(text) && !/\s/.test(text)) return true;
  const normalized = normalizedPlaceholder(text);
  return normalized === '' || PLACEHOLDERS.has(normalized);
}

export interface AltTextImage {
  /** Offset of the `!`. */
  start: number;
  /** Offset just after the `)`. */
  end: number;
  /** The alt exactly as written between the brackets, and its offsets (inside the brackets). */
  rawAlt: string;
  altStart: number;
  altEnd: number;
  /** The link destination as written (without `<…>`), and as a path: escapes and percent-encoding decoded. */
  rawDestination: string;
  destination: string;
  /** An `http(s)://` or `//host` target: only local files are described, so this one is skipped with a note. */
  remote: boolean;
  /** Another scheme (`data:`, `file:`, `ftp:` …): skipped with a note as well. */
  unsupported: boolean;
}

/** CommonMark's escapable characters: ASCII punctuation. */
const ESCAPABLE = /[!-/:-@[-`{-~]/;

/**
 * The inline target at `open` (the `(` right after the `]`): `(dest)`, `(<dest>)`, `(dest "title")`, with spaces and
 * at most one line break around the parts. The raw destination and the offset after the `)`, or undefined when this is
 * not an inline link with a destination.
 */
function inlineTarget(text: string, open: number): { raw: string; end: number } | undefined {
  let i = open + 1;
  const skipSpace = (): boolean => {
    let breaks = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '\n') {
        breaks++;
        if (breaks > 1) return false;
      } else if (c !== ' ' && c !== '\t' && c !== '\r') break;
      i++;
    }
    return true;
  };
  if (!skipSpace()) return undefined;
  let raw: string;
  if (text[i] === '<') {
    const startRaw = i + 1;
    i++;
    while (i < text.length && text[i] !== '>') {
      if (text[i] === '\n' || text[i] === '<') return undefined;
      if (text[i] === '\\') i++;
      i++;
    }
    if (text[i] !== '>') return undefined;
    raw = text.slice(startRaw, i);
    i++;
  } else {
    const startRaw = i;
    let depth = 0;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '\\' && i + 1 < text.length && ESCAPABLE.test(text[i + 1] as string)) {
        i += 2;
        continue;
      }
      if (/[\s\p{Cc}]/u.test(c)) break;
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      }
      i++;
    }
    if (depth !== 0) return undefined;
    raw = text.slice(startRaw, i);
  }
  if (raw === '') return undefined;
  const beforeTitle = i;
  if (!skipSpace()) return undefined;
  const quote = text[i];
  if (i > beforeTitle && (quote === '"' || quote === "'" || quote === '(')) {
    const closing = quote === '(' ? ')' : quote;
    i++;
    while (i < text.length && text[i] !== closing) {
      if (text[i] === '\\') i++;
      i++;
    }
    if (text[i] !== closing) return undefined;
    i++;
    if (!skipSpace()) return undefined;
  }
  if (text[i] !== ')') return undefined;
  return { raw, end: i + 1 };
}

/** The path a destination names: backslash escapes and percent-encoding decoded, query and fragment dropped. */
export function destinationPath(raw: string): string {
  const unescaped = raw.replace(/\\([!-/:-@[-`{-~])/g, '$1');
  const withoutSuffix = unescaped.replace(/[?#].*$/s, '');
  try {
    return decodeURIComponent(withoutSuffix);
  } catch {
    return withoutSuffix;
  }
}

/** The images of `text` whose alt is empty or a placeholder, in document order. */
export function findImagesNeedingAlt(text: string): AltTextImage[] {
  const found: AltTextImage[] = [];
  // An image's target is not searched for images of its own.
  let skipUntil = 0;
  for (const { bang, close } of imageOpenings(text)) {
    if (bang < skipUntil || text[close + 1] !== '(') continue;
    const rawAlt = text.slice(bang + 2, close);
    if (!isPlaceholderAlt(promptFromAlt(rawAlt))) continue;
    const target = inlineTarget(text, close + 1);
    if (!target) continue;
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target.raw)?.[1]?.toLowerCase();
    const remote = scheme === 'http' || scheme === 'https' || target.raw.startsWith('//');
    // One letter before the colon is a Windows drive (`C:\…`), not a scheme.
    const unsupported = !remote && scheme !== undefined && scheme.length > 1;
    found.push({
      start: bang,
      end: target.end,
      rawAlt,
      altStart: bang + 2,
      altEnd: close,
      rawDestination: target.raw,
      destination: destinationPath(target.raw),
      remote,
      unsupported,
    });
    skipUntil = target.end;
  }
  return found;
}

export interface AltFill {
  image: AltTextImage;
  /** The new alt, already escaped for markdown (`altTextFromAnswer`). */
  alt: string;
}

/**
 * Writes several alts into one text: each image's alt range is replaced and no other character changes. The images
 * must have been found in this very text; one whose alt or target is no longer what was found is refused.
 */
export function applyAltFills(text: string, fills: readonly AltFill[]): string {
  const sorted = [...fills].sort((a, b) => a.image.altStart - b.image.altStart);
  for (let i = 0; i < sorted.length; i++) {
    const { image } = sorted[i] as AltFill;
    if (text.slice(image.altStart, image.altEnd) !== image.rawAlt || text.slice(image.start, image.start + 2) !== '![' || text[image.altEnd] !== ']') {
      throw new Error(`The image at offset ${image.start} is no longer the one that was found there.`);
    }
    const previous = sorted[i - 1];
    if (previous && previous.image.altEnd > image.altStart) throw new Error(`Two alt fills overlap at offset ${image.altStart}.`);
  }
  let out = '';
  let at = 0;
  for (const { image, alt } of sorted) {
    out += text.slice(at, image.altStart) + alt;
    at = image.altEnd;
  }
  return out + text.slice(at);
}
