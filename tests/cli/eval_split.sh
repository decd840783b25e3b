#!/usr/bin/env bash
# eval_split.sh — `mfrec split`: k-fold files partition the ratings (each
# rating in exactly one test file, train+test = all in every fold), the same
# seed writes the same bytes, a holdout writes train.csv/test.csv that
# `mfrec eval --train/--test` reads back, and errors exit with their status.
source "$MFR_FIXTURES/cli/lib.bash"
"$MFREC" synth -o "$T/syn" --users 100 --movies 150 --ratings 3000 --seed 4 --quiet
body() { tail -n +2 "$1"; }
norm() { awk -F, '{printf "%s,%s,%g,%s\n", $1, $2, $3, $4}'; }

"$MFREC" split "$T/syn" -o "$T/k" --folds 4 --seed 9 >"$T/out1"
[ "$(ls -d "$T"/k/fold* | wc -l)" -eq 4 ] && ok "4 fold folders" || fail "fold folders: $(ls "$T/k")"
cat "$T"/k/fold*/test.csv | grep -v '^userId' | norm | sort >"$T/alltest"
body "$T/syn/ratings.csv" | norm | sort >"$T/all"
cmp -s "$T/alltest" "$T/all" && ok "test files partition the ratings" || fail "test files do not partition the ratings"
for f in 1 2 3 4; do
  n=$(( $(body "$T/k/fold$f/train.csv" | wc -l) + $(body "$T/k/fold$f/test.csv" | wc -l) ))
  [ "$n" -eq 3000 ] || fail "fold $f: train+test = $n"
done
ok "train + test = all, every fold"
"$MFREC" split "$T/syn" -o "$T/k2" --folds 4 --seed 9 >/dev/null
cmp -s "$T/k/fold2/test.csv" "$T/k2/fold2/test.csv" && ok "same seed, same files" || fail "split not deterministic"
"$MFREC" split "$T/syn" -o "$T/k3" --folds 4 --seed 10 >/dev/null
cmp -s "$T/k/fold2/test.csv" "$T/k3/fold2/test.csv" && fail "another seed gave the same fold" || ok "another seed, another split"

"$MFREC" split "$T/syn" -o "$T/h" --test-frac 0.25 >/dev/null
[ "$(body "$T/h/test.csv" | wc -l)" -eq 750 ] && ok "holdout 25% = 750" || fail "holdout size $(body "$T/h/test.csv" | wc -l)"
"$MFREC" eval --train "$T/h/train.csv" --test "$T/h/test.csv" --epochs 5 --no-ranking -q >"$T/ev" \
  && grep -q "test ratings: 750;" "$T/ev" && ok "eval reads the split files back" || fail "eval of split files: $(cat "$T/ev")"
"$MFREC" split "$T/syn" -o "$T/u" --user-last 1 >/dev/null
[ "$(body "$T/u/test.csv" | cut -d, -f1 | sort | uniq -d | wc -l)" -eq 0 ] && ok "user-last: one test rating per user" || fail "user-last duplicates"

expect_exit 5 "no -o" "$MFREC" split "$T/syn" --folds 3 && expect_err_has "-o DIR" "names -o"
expect_exit 5 "bad fraction" "$MFREC" split "$T/syn" -o "$T/x" --test-frac 2 && expect_err_has "--test-frac" "names the option"
expect_exit 2 "unwritable output" "$MFREC" split "$T/syn" -o /proc/nope/x
expect_exit 2 "missing data" "$MFREC" split "$T/none" -o "$T/y"
finish
