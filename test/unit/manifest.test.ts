import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import {
  Commands,
  PreviewCommands,
  editImageCommand,
  regenerateFromFileCommand,
  generateFromAltTextCommand,
  illustrateSectionCommand,
  generateAllMissingImagesCommand,
  writeAltTextCommand,
  writeAltTextForAllCommand,
  generateImageToolName,
  generatingContextKey,
  historyViewId,
  needsSetupContextKey,
  walkthroughId,
} from '../../src/vscode/constants';
import { markdownLanguageIds } from '../../src/core/markdown/emptyImageLinks';

interface Manifest {
  activationEvents: string[];
  extensionKind: string[];
  engines: { vscode: string };
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command: string; when?: string; group?: string }[]>;
    languageModelTools?: {
      name: string;
      toolReferenceName?: string;
      displayName?: string;
      userDescription?: string;
      modelDescription?: string;
      canBeReferencedInPrompt?: boolean;
      inputSchema?: { type: string; properties: Record<string, { type: string; description?: string }>; required?: string[] };
    }[];
    configuration: { id: string; title: string; properties: Record<string, SettingSchema> }[];
  };
  capabilities: { untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations?: string[] } };
}

interface SettingSchema {
  scope?: string;
  default?: unknown;
  order?: number;
  markdownDescription?: string;
  description?: string;
  enum?: unknown[];
  enumItemLabels?: string[];
  enumDescriptions?: string[];
}

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as Manifest;
/** Every setting, from all the titled sections. */
const settings: Record<string, SettingSchema> = Object.assign({}, ...manifest.contributes.configuration.map((section) => section.properties));
const nls = JSON.parse(readFileSync(new URL('../../package.nls.json', import.meta.url), 'utf8')) as Record<string, string>;
const english = (text: string | undefined) => (text ? (nls[text.replace(/^%|%$/g, '')] ?? text) : undefined);

describe('package.json', () => {
  it('contributes exactly the commands of constants.ts', () => {
    assert.deepEqual(
      manifest.contributes.commands.map((c) => c.command).sort(),
      [...Object.values(Commands), ...Object.values(PreviewCommands), editImageCommand, regenerateFromFileCommand, generateFromAltTextCommand, illustrateSectionCommand, generateAllMissingImagesCommand, writeAltTextCommand, writeAltTextForAllCommand].sort(),
    );
  });

  it('gives the commands the exact English titles the end-to-end tests type, in the "CPA Image" category', () => {
    const titles = Object.fromEntries(manifest.contributes.commands.map((c) => [c.command, english(c.title)]));
    assert.deepEqual(titles, {
      'cpaImage.generate': 'Generate Image',
      'cpaImage.generateFromSelection': 'Generate Image from Selection',
      'cpaImage.setApiKey': 'Set API Key',
      'cpaImage.clearApiKey': 'Clear API Key',
      'cpaImage.showResolvedConfiguration': 'Show Resolved Configuration',
      'cpaImage.checkConnection': 'Check Connection',
      'cpaImage.setUpGateway': 'Set Up Gateway…',
      'cpaImage.showLog': 'Show Log',
      'cpaImage.cancelGeneration': 'Cancel Image Generation',
      'cpaImage.showPreview': 'Show Image Preview',
      'cpaImage.showHistory': 'Show Image History',
      'cpaImage.clearHistory': 'Clear Image History',
      'cpaImage.insertHistoryImage': 'Insert Image',
      'cpaImage.regenerateHistoryImage': 'Regenerate Image',
      'cpaImage.removeHistoryEntry': 'Remove from History',
      'cpaImage.generateFromAltText': 'Generate Image from Alt Text',
      'cpaImage.editImage': 'Edit Image…',
      'cpaImage.regenerateFromFile': 'Regenerate from File',
      'cpaImage.illustrateSection': 'Illustrate This Section',
      'cpaImage.generateAllMissingImages': 'Generate All Missing Images',
      'cpaImage.writeAltText': 'Write Alt Text',
      'cpaImage.writeAltTextForAll': 'Write Alt Text for All Images',
      'cpaImage.saveHistoryImageToWorkspace': 'Save to Workspace…',
    });
    for (const c of manifest.contributes.commands) assert.equal(english(c.category), 'CPA Image', c.command);
  });

  it('shows "Generate Image from Selection" in the editor context menu and palette only with a selection', () => {
    const context = manifest.contributes.menus['editor/context']?.find((m) => m.command === Commands.generateFromSelection);
    assert.equal(context?.when, 'editorHasSelection');
    const palette = manifest.contributes.menus['commandPalette']?.find((m) => m.command === Commands.generateFromSelection);
    assert.equal(palette?.when, 'editorHasSelection');
  });

  it('offers "Regenerate from File" on PNG, JPEG and WebP files in the explorer, not in the palette (it needs a file)', () => {
    const explorer = manifest.contributes.menus['explorer/context']?.find((m) => m.command === regenerateFromFileCommand);
    const match = /resourceExtname =~ \/(.+)\/(\w*)/.exec(explorer?.when ?? '');
    assert.ok(match, `a resourceExtname regex in ${explorer?.when}`);
    const regex = new RegExp(match[1] as string, match[2]);
    for (const ext of ['.png', '.PNG', '.jpg', '.jpeg', '.webp']) assert.ok(regex.test(ext), ext);
    for (const ext of ['.gif', '.svg', '.md', '']) assert.ok(!regex.test(ext), ext);
    assert.match(explorer?.when ?? '', /!explorerResourceIsFolder/);
    assert.equal(manifest.contributes.menus['commandPalette']?.find((m) => m.command === regenerateFromFileCommand)?.when, 'false');
  });

  it('offers "Edit Image…" on PNG, JPEG and WebP files in the explorer and in the image preview only', () => {
    const explorer = manifest.contributes.menus['explorer/context']?.find((m) => m.command === editImageCommand);
    const preview = manifest.contributes.menus['editor/title']?.find((m) => m.command === editImageCommand);
    for (const item of [explorer, preview]) {
      const match = /resourceExtname =~ \/(.+)\/(\w*)/.exec(item?.when ?? '');
      assert.ok(match, `a resourceExtname regex in ${item?.when}`);
      const regex = new RegExp(match[1] as string, match[2]);
      for (const ext of ['.png', '.PNG', '.jpg', '.jpeg', '.JPG', '.webp']) assert.ok(regex.test(ext), ext);
      for (const ext of ['.gif', '.svg', '.md', '.png.txt', '.pngx', '']) assert.ok(!regex.test(ext), ext);
    }
    assert.match(explorer?.when ?? '', /!explorerResourceIsFolder/);
    assert.match(preview?.when ?? '', /activeCustomEditorId == imagePreview\.previewEditor/);
  });

  it('lists "Generate Image from Alt Text" in the palette only in markdown-like editors', () => {
    const palette = manifest.contributes.menus['commandPalette']?.find((m) => m.command === generateFromAltTextCommand);
    const match = /editorLangId =~ \/(.+)\//.exec(palette?.when ?? '');
    assert.ok(match, `an editorLangId regex in ${palette?.when}`);
    const regex = new RegExp(match[1] as string);
    for (const id of markdownLanguageIds) assert.ok(regex.test(id), id);
    for (const id of ['plaintext', 'markdownx', 'typescript']) assert.ok(!regex.test(id), id);
  });

  it('contributes the agent tool that the extension registers, with a schema and descriptions', () => {
    const tools = manifest.contributes.languageModelTools ?? [];
    assert.deepEqual(tools.map((t) => t.name), [generateImageToolName]);
    const tool = tools[0];
    assert.ok(tool);
    assert.match(tool.name, /^[\w-]+$/);
    assert.doesNotMatch(tool.name, /^(copilot_|vscode_)/);
    assert.equal(tool.toolReferenceName, 'generateImage');
    assert.equal(tool.canBeReferencedInPrompt, true);
    assert.ok(english(tool.displayName));
    assert.ok(english(tool.userDescription));
    assert.ok((tool.modelDescription ?? '').length > 100);
    // Either `prompt` or `fillDocument` (issue 13 item 7): the tool's own input check says which is missing.
    assert.equal(tool.inputSchema?.required, undefined);
    assert.deepEqual(
      Object.fromEntries(Object.entries(tool.inputSchema?.properties ?? {}).map(([key, p]) => [key, p.type])),
      { prompt: 'string', destination: 'string', insertIntoActiveMarkdown: 'boolean', variants: 'integer', fillDocument: 'string' },
    );
  });

  it('shows "Cancel Image Generation" in the palette only while a generation runs', () => {
    const palette = manifest.contributes.menus['commandPalette']?.find((m) => m.command === Commands.cancelGeneration);
    assert.equal(palette?.when, generatingContextKey);
  });

  it('activates on its commands, and on markdown documents for the alt-text CodeLens; prefers the UI side', () => {
    // …and to bring the image preview back after a window reload.
    assert.deepEqual(manifest.activationEvents, [...markdownLanguageIds.map((id) => `onLanguage:${id}`), 'onWebviewPanel:cpaImage.preview']);
    assert.deepEqual(manifest.extensionKind, ['ui', 'workspace']);
  });

  it('shows the history in the Explorer; its entry commands are on the entries only, not in the palette', () => {
    const views = (manifest as unknown as { contributes: { views?: Record<string, { id: string; name: string }[]> } }).contributes.views;
    const view = views?.['explorer']?.find((v) => v.id === historyViewId);
    assert.equal(english(view?.name), 'CPA Image History');
    for (const command of [PreviewCommands.insertHistoryImage, PreviewCommands.regenerateHistoryImage, PreviewCommands.removeHistoryEntry]) {
      assert.equal(manifest.contributes.menus['commandPalette']?.find((m) => m.command === command)?.when, 'false', command);
      const onEntry = manifest.contributes.menus['view/item/context']?.filter((m) => m.command === command) ?? [];
      assert.ok(onEntry.length > 0 && onEntry.every((m) => m.when?.includes(`view == ${historyViewId}`)), command);
    }
    // Insert needs the file: it is not offered on an entry whose file was deleted.
    const insert = manifest.contributes.menus['view/item/context']?.filter((m) => m.command === PreviewCommands.insertHistoryImage) ?? [];
    assert.ok(insert.every((m) => m.when?.endsWith('viewItem == cpaImage.historyEntry')));
  });

  it('opens the preview on generate by default (cpaImage.preview.openOnGenerate)', () => {
    const setting = settings['cpaImage.preview.openOnGenerate'];
    assert.equal(setting?.default, true);
  });

  it('contributes exactly the settings the extension reads', () => {
    assert.deepEqual(Object.keys(settings).sort(), [
      'cpaImage.api',
      'cpaImage.background',
      'cpaImage.baseUrl',
      'cpaImage.concurrency',
      'cpaImage.destination',
      'cpaImage.fit',
      'cpaImage.imageModel',
      'cpaImage.insertFormat',
      'cpaImage.insertPosition',
      'cpaImage.instructions',
      'cpaImage.maxAttempts',
      'cpaImage.maxRateLimitWaitSeconds',
      'cpaImage.maxResponseMiB',
      'cpaImage.maxResponseSize',
      'cpaImage.model',
      'cpaImage.moderation',
      'cpaImage.originator',
      'cpaImage.outputCompression',
      'cpaImage.outputFormat',
      'cpaImage.partialImages',
      'cpaImage.preview.openOnGenerate',
      'cpaImage.quality',
      'cpaImage.save.format',
      'cpaImage.save.maxHeight',
      'cpaImage.save.maxWidth',
      'cpaImage.save.metadata',
      'cpaImage.save.quality',
      'cpaImage.sessionId',
      'cpaImage.size',
      'cpaImage.sizeInPrompt',
      'cpaImage.stream',
      'cpaImage.style',
      'cpaImage.styles',
      'cpaImage.textFallbackRetries',
      'cpaImage.timeoutSeconds',
      'cpaImage.totalTimeoutSeconds',
      'cpaImage.transientRetries',
      'cpaImage.userAgent',
      'cpaImage.variants',
      'cpaImage.version',
    ]);
  });

  it('describes and orders every setting', () => {
    const entries = Object.entries(settings);
    for (const [key, p] of entries) {
      assert.ok(english(p.markdownDescription ?? p.description), `${key} has no description`);
      assert.equal(typeof p.order, 'number', `${key} has no order`);
    }
    assert.deepEqual(new Set(entries.map(([, p]) => p.order)).size, entries.length);
  });

  it('restricts only settings that exist, in Restricted Mode', () => {
    const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations ?? [];
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(restricted.includes('cpaImage.destination'));
    for (const key of restricted) assert.ok(key in settings, key);
  });

  it('offers Set Up Gateway… (and the walkthrough) in the history view while nothing is configured, Generate Image after', () => {
    const m = manifest as unknown as { name: string; publisher: string; contributes: { viewsWelcome: { view: string; contents: string; when?: string }[] } };
    const welcome = m.contributes.viewsWelcome.filter((w) => w.view === historyViewId);
    const setup = welcome.find((w) => w.when === needsSetupContextKey);
    const normal = welcome.find((w) => w.when === `!${needsSetupContextKey}`);
    assert.equal(welcome.length, 2);
    assert.match(english(setup?.contents) ?? '', new RegExp(`\\[Set Up Gateway…\\]\\(command:${Commands.setUpGateway}\\)`));
    assert.match(english(normal?.contents) ?? '', new RegExp(`\\(command:${Commands.generate}\\)`));
    // The walkthrough link names this extension's id: it must follow a change of publisher or name.
    const walkthroughArg = encodeURIComponent(JSON.stringify(`${m.publisher}.${m.name}#${walkthroughId}`));
    assert.ok(english(setup?.contents)?.includes(`command:workbench.action.openWalkthrough?${walkthroughArg}`), english(setup?.contents));
  });

  it('contributes a walkthrough whose steps have packaged media, a command link, and completion events that exist', () => {
    const m = manifest as unknown as {
      contributes: { walkthroughs: { id: string; steps: { id: string; description: string; media: { markdown?: string; image?: string }; completionEvents: string[] }[] }[] };
    };
    const ignore = readFileSync(new URL('../../.vscodeignore', import.meta.url), 'utf8');
    const walkthrough = m.contributes.walkthroughs.find((w) => w.id === walkthroughId);
    assert.ok(walkthrough);
    assert.deepEqual(walkthrough.steps.map((s) => s.id.replace(`${walkthroughId}.`, '')), ['setGateway', 'setApiKey', 'checkConnection', 'generate', 'selectionAndAltText']);
    const commandIds = new Set(manifest.contributes.commands.map((c) => c.command));
    for (const step of walkthrough.steps) {
      const media = step.media.markdown ?? step.media.image ?? '';
      assert.ok(existsSync(new URL(`../../${media}`, import.meta.url)), `${step.id}: ${media} exists`);
      assert.ok(ignore.includes(`!${media.replace(/[^/]+\.md$/, '*.md')}`) || ignore.includes(`!${media}`), `${step.id}: ${media} is packaged`);
      const links = [...(english(step.description) ?? '').matchAll(/\(command:([\w.]+)\)/g)].map((match) => match[1]);
      assert.ok(links.length > 0 && links.every((id) => commandIds.has(id as string)), `${step.id}: command links ${links}`);
      assert.ok(step.completionEvents.length > 0, step.id);
      for (const event of step.completionEvents) {
        const [kind, target] = event.split(':') as [string, string];
        if (kind === 'onCommand') assert.ok(commandIds.has(target), event);
        else if (kind === 'onSettingChanged') assert.ok(target in settings, event);
        else assert.fail(`unexpected completion event ${event}`);
      }
    }
  });

  it('groups the settings in titled sections, each setting in exactly one', () => {
    const sections = manifest.contributes.configuration;
    assert.deepEqual(sections.map((section) => english(section.title)), [
      'Gateway',
      'Image',
      'Files and links',
      'Network and retries',
      'Advanced: identity headers',
    ]);
    const keys = sections.flatMap((section) => Object.keys(section.properties));
    assert.equal(new Set(keys).size, keys.length, 'no setting in two sections');
    assert.ok(sections[0]?.properties['cpaImage.baseUrl'], 'the gateway URL comes first');
    for (const key of ['cpaImage.userAgent', 'cpaImage.version', 'cpaImage.originator', 'cpaImage.sessionId']) {
      assert.ok(sections[4]?.properties[key], key);
    }
  });

  it('labels the empty choice of an enum ("(gateway default)"), with one label and one description per value', () => {
    const withEmpty = Object.entries(settings).filter(([, s]) => s.enum?.includes(''));
    assert.deepEqual(withEmpty.map(([key]) => key).sort(), ['cpaImage.background', 'cpaImage.moderation', 'cpaImage.outputFormat', 'cpaImage.quality']);
    for (const [key, s] of withEmpty) {
      assert.equal(s.enumItemLabels?.length, s.enum?.length, key);
      assert.equal(s.enumDescriptions?.length, s.enum?.length, key);
      const empty = english(s.enumItemLabels?.[s.enum?.indexOf('') ?? -1]) ?? '';
      assert.match(empty, /^\(.+\)$/, `${key}: the empty value reads as a choice: ${empty}`);
      if (key !== 'cpaImage.outputFormat') assert.equal(empty, '(gateway default)', key);
    }
  });

  it('links the settings to the commands that set them (the manifest is trusted, so command links work)', () => {
    const description = english(settings['cpaImage.baseUrl']?.markdownDescription) ?? '';
    assert.match(description, /\[Set Up Gateway…\]\(command:cpaImage\.setUpGateway\)/);
    assert.match(description, /\[Set API Key\]\(command:cpaImage\.setApiKey\)/);
    const commandIds = new Set(manifest.contributes.commands.map((c) => c.command));
    for (const [key, s] of Object.entries(settings)) {
      for (const match of (english(s.markdownDescription) ?? '').matchAll(/\(command:([\w.]+)\)/g)) {
        assert.ok(commandIds.has(match[1] as string), `${key} links to a command that exists: ${match[1]}`);
      }
    }
  });
});
