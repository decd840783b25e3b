#!/usr/bin/env bash
# eval_tune.sh — `mfrec tune`: on a grid with one plainly best point (heavy
# regularisation and one epoch both hurt) the best point is ranked first and
# written as a params file that eval --params reads; the table is sorted; an
# outer holdout is reported; random search stays inside its ranges; errors.
source "$MFR_FIXTURES/cli/lib.bash"
"$MFREC" synth -o "$T/syn" --users 200 --movies 300 --ratings 12000 --rank 4 --seed 11 --quiet

"$MFREC" tune "$T/syn" --grid 'reg=50,0.05 epochs=1,20' --folds 3 -o "$T/best.params" -q >"$T/t"
grep -q "4 points x 3-fold CV" "$T/t" && ok "4 points x 3 folds" || fail "header: $(head -1 "$T/t")"
awk '$1=="1"' "$T/t" | grep -q "reg=0.05 epochs=20" && ok "best point ranked first" || fail "rank 1: $(awk '$1=="1"' "$T/t")"
awk 'NR>2 && $1+0>0 {print $2}' "$T/t" | sort -c -g && ok "table sorted by rmse" || fail "table not sorted"
grep -qx "reg=0.0500000007\|reg=0.05" "$T/best.params" && grep -qx "epochs=20" "$T/best.params" \
  && grep -qx "algo=auto" "$T/best.params" && ok "params file holds the best point" || fail "params: $(cat "$T/best.params")"
"$MFREC" eval "$T/syn" --params "$T/best.params" --no-ranking -q >"$T/ev" && ok "eval --params reads it" || fail "eval --params failed"

"$MFREC" tune "$T/syn" --grid 'reg=50,0.05 epochs=1,20' --folds 3 --jobs 1 -q >"$T/t1"
diff <(awk '$1+0>0 {print $1, $2, $3, $NF}' "$T/t") <(awk '$1+0>0 {print $1, $2, $3, $NF}' "$T/t1") >/dev/null \
  && ok "same ranking and scores with --jobs 1" || fail "tune depends on the thread count"

"$MFREC" tune "$T/syn" --grid 'factors=4:12' --random 3 --folds 2 --epochs 3 --json -q >"$T/r.json"
python3 - "$T/r.json" <<'PY' && ok "random points inside the range, ranked" || fail "random search JSON"
import json, sys
d = json.load(open(sys.argv[1]))
p = d["points"]
assert len(p) == 3
for x in p:
    k = int(x["params"].split("=")[1]); assert 4 <= k <= 12, k
m = [x["cv"]["mean"]["rmse"] for x in p]
assert m == sorted(m), m
PY
"$MFREC" tune "$T/syn" --grid 'epochs=5,10' --folds 2 --test-frac 0.2 --metric ndcg -q >"$T/o"
grep -q "held-out 20%" "$T/o" && ok "outer holdout reported" || fail "outer: $(tail -2 "$T/o")"

expect_exit 5 "no grid" "$MFREC" tune "$T/syn" && expect_err_has "--grid" "asks for --grid"
expect_exit 5 "unknown field" "$MFREC" tune "$T/syn" --grid 'colour=1,2' && expect_err_has "colour" "names the field"
expect_exit 5 "range without --random" "$MFREC" tune "$T/syn" --grid 'lr=0.001:0.1' && expect_err_has "random" "says to use --random"
expect_exit 5 "unknown metric" "$MFREC" tune "$T/syn" --grid 'epochs=1,2' --metric rsme && expect_err_has "rsme" "names the metric"
expect_exit 2 "missing params file" "$MFREC" eval "$T/syn" --params "$T/none.params" && expect_err_has "none.params" "names the file"
printf 'factors=8\nthis is not a pair\n' >"$T/bad.params"
expect_exit 3 "malformed params file" "$MFREC" eval "$T/syn" --params "$T/bad.params" && expect_err_has "bad.params:2" "names file:line"
finish
