#!/usr/bin/env bash
# Runs the end-to-end suite on its own: Node 24 on PATH, the e2e tools installed if missing, a fresh
# .vsix packaged, then test/e2e/*.test.ts in a real VS Code (code-server + Chromium).
# Screenshots, the code-server log and the extension host logs land in test-results/e2e/.
# Extra arguments go to node's test runner, e.g. --test-name-pattern="Cancel".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
node_bin="$(bash scripts/node24.sh)"
export PATH="$node_bin:$PATH"
if [ ! -x test/e2e/node_modules/.bin/code-server ] || [ ! -x /usr/bin/chromium ]; then
  bash scripts/setup-e2e.sh
fi
npm run --silent package >&2
shopt -s nullglob
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@" test/e2e/*.test.ts
