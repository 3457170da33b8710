/**
 * Untrusted text (the gateway's words, file and folder names, prompts, settings from the workspace) made inert
 * for each VS Code surface that renders markup, so it never becomes a live link, a `command:` link, HTML or an
 * icon. One function per sink; each says what that sink parses (checked against the renderer of code-server
 * 4.139 = VS Code 1.139) and what is broken.
 *
 * The means is one invisible character, U+200B ZERO WIDTH SPACE, put inside the syntax a renderer looks for
 * (`]` + `(`, `<` + scheme, `$` + `(`): the text reads the same, but no pattern matches any more. Backslash
 * escapes are not enough: VS Code's notification parser (`parseLinkedText`, a plain regular expression) does
 * not honour them, so `\[a\](command:x)` is still a link there. Inserting a character can never create a new
 * match (it is none of `[ ] ( ) < $`), so the functions are safe to apply to any piece of a message.
 *
 * Apply them to the data only, never to our own templates: `l10n.t('Saved {0}', notificationText(path))`. No
 * template of ours has `](`, `]{`, `<{` or `${` (a unit test checks), so data cannot join a template into a link.
 *
 * The preview webview needs nothing from here: media/preview.js sets text with `textContent` and attributes with
 * `setAttribute` only, under a Content-Security-Policy without inline script.
 */

/** U+200B ZERO WIDTH SPACE: invisible, not whitespace for `trim()` or `\s`, and not markup anywhere. */
export const INERT_BREAK = '\u200B';

/**
 * Every `]` and every `<` get the break after them.
 * - `]` + break: `[a](b)`, `[a]( b )`, `[a](<b>)` and the title forms need `](` adjacent; reference links
 *   `[a][r]` need `][`, their definitions `[r]: url` need `]:`. Breaking after every `]` (not only before
 *   `(`) also covers a piece of data that ends in `]` and is followed by a `(` of another piece.
 * - `<` + break: autolinks `<command:x>`, `<https://x>` and HTML tags `<a href>` need the scheme or the tag
 *   name right after `<`.
 */
function breakLinks(text: string): string {
  return text.replace(/[\]<]/g, (c) => `${c}${INERT_BREAK}`);
}

/** `$(name)` and `$(name~spin)` are icons where labels support them; `$` + break + `(` is not. */
function breakIcons(text: string): string {
  return text.replace(/\$\(/g, `$${INERT_BREAK}(`);
}

/**
 * GFM's extended autolinks (VS Code renders MarkdownString with marked, `gfm: true`): `https://…`, `ftp://…`,
 * `www.…` and e-mail addresses become links without any brackets. Broken after `:` and between the slashes
 * (also no protocol-relative `//host`), after `www`, and after `@`.
 */
function breakBareUrls(text: string): string {
  return text
    .replace(/:\/\//g, `:${INERT_BREAK}/${INERT_BREAK}/`)
    .replace(/\b(www)\./gi, `$1${INERT_BREAK}.`)
    .replace(/@/g, `@${INERT_BREAK}`);
}

/**
 * Notifications and progress: `showInformationMessage`, `showWarningMessage`, `showErrorMessage`, the title and
 * message of `withProgress` (location Notification), and the prompt / validation message of an input box.
 * VS Code parses these with `parseLinkedText`: `[label](target)` with an `http(s)://`, `command:` or `file:`
 * target becomes a link, and a click on a `command:` link runs that command (a terminal, a shell, an
 * extension's command). Input box prompts also render `$(icon)`. Links and icons are broken.
 */
export function notificationText(text: string): string {
  return breakIcons(breakLinks(text));
}

/**
 * Labels that render `$(icon)` but no links: status bar item text and `setStatusBarMessage`, CodeLens titles,
 * code action titles, quick-pick item labels, descriptions and details. `$(` is broken so data cannot show an
 * icon (a spinning `$(sync~spin)` or a `$(check)` that was never earned). The text is otherwise unchanged, so
 * typing in a quick pick still filters on what the user sees.
 */
export function iconLabelText(text: string): string {
  return breakIcons(text);
}

/**
 * Tree item labels and descriptions given as strings: VS Code 1.139 renders them as plain text (no icons, no
 * links; `supportIcons` is only set for a `TreeItemLabel` given as a MarkdownString). Icons are still broken, in
 * case a later VS Code renders them: the break is invisible, so this costs nothing.
 */
export function treeItemText(text: string): string {
  return breakIcons(text);
}

/**
 * Data for `MarkdownString.appendText` (status bar and tree item tooltips, the agent tool's confirmation). Use
 * with a MarkdownString whose `isTrusted` is off (no `command:` link runs) and `supportThemeIcons` off, and only
 * `appendText`, never `appendMarkdown`, for data. `appendText` escapes the markdown punctuation but not `<`
 * (`<command:x>` stays an autolink: its `>` becomes `\>`, which CommonMark keeps inside the autolink) and not
 * bare URLs (GFM autolinks them). So links, autolinks, HTML, bare URLs and icons are broken first.
 */
export function markdownText(text: string): string {
  return breakIcons(breakBareUrls(breakLinks(text)));
}

/**
 * The text the language-model tool returns: the model reads it and may repeat it in a chat answer that is rendered
 * as markdown. Links, autolinks, HTML, bare URLs and icons in the data are broken as for a MarkdownString. Only
 * the data: the markdown link the tool hands the model to insert is built by `formatInsertion` (escaped alt text,
 * `<…>` destination) and stays exactly as it must be written. (The error it throws is `describeError`'s message,
 * already inert for a notification.)
 */
export function languageModelText(text: string): string {
  return markdownText(text);
}

/**
 * Data in a markdown document we build and show in VS Code's markdown preview (Show Resolved Configuration): the
 * preview renders with markdown-it, HTML and linkify on, so links, autolinks, HTML tags (an `<img>` would load a
 * remote image) and bare URLs in the data are broken as for a MarkdownString. A table cell also needs its `|`
 * escaped and its line breaks removed, which is the caller's (it knows the cell).
 */
export function markdownDocumentText(text: string): string {
  return markdownText(text);
}
