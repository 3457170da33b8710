/** Identifiers shared by the manifest (package.json) and the code; test/unit/manifest.test.ts keeps them in step. */

export const Commands = {
  generate: 'cpaImage.generate',
  generateFromSelection: 'cpaImage.generateFromSelection',
  setApiKey: 'cpaImage.setApiKey',
  clearApiKey: 'cpaImage.clearApiKey',
  showResolvedConfiguration: 'cpaImage.showResolvedConfiguration',
  checkConnection: 'cpaImage.checkConnection',
  showLog: 'cpaImage.showLog',
  cancelGeneration: 'cpaImage.cancelGeneration',
} as const;

/** The settings section: every setting is `cpaImage.<name>`. */
export const configSection = 'cpaImage';

/** Name of the API key in VS Code's SecretStorage. */
export const apiKeySecretName = 'cpaImage.apiKey';

/** Key of the recent prompts in `globalState`. */
export const recentPromptsKey = 'cpaImage.recentPrompts';

/** Context key set while at least one generation runs (shows "Cancel Image Generation" in the palette). */
export const generatingContextKey = 'cpaImage.isGenerating';

/** Name of the log output channel, also what "Show Log" opens. */
export const logChannelName = 'CPA GPT Image';

/** URI scheme of the read-only documents the extension shows (the resolved configuration). */
export const readonlyDocumentScheme = 'cpa-image';
