/**
 * SPEC §3 step 4: the text inserted into the document for a saved image. All paths are POSIX (`Uri.path`).
 * Markdown links follow the rules of VS Code's own "insert link" (markdown-language-features): a relative
 * path with `/`, no `./`, and `<…>` around a destination that could not stand bare.
 */

import * as path from 'node:path';
import { graphemes } from '../text/graphemes';

const posix = path.posix;

export type InsertionFormat = 'auto' | 'markdown' | 'html' | 'path';

export interface InsertionInput {
  format: InsertionFormat;
  languageId?: string;
  /** POSIX absolute path of the saved image. */
  imagePath: string;
  /** POSIX absolute path of the document the link goes into. */
  documentPath?: string;
  /** POSIX absolute path of the workspace folder of the document (or the first folder). */
  workspaceFolderPath?: string;
  /** Alt text, usually from `altFromPrompt`; escaped here for the chosen format. */
  alt: string;
}

const MARKDOWN_LANGUAGES = new Set(['markdown', 'mdx', 'quarto', 'rmd', 'markdown-math']);
const DEFAULT_ALT_LENGTH = 80;
const ELLIPSIS = '…';

export function isMarkdownLanguage(languageId: string): boolean {
  return MARKDOWN_LANGUAGES.has(languageId.toLowerCase());
}

function singleLine(text: string): string {
  // \p{Cc} also covers the C0/C1 controls that are not whitespace.
  return text.replace(/[\s\p{Cc}]+/gu, ' ').trim();
}

/**
 * Alt text from a prompt: one line, whitespace collapsed, at most `maxLength` characters including the
 * trailing `…`, cut at a word boundary when there is one in the last part, else at a character boundary.
 * Not escaped: `formatInsertion` escapes for the format it writes.
 */
export function altFromPrompt(prompt: string, maxLength: number = DEFAULT_ALT_LENGTH): string {
  const limit = Math.max(2, Math.floor(maxLength));
  const text = singleLine(prompt);
  const parts = graphemes(text);
  if (parts.length <= limit) return text;
  const kept = parts.slice(0, limit - 1).join('');
  // Prefer ending at a space when that keeps most of the text (space-less scripts such as Chinese cut anywhere).
  const space = kept.lastIndexOf(' ');
  const cut = space >= kept.length * 0.6 ? kept.slice(0, space) : kept;
  return `${cut.replace(/[\s,.;:!?，。；：！？、-]+$/u, '')}${ELLIPSIS}`;
}

function escapeMarkdownAlt(alt: string): string {
  return alt.replace(/[\\[\]]/g, (c) => `\\${c}`);
}

function escapeHtmlAttribute(value: string): string {
  return value.replace(/[&"<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
}

/** Whitespace, control characters, a leading `<` or unbalanced parentheses need `<…>` in CommonMark. */
function needsAngleBrackets(destination: string): boolean {
  if (destination.startsWith('<') || /[\s\p{Cc}]/u.test(destination)) return true;
  let depth = 0;
  let previous = '';
  for (const c of destination) {
    if (previous !== '\\') {
      if (c === '(') depth++;
      else if (c === ')') depth--;
    }
    if (depth < 0) return true;
    previous = c;
  }
  return depth !== 0;
}

function markdownDestination(relative: string): string {
  if (!needsAngleBrackets(relative)) return relative;
  return `<${relative.replace(/[<>]/g, (c) => `\\${c}`)}>`;
}

/** `from` → `to` as a relative POSIX path; `to` itself when `from` is unknown. */
function relativeTo(fromDir: string | undefined, to: string): string {
  if (fromDir === undefined) return to;
  const rel = posix.relative(fromDir, to);
  return rel === '' ? posix.basename(to) : rel;
}

/** The image relative to the document's folder, or to the workspace folder when there is no document. */
function linkTarget(input: InsertionInput): string {
  const baseDir = input.documentPath !== undefined ? posix.dirname(input.documentPath) : input.workspaceFolderPath;
  return relativeTo(baseDir, input.imagePath);
}

/** The image relative to the workspace folder; absolute when it is outside that folder or there is none. */
function workspacePath(input: InsertionInput): string {
  const folder = input.workspaceFolderPath;
  if (folder === undefined) return input.imagePath;
  const rel = posix.relative(folder, input.imagePath);
  if (rel === '' || rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel)) return input.imagePath;
  return rel;
}

export function formatInsertion(input: InsertionInput): string {
  const format =
    input.format === 'auto'
      ? input.languageId !== undefined && isMarkdownLanguage(input.languageId)
        ? 'markdown'
        : 'path'
      : input.format;
  const alt = singleLine(input.alt);
  switch (format) {
    case 'markdown':
      return `![${escapeMarkdownAlt(alt)}](${markdownDestination(linkTarget(input))})`;
    case 'html':
      return `<img src="${escapeHtmlAttribute(linkTarget(input))}" alt="${escapeHtmlAttribute(alt)}">`;
    case 'path':
      return workspacePath(input);
  }
}
