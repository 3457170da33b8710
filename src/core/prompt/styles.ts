/**
 * Styles (issue 13 item 5): named prompt suffixes, so the images of one document share a look. A few useful ones are
 * built in; `cpaImage.styles` adds or replaces names; `cpaImage.style` (resource-scoped: a folder of docs can have its
 * own), the prompt box's choice and a document's front matter (`image-style: NAME`) pick one. The suffix is added to
 * the prompt as sent (request.ts), after the prompt and before the size phrase; the prompt shown and kept in the
 * history stays what the user typed.
 */

/** The built-in styles. Short, concrete instructions: the image model reads them after the user's prompt. */
export const BUILT_IN_STYLES: Readonly<Record<string, string>> = Object.freeze({
  diagram: 'Style: a clean explanatory diagram: flat shapes, clear outlines, a few labelled parts, plenty of white space, no photographic detail.',
  'flat illustration': 'Style: a flat vector illustration: simple geometric shapes, a limited harmonious palette, no gradients, no texture.',
  watercolor: 'Style: a soft watercolor painting: gentle washes, visible paper texture, loose edges, light colours.',
  photo: 'Style: a realistic photograph: natural light, true-to-life colours, a shallow depth of field.',
  'line art': 'Style: black ink line art on a white background: clean even lines, no shading, no colour.',
});

/** Bounds on what a settings file can make us send or show. */
export const MAX_STYLES = 50;
export const MAX_STYLE_NAME_LENGTH = 40;
export const MAX_STYLE_TEXT_LENGTH = 600;

export interface StyleCatalog {
  /** Name → suffix, the built-in ones first, then the user's (a user entry of the same name replaces a built-in one). */
  styles: ReadonlyMap<string, string>;
  /** Entries of the setting that were left out, and why (shown in the log and Show Resolved Configuration). */
  problems: string[];
}

/** A style name as written in settings, front matter or a flag: trimmed, any case. */
export function normaliseStyleName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The built-in styles and the user's `cpaImage.styles` (an object of name → suffix; anything else is reported). */
export function styleCatalog(userStyles: unknown): StyleCatalog {
  const styles = new Map<string, string>(Object.entries(BUILT_IN_STYLES));
  const problems: string[] = [];
  if (userStyles === undefined || userStyles === null) return { styles, problems };
  if (typeof userStyles !== 'object' || Array.isArray(userStyles)) {
    problems.push('cpaImage.styles must be an object of style name → text added to the prompt; it was ignored.');
    return { styles, problems };
  }
  for (const [rawName, rawText] of Object.entries(userStyles as Record<string, unknown>)) {
    const name = normaliseStyleName(rawName);
    if (name === '' || name.length > MAX_STYLE_NAME_LENGTH) {
      problems.push(`A style name must have 1 to ${MAX_STYLE_NAME_LENGTH} characters; '${rawName.slice(0, MAX_STYLE_NAME_LENGTH)}…' was ignored.`);
      continue;
    }
    if (rawText === null || rawText === '') {
      // An empty entry removes a built-in style the user does not want offered.
      styles.delete(name);
      continue;
    }
    if (typeof rawText !== 'string') {
      problems.push(`The style '${name}' must be a text; it was ignored.`);
      continue;
    }
    const text = rawText.trim().replace(/\s+/g, ' ');
    if (text.length > MAX_STYLE_TEXT_LENGTH) {
      problems.push(`The style '${name}' is longer than ${MAX_STYLE_TEXT_LENGTH} characters; it was ignored.`);
      continue;
    }
    if (!styles.has(name) && styles.size >= MAX_STYLES) {
      problems.push(`At most ${MAX_STYLES} styles; '${name}' and the ones after it were ignored.`);
      break;
    }
    styles.set(name, text);
  }
  return { styles, problems };
}

/**
 * `image-style:` in the document's front matter (a `---` block on the first line, closed by `---` or `...`), as a
 * plain or quoted one-line value. Only this one key is read, so no YAML library is needed: a value written in any
 * other YAML form (a block scalar, a flow mapping) is not a style name and is ignored.
 */
export function frontMatterStyle(text: string): string | undefined {
  const lines = text.slice(0, 64 * 1024).split(/\r?\n/);
  if (!/^---[ \t]*$/.test(lines[0] ?? '')) return undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^(?:---|\.\.\.)[ \t]*$/.test(line)) return undefined;
    const match = /^image-style[ \t]*:[ \t]*(.*?)[ \t]*(?:#.*)?$/.exec(line);
    if (!match) continue;
    const raw = match[1] ?? '';
    const quoted = /^"([^"\\]*)"$/.exec(raw) ?? /^'([^']*)'$/.exec(raw);
    const value = normaliseStyleName(quoted ? (quoted[1] ?? '') : raw);
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** The prompt as sent with a style: the user's words first, the style's after a blank line. */
export function promptWithStyle(prompt: string, styleText: string | undefined): string {
  return styleText === undefined || styleText === '' ? prompt : `${prompt}\n\n${styleText}`;
}
