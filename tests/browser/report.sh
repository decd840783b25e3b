#!/usr/bin/env bash
# report.sh — browser test of `mfrec report`: builds a report from a small
# synthetic dataset, checks it is self-contained (no http(s) src/href), then
# opens it in headless Chromium (playwright-core, tests/browser/report.mjs),
# checks the charts rendered and saves a screenshot into
# $MFR_BUILD_DIR/artifacts/report.png. Without chromium or node_modules the
# test fails when CI=true and skips (exit 0 with a message) otherwise.
set -euo pipefail
: "${MFREC:?MFREC must point at the mfrec binary}"
src="${MFR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
art="${MFR_BUILD_DIR:-$src/build}/artifacts"
here="$src/tests/browser"

missing=""
command -v node >/dev/null || missing="node"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing="$missing chromium"
[ -d "$here/node_modules/playwright-core" ] || missing="$missing tests/browser/node_modules (npm install)"
if [ -n "$missing" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: missing $missing (run scripts/install-deps --test)"; exit 1
  fi
  echo "SKIP: missing $missing (run scripts/install-deps --test)"; exit 0
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$MFREC" synth -o "$tmp/data" --users 300 --movies 400 --ratings 20000 --seed 5 >/dev/null
"$MFREC" report "$tmp/data" -o "$tmp/report.html" --algos sgd,baseline --epochs 15 -q \
  --table-json "$tmp/table.json"

# self-contained: no remote src/href/url() anywhere in the page
if grep -Eiq '(src|href)[[:space:]]*=[[:space:]]*["'"'"']?(https?:)?//|url\([[:space:]]*["'"'"']?https?:' "$tmp/report.html"; then
  echo "FAIL: report references the network:"; grep -Eio '(src|href)=.{0,60}' "$tmp/report.html" | head; exit 1
fi
grep -q '"model":"sgd"' "$tmp/table.json" || { echo "FAIL: table.json lacks sgd"; exit 1; }

mkdir -p "$art"
node "$here/report.mjs" "$tmp/report.html" "$art/report.png"
[ -s "$art/report.png" ] || { echo "FAIL: no screenshot"; exit 1; }
echo "PASS: report rendered; screenshot $art/report.png"
