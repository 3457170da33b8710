/**
 * The preview's HTML shell: a strict Content-Security-Policy (no remote resources, no inline script or style;
 * scripts only with this load's nonce, images only from the extension's allowed roots, data: and blob:), the
 * stylesheet from `media/`, the page script built from src/webview/preview.ts into `dist/webview/`, and nothing
 * else — the content is built by that script from the state the extension posts.
 */
import { randomBytes } from 'node:crypto';
import { Uri } from 'vscode';
import type { Webview } from 'vscode';

/** The page script, relative to the extension (esbuild.mjs builds it there). */
export const PREVIEW_SCRIPT = ['dist', 'webview', 'preview.js'] as const;

export function previewHtml(webview: Webview, extensionUri: Uri, title: string, language: string): string {
  const nonce = randomBytes(18).toString('base64');
  const media = (name: string) => webview.asWebviewUri(Uri.joinPath(extensionUri, 'media', name)).toString();
  const script = webview.asWebviewUri(Uri.joinPath(extensionUri, ...PREVIEW_SCRIPT)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${escapeAttribute(language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(media('preview.css'))}">
<title>${escapeText(title)}</title>
</head>
<body>
<main id="app" data-testid="preview-root" aria-live="polite">
  <section id="current" data-testid="current"></section>
  <section id="history" data-testid="history"></section>
</main>
<script nonce="${nonce}" src="${escapeAttribute(script)}"></script>
</body>
</html>`;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}
