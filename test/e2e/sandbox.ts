/**
 * `npm run sandbox` (via scripts/sandbox.sh, after a fresh `npm run package`): a real VS Code (code-server)
 * on 127.0.0.1 with the freshly packaged extension, a sample markdown workspace in `.sandbox/workspace`,
 * and the loopback test gateway, the key already provided. Prints the URL to open; Ctrl+C stops both.
 *
 * The key reaches the extension through `IMAGE_GEN_KEY` in code-server's environment (the extension's
 * resolution chain reads it when SecretStorage is empty), so nothing has to be typed first. It is a
 * throwaway value made per run and never printed.
 *
 *   node --import tsx test/e2e/sandbox.ts [--port N] [--gateway-port N] [--scenario slow]
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import JSON5 from 'json5';
import { scenarioNames, startTestGateway, type ScenarioName } from '../gateway/server';
import { defaultVsixPath, extensionId, makeTestKey, quietSettings, sampleFiles } from './harness';
import { installExtension, repoRoot, startCodeServer } from './vscodeSession';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'gateway-port': { type: 'string', default: '0' },
    scenario: { type: 'string', default: 'slow' },
    vsix: { type: 'string', default: defaultVsixPath },
  },
  strict: true,
});

function portOption(name: string, raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${name} must be a port number, got ${raw}`);
  return port;
}

function isScenario(name: string): name is ScenarioName {
  return (scenarioNames as readonly string[]).includes(name);
}

/** The user's sandbox settings survive restarts; only the quiet defaults (when unset) and the gateway URL are written. */
async function writeUserSettings(file: string, baseUrl: string): Promise<void> {
  let current: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      const parsed: unknown = JSON5.parse(await readFile(file, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) current = parsed as Record<string, unknown>;
    } catch {
      process.stderr.write(`sandbox: ${file} is not valid JSON; starting from the defaults\n`);
    }
  }
  const settings = { ...quietSettings, ...current, 'cpaImage.baseUrl': baseUrl };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(settings, null, 2)}\n`);
}

async function writeSampleWorkspace(workspaceDir: string): Promise<void> {
  for (const [relPath, text] of Object.entries(sampleFiles)) {
    const file = path.join(workspaceDir, relPath);
    if (existsSync(file)) continue; // keep what the user wrote in an earlier session
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

let stopping = false;
/** What to stop on Ctrl+C: grows as things start (code-server itself is also killed by vscodeSession's hooks). */
let cleanup: () => Promise<void> = async () => undefined;

function onSignal(signal: string): void {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\nsandbox: ${signal}, stopping code-server and the gateway\n`);
  void cleanup().finally(() => process.exit(0));
}

async function main(): Promise<void> {
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const scenario = values.scenario;
  if (!isScenario(scenario)) throw new Error(`--scenario must be one of: ${scenarioNames.join(', ')}`);
  if (!existsSync(values.vsix)) throw new Error(`No packaged extension at ${values.vsix}: run \`npm run package\` first.`);

  const sandbox = path.join(repoRoot, '.sandbox');
  const dirs = {
    extensionsDir: path.join(sandbox, 'extensions'),
    userDataDir: path.join(sandbox, 'user-data'),
    home: path.join(sandbox, 'home'),
  };
  const workspaceDir = path.join(sandbox, 'workspace');
  await Promise.all([...Object.values(dirs), workspaceDir].map((dir) => mkdir(dir, { recursive: true })));
  await writeSampleWorkspace(workspaceDir);

  const key = makeTestKey();
  const gateway = await startTestGateway({ expectedKey: key, port: portOption('gateway-port', values['gateway-port']) });
  cleanup = () => gateway.close();
  // `slow` paces the stream so the phases and "partial image 1/2" can be watched; 512×512 is big enough to see.
  const baseUrl = gateway.scenarioUrl(scenario, scenario === 'slow' ? { delayMs: 150, width: 512, height: 512 } : {});
  await writeUserSettings(path.join(dirs.userDataDir, 'User', 'settings.json'), baseUrl);

  process.stderr.write(`sandbox: installing ${path.relative(repoRoot, values.vsix)}\n`);
  const installed = await installExtension(values.vsix, dirs);
  if (!installed.includes(extensionId)) throw new Error(`${extensionId} did not install: ${installed}`);

  const logFile = path.join(sandbox, 'code-server.log');
  const server = await startCodeServer({
    ...dirs,
    workspaceDir,
    logFile,
    env: { IMAGE_GEN_KEY: key },
    port: portOption('port', values.port),
  });
  cleanup = async () => {
    await server.stop();
    await gateway.close();
  };
  server.process.once('exit', () => {
    if (!stopping) {
      process.stderr.write(`sandbox: code-server exited; see ${logFile}\n`);
      void gateway.close().then(() => process.exit(1));
    }
  });

  const url = `${server.url}/?folder=${encodeURIComponent(workspaceDir)}`;
  process.stdout.write(
    [
      '',
      `CPA GPT Image sandbox (${installed.trim().split('\n').find((line) => line.includes(extensionId)) ?? extensionId})`,
      `  open:      ${url}`,
      `  gateway:   ${baseUrl}  (scenario "${scenario}"; the key is preset through IMAGE_GEN_KEY)`,
      `  other scenarios: set cpaImage.baseUrl to ${gateway.baseUrl}/s/<scenario>/<any id>, e.g. /s/hang/1, /s/auth-string-error/1`,
      `  workspace: ${path.relative(repoRoot, workspaceDir)}   log: ${path.relative(repoRoot, logFile)}`,
      '  Ctrl+C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
