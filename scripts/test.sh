#!/usr/bin/env bash
# Runs every test: type check, build, unit, integration (client + CLI against the loopback gateway),
# packaging, and the end-to-end suite in a real VS Code (code-server + Chromium).
# `bash scripts/test.sh unit` (or integration, reliability, e2e) runs one layer.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
node_bin="$(bash scripts/node24.sh)"
export PATH="$node_bin:$PATH"
layers=("${@:-all}")
want() { [[ " ${layers[*]} " == *" all "* || " ${layers[*]} " == *" $1 "* ]]; }

echo "== type check" >&2
npx tsc --noEmit -p tsconfig.json
# The preview's page script: DOM library, and the extension's message types (both ends of the protocol).
npx tsc --noEmit -p src/webview/tsconfig.json
echo "== build + package" >&2
npm run --silent package
mkdir -p test-results && rm -f test-results/*.xml
status=0
run() { # run a test layer, keep going so every layer reports, fail at the end
  local name="$1" concurrency="$2"; shift 2
  if [ "$#" -eq 0 ]; then echo "== $name tests: none found" >&2; return; fi
  echo "== $name tests" >&2
  if ! node --import tsx --test "$concurrency" --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=junit --test-reporter-destination="test-results/$name.xml" "$@"; then
    status=1
  fi
}
shopt -s globstar nullglob
want unit && run unit --test-concurrency=4 test/unit/**/*.test.ts
# Integration: tests that start servers or child processes (the client and CLI against the loopback gateway, the
# transport on real sockets, builds), and the test gateway's own tests (test/gateway/).
want integration && run integration --test-concurrency=2 test/integration/**/*.test.ts test/gateway/**/*.test.ts
want reliability && run reliability --test-concurrency=1 test/reliability/**/*.test.ts
if want e2e && [ "${E2E_STRESS:-}" = 1 ]; then
  # Keeps one core busy with other work while the end-to-end suite runs: the suite must hold under load.
  node -e 'for (;;) {}' &
  burner=$!
  trap 'kill "$burner" 2>/dev/null || true' EXIT
  echo "== e2e under load: one core kept busy (pid $burner)" >&2
fi
# E2E_FILES="test/e2e/a.test.ts test/e2e/b.test.ts" runs some end-to-end files only.
# shellcheck disable=SC2206
e2e_files=(${E2E_FILES:-test/e2e/*.test.ts})
want e2e && run e2e --test-concurrency=1 "${e2e_files[@]}"
# One closing line over every layer, in the plain form CI reads.
node scripts/summarize-junit.mjs test-results/*.xml
exit "$status"
