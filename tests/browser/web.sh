#!/usr/bin/env bash
# web.sh — the browser test of the web page: starts `mfrec serve` on a free
# port with a model of ml-latest-small (or synthetic data when the dataset is
# absent) and drives Debian's chromium through playwright-core (web.mjs).
# Screenshots go to $MFR_BUILD_DIR/artifacts/. With CI=true a missing
# chromium or node_modules is a failure, otherwise the test is skipped.
set -euo pipefail
: "${MFREC:?MFREC must point at the mfrec binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
missing=""
[ -x "$CHROMIUM" ] || missing="$CHROMIUM"
[ -d "$HERE/node_modules/playwright-core" ] || missing="$missing tests/browser/node_modules (npm install)"
command -v node >/dev/null || missing="$missing node"
if [ -n "$missing" ]; then
  if [ "${CI:-}" = true ]; then echo "FAIL: missing $missing (scripts/install-deps --test)"; exit 1; fi
  echo "SKIP: missing $missing (scripts/install-deps --test installs them)"; exit 0
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/mfrec-web-XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
if [ -n "${MFR_DATA_DIR:-}" ] && [ -f "$MFR_DATA_DIR/ratings.csv" ]; then
  "$MFREC" train "$MFR_DATA_DIR" -o "$T/m.mfm" --threads 1 -q
  QUERY="Toy Story"
else
  echo "note: MFR_DATA_DIR not set, using synthetic data"
  "$MFREC" synth -o "$T/data" --users 300 --movies 500 --ratings 20000 -q
  "$MFREC" train "$T/data" -o "$T/m.mfm" --factors 16 --threads 1 -q
  QUERY="Synthetic Movie 1"
fi
"$MFREC" serve "$T/m.mfm" --port 0 --db "$T/r.db" >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$T/out" 2>/dev/null && break; sleep 0.1; done
BASE=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$T/out")
[ -n "$BASE" ] || { echo "FAIL: server did not start: $(cat "$T/err")"; exit 1; }
ART=${MFR_BUILD_DIR:-$T}/artifacts
mkdir -p "$ART"
node "$HERE/web.mjs" "$BASE" "$ART" "$QUERY" "$CHROMIUM"
