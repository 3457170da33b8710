#!/usr/bin/env bash
# `npm run sandbox`: builds and packages the extension, then runs a real VS Code (code-server) on 127.0.0.1
# with the fresh .vsix installed, a sample markdown workspace in .sandbox/, and the loopback test gateway
# with the key already provided. Prints the URL to open; Ctrl+C stops both.
# Options go to test/e2e/sandbox.ts: --port N (code-server), --gateway-port N, --scenario NAME (default slow).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
node_bin="$(bash scripts/node24.sh)"
export PATH="$node_bin:$PATH"
if [ ! -x test/e2e/node_modules/.bin/code-server ]; then
  bash scripts/setup-e2e.sh
fi
echo "sandbox: building and packaging" >&2
npm run --silent package >&2
exec node --import tsx test/e2e/sandbox.ts "$@"
