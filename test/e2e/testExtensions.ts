/**
 * The test-only extensions under test/e2e/fixtures (never part of our .vsix): packaged with vsce into a temp folder,
 * once per test process, and installed beside ours.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './vscodeSession';

const run = promisify(execFile);

/** `lm-tool-caller` plays an agent calling our tool; `settings-applier` applies user settings through the API;
 * `zh-cn-language-pack` is the minimal Chinese (Simplified) pack `--locale zh-cn` needs (see its README). */
export type TestExtension = 'lm-tool-caller' | 'settings-applier' | 'zh-cn-language-pack';

const packaged = new Map<TestExtension, Promise<string>>();

/** The .vsix of `name` (packaged on first use in this process). */
export function packageTestExtension(name: TestExtension): Promise<string> {
  let vsix = packaged.get(name);
  if (vsix === undefined) {
    vsix = packageNow(name);
    packaged.set(name, vsix);
  }
  return vsix;
}

async function packageNow(name: TestExtension): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `cpa-e2e-${name}-`));
  cpSync(path.join(__dirname, 'fixtures', name), dir, { recursive: true });
  const vsix = path.join(dir, `${name}.vsix`);
  const vsce = path.join(repoRoot, 'node_modules', '.bin', 'vsce');
  await run(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix], { cwd: dir });
  return vsix;
}
