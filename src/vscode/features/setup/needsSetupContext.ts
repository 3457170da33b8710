/**
 * The context key `cpaImage.needsSetup`: true while no gateway URL or no API key resolves from any source, so the
 * history view's welcome content offers "Set Up Gateway…" to someone who has configured nothing yet. Kept
 * current on every change of the settings or the stored key (another window may set it too).
 *
 * Only the history view shows it, so the first answer is worked out when that view is first visible (at start-up
 * if it is open then), not during activation: resolving the configuration reads OpenClaw's files and loads its
 * reader, which was most of `activate()`'s time (BENCHMARKS.md, activation).
 */
import { commands, workspace } from 'vscode';
import type { Disposable, Event, TreeView } from 'vscode';
import { configSection, needsSetupContextKey } from '../../constants';
import type { Services } from '../../services';

export function trackNeedsSetup(
  services: Pick<Services, 'configuration' | 'log'>,
  onDidChangeSecret: Event<unknown>,
  view: Pick<TreeView<unknown>, 'visible' | 'onDidChangeVisibility'>,
): Disposable {
  let latest = 0;
  let started = false;
  const update = async (): Promise<void> => {
    const run = ++latest;
    try {
      const { resolved } = await services.configuration.load();
      const needsSetup = resolved.baseUrl.value === undefined || resolved.apiKey.value === undefined;
      // A slower earlier read must not overwrite a newer answer.
      if (run === latest) await commands.executeCommand('setContext', needsSetupContextKey, needsSetup);
    } catch (err) {
      services.log.warn(`Could not tell whether the gateway is configured: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const start = (): void => {
    if (started) return;
    started = true;
    void update();
  };
  if (view.visible) start();
  const subscriptions = [
    view.onDidChangeVisibility((e) => {
      if (e.visible) start();
    }),
    workspace.onDidChangeConfiguration((e) => {
      if (started && e.affectsConfiguration(configSection)) void update();
    }),
    onDidChangeSecret(() => {
      if (started) void update();
    }),
  ];
  return { dispose: () => subscriptions.forEach((s) => s.dispose()) };
}
