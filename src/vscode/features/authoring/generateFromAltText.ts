/**
 * "Generate Image from Alt Text" (SPEC §7): for an image link with an empty or missing target, generates the image
 * from the alt text, saves it where generated images go for that document, and fills in only the target. The CodeLens
 * and the code action call it with the document and the link's range; from the palette it takes the link under the
 * cursor.
 */
import { Position, Range, Uri, l10n, window, workspace } from 'vscode';
import type { TextDocument, TextEditor } from 'vscode';
import type { EmptyImageLink } from '../../../core/markdown/emptyImageLinks';
import { isMarkdownLanguage } from '../../../core/markdown/links';
import { announceSaved } from '../../generation/announce';
import type { Services } from '../../services';
import type { AltTextFills } from './altTextFills';
import { emptyLinksOf } from './altTextProviders';

interface Target {
  editor: TextEditor;
  link: EmptyImageLink;
}

export async function generateFromAltText(services: Services, fills: AltTextFills, ...args: unknown[]): Promise<void> {
  const target = await findTarget(args[0], args[1]);
  if (!target) {
    void window.showInformationMessage(
      l10n.t('Put the cursor on an image link with an empty target, such as ![a fox in the rain](), then run this again.'),
    );
    return;
  }
  const { editor, link } = target;
  const fill = fills.start(editor.document, link);
  if (!fill) {
    void window.showInformationMessage(l10n.t('The image for this link is already being generated.'));
    return;
  }
  try {
    // Saved where images of this document go, with its folder's settings; only the link's target is filled in.
    const output = await services.pipeline.run({ prompt: link.prompt, document: editor.document });
    const outcome = await fill.place(output.uri);
    if (outcome.kind !== 'none') services.log.info(`#${output.id} ${outcome.kind} link: ${outcome.text}`);
    announceSaved(output.uri, outcome, output.processing);
  } finally {
    fill.dispose();
  }
}

/** The editor and link the command is for: the link at `rangeArg` in `uriArg`, else the one under the active cursor. */
async function findTarget(uriArg: unknown, rangeArg: unknown): Promise<Target | undefined> {
  const editor = uriArg instanceof Uri ? await editorFor(uriArg) : window.activeTextEditor;
  if (!editor || !isMarkdownLanguage(editor.document.languageId)) return undefined;
  const document = editor.document;
  const at = rangeArg instanceof Range ? rangeArg : rangeArg instanceof Position ? new Range(rangeArg, rangeArg) : editor.selection;
  const link = linkAt(document, at);
  return link ? { editor, link } : undefined;
}

/** The link that `range` touches (its start first), in the document as it is now. */
export function linkAt(document: TextDocument, range: Range): EmptyImageLink | undefined {
  const start = document.offsetAt(range.start);
  const end = document.offsetAt(range.end);
  const links = emptyLinksOf(document);
  return links.find((link) => link.start <= start && start <= link.end) ?? links.find((link) => link.start <= end && start <= link.end);
}

/** A visible editor of `uri`, else the document opened in one (the link's document must be shown to be edited). */
async function editorFor(uri: Uri): Promise<TextEditor> {
  const key = uri.toString();
  const visible = window.visibleTextEditors.find((e) => e.document.uri.toString() === key);
  if (visible) return visible;
  const document = await workspace.openTextDocument(uri);
  return window.showTextDocument(document, { preview: false });
}
