#!/usr/bin/env bash
# `npm run bench`: builds the production bundles and the .vsix, then measures, in one run, our client
# (CLI and library) against the openai SDK and a curl | jq | base64 floor on a loopback gateway serving
# large images, plus the extension's start-up cost; rewrites the results section of BENCHMARKS.md.
# Knobs: BENCH_ROUNDS, BENCH_SIZES, BENCH_ACTIVATION_RUNS, BENCH_ONLY, BENCH_NO_WRITE (see bench/run.ts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
node_bin="$(bash scripts/node24.sh)"
export PATH="$node_bin:$PATH"

# Debian tools the floor and the memory measurement use.
missing=()
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
[ -x /usr/bin/time ] || missing+=(time)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench: installing ${missing[*]} from Debian" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >&2
fi

[ -d node_modules/esbuild ] || npm ci --no-audit --no-fund --loglevel=error
# The SDK contender lives in bench/'s own package so the extension's dependencies stay as they are.
if [ ! -f bench/node_modules/openai/package.json ]; then
  (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "bench: building (production) with Node $(node --version)" >&2
node esbuild.mjs --production
mkdir -p dist-vsix
vsix=dist-vsix/cpa-gpt-image.vsix
rm -f "$vsix"
if ! npx --no-install vsce package --no-dependencies --out "$vsix" >&2; then
  # vsce refuses relative README links when it cannot tell the repository's web address; the size of
  # the package does not depend on that, so measure it with placeholder base URLs rather than not at all.
  echo "bench: plain 'vsce package' failed (above); packaging again with placeholder --baseContentUrl for the size" >&2
  npx --no-install vsce package --no-dependencies --baseContentUrl https://example.invalid/ --baseImagesUrl https://example.invalid/ --out "$vsix" >&2 ||
    { echo "bench: packaging the .vsix failed; its size is reported as n/a" >&2; rm -f "$vsix"; }
fi

exec node --import tsx bench/run.ts "$@"
