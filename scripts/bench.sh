#!/usr/bin/env bash
# `npm run bench`: builds the production bundles and the .vsix, then measures, in one run, our client
# (CLI and library) against the openai SDK and a curl | jq | base64 floor on a loopback gateway serving
# large images, plus the extension's start-up cost; rewrites the results section of BENCHMARKS.md.
# Knobs: BENCH_ROUNDS, BENCH_SIZES, BENCH_ACTIVATION_RUNS, BENCH_ONLY, BENCH_NO_WRITE, BENCH_RENDER_ONLY (bench/run.ts).
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
# cwebp, the native reference for the post-processing benchmark (issue 12).
command -v cwebp >/dev/null || missing+=(webp)
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
# Measure a private copy: other work in the tree may rebuild dist/ (a development build) at any moment.
snapshot=bench/results/dist
for attempt in 1 2 3; do
  node esbuild.mjs --production
  rm -rf "$snapshot" && mkdir -p "$snapshot"
  cp dist/extension.js dist/cli.js dist/undici.js dist/image.js dist/imageWorker.js dist/meta.json "$snapshot"/
  cp -r dist/wasm "$snapshot"/
  # A production bundle carries no source map comment; a development one does.
  if ! grep -q 'sourceMappingURL' "$snapshot/extension.js" "$snapshot/cli.js"; then break; fi
  echo "bench: dist/ was rebuilt for development while copying; building again" >&2
  [ "$attempt" -lt 3 ] || { echo "bench: could not get a production build of dist/" >&2; exit 1; }
done
mkdir -p dist-vsix
# The project's own packaging command (package.json "package"), so the size is that of the shipped .vsix.
vsix=dist-vsix/cpa-gpt-image.vsix
rm -f "$vsix"
npm run --silent package >&2 || { echo "bench: packaging the .vsix failed; its size is reported as n/a" >&2; rm -f "$vsix"; }

exec node --import tsx bench/run.ts "$@"
