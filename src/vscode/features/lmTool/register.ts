/** Registers the agent tool when the host offers the language-model tool API (VS Code 1.95+, not every fork). */
import { Disposable, lm } from 'vscode';
import { generateImageToolName } from '../../constants';
import type { Services } from '../../services';
import { GenerateImageTool } from './generateImageTool';

export function registerGenerateImageTool(services: Services): Disposable {
  // `lm` is typed as always present, but hosts built on older or trimmed VS Code versions may lack it.
  const api = lm as Partial<typeof lm> | undefined;
  if (typeof api?.registerTool !== 'function') {
    services.log.info(`This host has no language-model tool API; the ${generateImageToolName} tool is not registered`);
    return new Disposable(() => undefined);
  }
  return api.registerTool(generateImageToolName, new GenerateImageTool(services));
}
