/**
 * The context key `cpaImage.needsSetup`: true while no gateway URL or no API key resolves from any source, so the
 * history view's welcome content offers "Set Up Gateway…" to someone who has configured nothing yet. Kept
 * current on every change of the settings or the stored key (another window may set it too).
 */
import { commands, workspace } from 'vscode';
import type { Disposable, Event } from 'vscode';
import { configSection, needsSetupContextKey } from '../../constants';
import type { Services } from '../../services';

export function trackNeedsSetup(services: Pick<Services, 'configuration' | 'log'>, onDidChangeSecret: Event<unknown>): Disposable {
  let latest = 0;
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
  void update();
  const subscriptions = [
    workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(configSection)) void update();
    }),
    onDidChangeSecret(() => void update()),
  ];
  return { dispose: () => subscriptions.forEach((s) => s.dispose()) };
}
