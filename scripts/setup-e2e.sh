#!/usr/bin/env bash
# Installs what the end-to-end suite needs: Debian's Chromium, the headers code-server's native
# modules build against, and code-server + playwright-core under test/e2e (built with Node 24).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_bin="$(bash "$root/scripts/node24.sh")"
export PATH="$node_bin:$PATH"

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup-e2e: installing Debian packages: ${need_apt[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" fonts-noto-cjk >/dev/null
fi

e2e="$root/test/e2e"
if [ ! -x "$e2e/node_modules/.bin/code-server" ] || [ ! -d "$e2e/node_modules/playwright-core" ]; then
  echo "setup-e2e: installing code-server and playwright-core (takes a few minutes)" >&2
  # node-gyp must build code-server's native modules against Node 24's headers, not the system Node's.
  node_root="$(cd "$node_bin/.." && pwd)"
  headers="$(find "$node_root" -maxdepth 4 -type d -name 'node-linux-*' | head -n 1)"
  export npm_config_nodedir="$headers"
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup-e2e: ready (code-server $(node -p "require(\"$e2e/node_modules/code-server/package.json\").version"))" >&2
