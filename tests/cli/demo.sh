#!/usr/bin/env bash
# demo.sh — `make demo`'s script: with the data it runs every step and ends
# with the MovieLens citation; without it, it prints one sentence saying
# where to download the data and how to point mfrec at it, and fails.
source "$MFR_FIXTURES/cli/lib.bash"
S="$MFR_SOURCE_DIR/scripts/demo.sh"

# without the data: a copy of the script where ../shared does not exist
mkdir -p "$T/repo/scripts" && cp "$S" "$T/repo/scripts/demo.sh"
expect_exit 2 "demo without data fails" env -u MFREC_DATA bash "$T/repo/scripts/demo.sh" "$MFREC" || true
expect_err_has "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip" "says where to download"
expect_err_has "MFREC_DATA=" "says how to point mfrec at it"
[ "$(wc -l <"$T/err")" -eq 1 ] && ok "one line" || fail "hint is $(wc -l <"$T/err") lines"

D="${MFR_DATA_DIR:-}"
if [ -z "$D" ] || [ ! -f "$D/ratings.csv" ]; then
  echo "skip: MFR_DATA_DIR does not hold ml-latest-small; the full demo is not run"
  finish
  exit 0
fi
start=$(date +%s)
expect_exit 0 "demo runs" env MFREC_DATA="$D" bash "$S" "$MFREC" || cat "$T/err" >&2
secs=$(($(date +%s) - start))
echo "demo took ${secs}s"
for want in "ratings      100836" "trained auto" "rank  movieId      score  prediction" "movies most similar to Toy Story (1995) [movieId 1]" "Harper and Joseph A. Konstan"; do
  grep -qF "$want" "$T/out" && ok "demo prints \"$want\"" || fail "demo output lacks \"$want\""
done
[ -z "$(ls -d "$(dirname "$MFREC")"/demo-* 2>/dev/null)" ] && ok "scratch folder removed" || fail "demo left $(ls -d "$(dirname "$MFREC")"/demo-*)"
finish
