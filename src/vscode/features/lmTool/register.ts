/**
 * Registers the agent tool when the host offers the language-model tool API (VS Code 1.95+, not every fork). The
 * tool's implementation is loaded the first time an agent prepares or invokes it, not at activation.
 */
import { Disposable, lm } from 'vscode';
import type { LanguageModelTool } from 'vscode';
import { generateImageToolName } from '../../constants';
import type { MissingImagesFiller, Services } from '../../services';
import type { GenerateImageTool } from './generateImageTool';
import type { ToolInputSchema } from './toolInput';

/** `missingImages`: the authoring feature's Generate All Missing Images without its quick pick (the fill mode). */
export function registerGenerateImageTool(services: Services, missingImages: MissingImagesFiller): Disposable {
  // `lm` is typed as always present, but hosts built on older or trimmed VS Code versions may lack it.
  const api = lm as Partial<typeof lm> | undefined;
  if (typeof api?.registerTool !== 'function') {
    services.log.info(`This host has no language-model tool API; the ${generateImageToolName} tool is not registered`);
    return new Disposable(() => undefined);
  }
  let loaded: Promise<GenerateImageTool> | undefined;
  const tool = (): Promise<GenerateImageTool> =>
    (loaded ??= import('./generateImageTool').then(({ GenerateImageTool }) => new GenerateImageTool(services, missingImages)));
  const onFirstUse: LanguageModelTool<ToolInputSchema> = {
    prepareInvocation: async (options) => (await tool()).prepareInvocation(options),
    invoke: async (options, token) => (await tool()).invoke(options, token),
  };
  return api.registerTool(generateImageToolName, onFirstUse);
}
