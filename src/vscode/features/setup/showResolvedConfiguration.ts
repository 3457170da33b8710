/**
 * "Show Resolved Configuration": each value of SPEC §2's chain and the source that won, in the log and in a
 * read-only markdown document shown rendered (the markdown preview). The key appears only as its last four
 * characters (describeResolvedConfig).
 */
import { l10n, window } from 'vscode';
import { describeResolvedConfig } from '../../../core/config/config';
import { markdownDocumentText } from '../../../core/text/inertText';
import type { Services } from '../../services';

/**
 * A markdown table cell: no line breaks, `|` escaped, and links made inert (values come from settings, the
 * environment and OpenClaw's files; the document is shown in the markdown preview).
 */
function cell(text: string): string {
  return markdownDocumentText(text.replace(/\s+/g, ' ').replace(/\|/g, '\\|'));
}

export async function showResolvedConfiguration(services: Services): Promise<void> {
  const { log, configuration } = services;
  const { resolved, settings } = await configuration.load(window.activeTextEditor?.document.uri);
  const rows = describeResolvedConfig(resolved);

  log.info('Resolved configuration:');
  for (const row of rows) log.info(`  ${row.name} = ${row.value}  (from ${row.source})`);
  for (const problem of resolved.problems ?? []) log.warn(`  ${problem}`);

  const lines = [
    `# ${l10n.t('CPA GPT Image: resolved configuration')}`,
    '',
    `| ${l10n.t('Value')} | ${l10n.t('Resolved to')} | ${l10n.t('Source')} |`,
    '|---|---|---|',
    ...rows.map((row) => `| ${cell(row.name)} | ${cell(row.value)} | ${cell(row.source)} |`),
    '',
  ];
  const problems = resolved.problems ?? [];
  if (problems.length > 0) {
    lines.push(`## ${l10n.t('Problems')}`, '', ...problems.map((p) => `- ${markdownDocumentText(p)}`), '');
  }
  lines.push(
    `- ${l10n.t('Streaming: {0}', settings.user.stream === true ? l10n.t('on') : l10n.t('off'))}`,
    `- ${l10n.t('Destination: {0}', settings.destination !== undefined ? markdownDocumentText(settings.destination) : l10n.t('default (markdown.copyFiles.destination if it matches, else images/ next to the document)'))}`,
    `- ${l10n.t('Insert format: {0}; position: {1}', settings.insertFormat, settings.insertPosition)}`,
    '',
    l10n.t("Order of the sources: setting, then environment variables, then OpenClaw, then the default. The API key comes from VS Code's secret storage first and is shown only by its last four characters."),
    '',
  );
  await services.readonlyDocuments.showRendered('resolved-configuration.md', lines.join('\n'));
}
