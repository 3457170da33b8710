/**
 * Runs the test gateway on its own, for `npm run sandbox` and the benchmarks:
 *   node --import tsx test/gateway/main.ts [--port N] [--key K] [--host 127.0.0.1]
 * Prints `gateway listening on http://HOST:PORT` and serves until SIGINT/SIGTERM.
 * Scenario URLs: `http://HOST:PORT/s/<scenario>/<any id>[/<k=v&…>]`.
 */
import { parseArgs } from 'node:util';
import { scenarioNames, startTestGateway } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    key: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(
    'usage: node --import tsx test/gateway/main.ts [--port N] [--key K] [--host 127.0.0.1]\n' +
      `scenarios (use <base>/s/<scenario>/<id>): ${scenarioNames.join(', ')}\n`,
  );
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`gateway: --port must be a number from 0 to 65535, got ${values.port}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const gateway = await startTestGateway({ port, host: values.host, expectedKey: values.key });
  process.stdout.write(`gateway listening on ${gateway.baseUrl}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`gateway: ${signal}, closing after ${gateway.requests.length} requests\n`);
    void gateway.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
