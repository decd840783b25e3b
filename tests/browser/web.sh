#!/usr/bin/env bash
# web.sh — the browser test of the web page (web.mjs, every flow of
# docs/web.md): starts `mfrec serve` on free ports with the default model of
# ml-latest-small and a knn-item model of it (or synthetic data when the
# dataset is absent: no knn server, no title checks) and drives Debian's
# chromium through playwright-core, axe-core checking accessibility.
# Screenshots go to $MFR_BUILD_DIR/artifacts/ (web-*.png). With CI=true a
# missing chromium or node_modules is a failure, otherwise the test is skipped.
set -euo pipefail
: "${MFREC:?MFREC must point at the mfrec binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
missing=""
[ -x "$CHROMIUM" ] || missing="$CHROMIUM"
for m in playwright-core axe-core; do
  [ -d "$HERE/node_modules/$m" ] || missing="$missing tests/browser/node_modules/$m (npm install)"
done
command -v node >/dev/null || missing="$missing node"
if [ -n "$missing" ]; then
  if [ "${CI:-}" = true ]; then echo "FAIL: missing $missing (scripts/install-deps --test)"; exit 1; fi
  echo "SKIP: missing $missing (scripts/install-deps --test installs them)"; exit 0
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/mfrec-web-XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
KNN=""
if [ -n "${MFR_DATA_DIR:-}" ] && [ -f "$MFR_DATA_DIR/ratings.csv" ]; then
  "$MFREC" train "$MFR_DATA_DIR" -o "$T/m.mfm" --threads 1 -q
  "$MFREC" train "$MFR_DATA_DIR" -o "$T/knn.mfm" --algo knn-item --threads 1 -q
  KNN=1 DATA=movielens
else
  echo "note: MFR_DATA_DIR not set, using synthetic data"
  "$MFREC" synth -o "$T/data" --users 300 --movies 500 --ratings 20000 -q
  "$MFREC" train "$T/data" -o "$T/m.mfm" --factors 16 --threads 1 -q
  DATA=synthetic
fi
# serve MODEL NAME -> URL of a server on a free port
serve() {
  "$MFREC" serve "$1" --port 0 --db "$T/$2.db" >"$T/$2.out" 2>"$T/$2.err" &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q "listening on" "$T/$2.out" 2>/dev/null && break; sleep 0.1; done
  URL=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$T/$2.out")
  [ -n "$URL" ] || { echo "FAIL: server $2 did not start: $(cat "$T/$2.err")"; exit 1; }
}
serve "$T/m.mfm" main
BASE=$URL
KBASE=""
if [ -n "$KNN" ]; then serve "$T/knn.mfm" knn; KBASE=$URL; fi
ART=${MFR_BUILD_DIR:-$T}/artifacts
mkdir -p "$ART"
node "$HERE/web.mjs" "$BASE" "$ART" "$DATA" "$CHROMIUM" $KBASE
