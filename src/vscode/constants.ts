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
  setUpGateway: 'cpaImage.setUpGateway',
} as const;

/**
 * The preview panel's and the history's commands (registered by preview/commands.ts, since they take arguments:
 * a history entry's id from the tree view or the panel).
 */
export const PreviewCommands = {
  showPreview: 'cpaImage.showPreview',
  showHistory: 'cpaImage.showHistory',
  clearHistory: 'cpaImage.clearHistory',
  insertHistoryImage: 'cpaImage.insertHistoryImage',
  regenerateHistoryImage: 'cpaImage.regenerateHistoryImage',
  removeHistoryEntry: 'cpaImage.removeHistoryEntry',
} as const;

/** Edit Image (editImage/): the preview's "Edit…" runs it with the image's Uri. */
export const editImageCommand = 'cpaImage.editImage';

/** Regenerate from File (regenerateFromFile/): the Explorer's context menu on an image runs it with the file's Uri. */
export const regenerateFromFileCommand = 'cpaImage.regenerateFromFile';

/** Markdown authoring (authoring/): the CodeLens and quick fix on `![alt]()` run it with (document Uri, link Range). */
export const generateFromAltTextCommand = 'cpaImage.generateFromAltText';

/** Markdown authoring (authoring/): an image for the paragraph at the cursor, its link after the paragraph. */
export const illustrateSectionCommand = 'cpaImage.illustrateSection';

/** Markdown authoring (authoring/): every empty image link of a document, or of the markdown files under a folder. */
export const generateAllMissingImagesCommand = 'cpaImage.generateAllMissingImages';

/** Markdown authoring (authoring/): alt text for an image with an empty or placeholder alt, and for all of a document's. */
export const writeAltTextCommand = 'cpaImage.writeAltText';
export const writeAltTextForAllCommand = 'cpaImage.writeAltTextForAll';

/** Every command id of the manifest (commandTable.ts registers exactly these). */
export type CommandId =
  | (typeof Commands)[keyof typeof Commands]
  | (typeof PreviewCommands)[keyof typeof PreviewCommands]
  | typeof editImageCommand
  | typeof regenerateFromFileCommand
  | typeof generateFromAltTextCommand
  | typeof illustrateSectionCommand
  | typeof generateAllMissingImagesCommand
  | typeof writeAltTextCommand
  | typeof writeAltTextForAllCommand;

/** The agent tool's name in `contributes.languageModelTools` (must match /^[\w-]+$/). */
export const generateImageToolName = 'cpa-image_generate';

/** Key of the image history in `workspaceState`. */
export const historyStateKey = 'cpaImage.history';

/** The history tree view in the Explorer. */
export const historyViewId = 'cpaImage.history';

/** The preview webview panel. */
export const previewViewType = 'cpaImage.preview';

/** Setting (under `cpaImage.`): open the preview panel when a generation starts. */
export const openPreviewOnGenerateSetting = 'preview.openOnGenerate';

/** The settings section: every setting is `cpaImage.<name>`. */
export const configSection = 'cpaImage';

/** Name of the API key in VS Code's SecretStorage. */
export const apiKeySecretName = 'cpaImage.apiKey';

/** Key of the recent prompts in `globalState`. */
export const recentPromptsKey = 'cpaImage.recentPrompts';

/** Context key set while at least one generation runs (shows "Cancel Image Generation" in the palette). */
export const generatingContextKey = 'cpaImage.isGenerating';

/** Context key: no gateway URL or no API key resolves yet (the history view's welcome then offers Set Up Gateway…). */
export const needsSetupContextKey = 'cpaImage.needsSetup';

/** The getting-started walkthrough's id in `contributes.walkthroughs`. */
export const walkthroughId = 'cpaImage.gettingStarted';

/** Name of the log output channel, also what "Show Log" opens. */
export const logChannelName = 'CPA GPT Image';

/** URI scheme of the read-only documents the extension shows (the resolved configuration). */
export const readonlyDocumentScheme = 'cpa-image';
