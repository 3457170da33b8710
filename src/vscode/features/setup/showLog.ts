/** "Show Log": opens the CPA GPT Image log channel. */
import type { Services } from '../../services';

export function showLog(services: Services): void {
  services.channel.show(true);
}
