#!/usr/bin/env bash
# Copies the README's screenshots from the end-to-end suite's output (test-results/e2e/) into
# docs/screenshots/. Run after `bash scripts/test.sh e2e`; every picture in the README comes from the suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p docs/screenshots
missing=0
for name in $(grep -o 'docs/screenshots/[A-Za-z0-9_-]*\.png' README.md | sort -u | xargs -n1 basename); do
  if [ -f "test-results/e2e/$name" ]; then cp "test-results/e2e/$name" "docs/screenshots/$name"
  else echo "update-screenshots: test-results/e2e/$name not found (keeping the old copy)" >&2; missing=1; fi
done
exit "$missing"
