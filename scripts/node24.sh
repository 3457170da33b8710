#!/usr/bin/env bash
# Prints the directory that holds a Node >= 24 binary, installing Node 24 from the npm registry
# into .tools/node24 when the system Node is older. Source-able: `. scripts/node24.sh` puts it on PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want_major=24
node_version="24.21.0"
tools="$root/.tools/node24"
sys_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$sys_major" -ge "$want_major" ]; then
  dirname "$(command -v node)"
  exit 0
fi
if [ ! -x "$tools/node_modules/.bin/node" ] || [ "$("$tools/node_modules/.bin/node" -p process.versions.node)" != "$node_version" ]; then
  mkdir -p "$tools"
  [ -f "$tools/package.json" ] || echo '{"name":"node24-tool","private":true}' > "$tools/package.json"
  (cd "$tools" && npm install --no-audit --no-fund --loglevel=error "node@$node_version" >&2)
fi
echo "$tools/node_modules/.bin"
