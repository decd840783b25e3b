#!/usr/bin/env bash
# eval_movielens.sh — speed on ml-latest-small, with a margin for a loaded
# machine: `mfrec eval --folds 5` of the default model (auto: SGD + EASE; a
# sanity bound of 60 s, the measured figure is in docs/benchmarks.md) with
# RMSE below 0.87, and a 12-point grid × 5-fold `mfrec tune` of the rating
# model (sgd; target < 60 s; fails above 120 s).
# Skips without the data, and in a sanitizer build (where times mean nothing).
source "$MFR_FIXTURES/cli/lib.bash"
D=${MFR_DATA_DIR:-}
if [ -z "$D" ] || [ ! -f "$D/ratings.csv" ]; then echo "SKIP: ml-latest-small not found (MFR_DATA_DIR)"; exit 0; fi
if grep -q '^MFR_SANITIZE:BOOL=ON' "${MFR_BUILD_DIR:-/nonexistent}/CMakeCache.txt" 2>/dev/null; then
  echo "SKIP: sanitizer build; timings are not meaningful"; exit 0
fi
now() { date +%s.%N; }

t0=$(now)
"$MFREC" eval "$D" --folds 5 -q >"$T/e"
t1=$(now)
el=$(echo "$t1 - $t0" | bc)
rmse=$(awk '$1=="rmse"{print $2}' "$T/e")
echo "eval --folds 5: ${el}s, rmse $rmse"
awk -v e="$el" 'BEGIN{exit !(e < 60)}' && ok "eval --folds 5 in ${el}s" || fail "eval --folds 5 took ${el}s"
awk -v r="$rmse" 'BEGIN{exit !(r < 0.87)}' && ok "5-fold rmse $rmse < 0.87" || fail "5-fold rmse $rmse"

t0=$(now)
"$MFREC" tune "$D" --algo sgd --grid 'factors=32,64,128 reg=0.02,0.05 lr=0.005,0.01' -q >"$T/t"
t1=$(now)
el=$(echo "$t1 - $t0" | bc)
echo "tune 12 points x 5 folds: ${el}s"; head -4 "$T/t"
[ "$(awk '$1+0>0' "$T/t" | wc -l)" -eq 12 ] && ok "12 points ranked" || fail "tune rows: $(wc -l <"$T/t")"
awk -v e="$el" 'BEGIN{exit !(e < 120)}' && ok "tune in ${el}s" || fail "tune took ${el}s"
finish
