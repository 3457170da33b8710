#!/usr/bin/env bash
# One command to get a fresh machine ready for building and testing:
#   Node 24 (from the npm registry, in .tools/, only when the system Node is older),
#   the project's npm dependencies, and the end-to-end tools (Chromium, code-server, playwright-core).
# Safe to run again; it only installs what is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
node_bin="$(bash scripts/node24.sh)"
export PATH="$node_bin:$PATH"
echo "setup: using Node $(node --version) from $node_bin" >&2
npm ci --no-audit --no-fund --loglevel=error
bash scripts/setup-e2e.sh
# The benchmark's contenders (the openai SDK) live in bench/'s own package so the extension's tree stays small.
if [ -f bench/package-lock.json ]; then (cd bench && npm ci --no-audit --no-fund --loglevel=error); fi
echo "setup: done. Run the tests with: bash scripts/test.sh" >&2
