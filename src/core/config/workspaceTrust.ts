/**
 * Which value of a setting to use when the workspace may not be trusted. VS Code drops workspace values in
 * Restricted Mode only for the settings an extension lists as `restrictedConfigurations`, and only its own: a
 * setting of another extension that we read, like `markdown.copyFiles.destination` (its globs and transforms
 * become regular expressions on the extension host's thread), still arrives with the workspace's value. Pure, so
 * the decision is tested without VS Code; the glue passes `inspect()`, `get()` and `workspace.isTrusted`.
 */

/** The layers `WorkspaceConfiguration.inspect()` reports. */
export interface InspectedSetting<T = unknown> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
  defaultLanguageValue?: T;
  globalLanguageValue?: T;
  workspaceLanguageValue?: T;
  workspaceFolderLanguageValue?: T;
}

export interface SettingForTrust {
  /** The value to use. */
  value: unknown;
  /** True when the workspace set a value that was left out because the workspace is not trusted. */
  ignoredWorkspaceValue: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * In a trusted workspace, `merged` (what `get()` returned: VS Code's own merge of every layer). In an untrusted
 * one, only the user's value over the default, merged the way VS Code merges object settings (the user's keys
 * over the default's), the language-specific value of each layer over its plain one; every workspace and
 * workspace-folder value is left out, and `ignoredWorkspaceValue` says whether there was one.
 */
export function settingValueForTrust(inspected: InspectedSetting | undefined, merged: unknown, isTrusted: boolean): SettingForTrust {
  if (isTrusted) return { value: merged, ignoredWorkspaceValue: false };
  const layers = inspected ?? {};
  const ignoredWorkspaceValue = [
    layers.workspaceValue,
    layers.workspaceFolderValue,
    layers.workspaceLanguageValue,
    layers.workspaceFolderLanguageValue,
  ].some((v) => v !== undefined);
  let value: unknown;
  for (const layer of [layers.defaultValue, layers.defaultLanguageValue, layers.globalValue, layers.globalLanguageValue]) {
    if (layer === undefined) continue;
    value = isPlainObject(value) && isPlainObject(layer) ? { ...value, ...layer } : layer;
  }
  return { value, ignoredWorkspaceValue };
}
