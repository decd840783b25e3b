#!/usr/bin/env bash
# eval_eval.sh — `mfrec eval`: holdout and k-fold on a small synthetic set,
# checked by structure and by numbers that must agree (folds cover every
# rating, mean = average of folds, same seed = same output), predefined
# --train/--test files with users and movies unknown to training (counted,
# not dropped), and every usage / input error with its exit status.
source "$MFR_FIXTURES/cli/lib.bash"
"$MFREC" synth -o "$T/syn" --users 200 --movies 300 --ratings 12000 --rank 4 --seed 11 --quiet

# ---- holdout: RMSE/MAE/MSE printed, sane, consistent, deterministic ----
"$MFREC" eval "$T/syn" --test-frac 0.2 --seed 1 --epochs 15 -q >"$T/h1"
"$MFREC" eval "$T/syn" --test-frac 0.2 --seed 1 --epochs 15 -q >"$T/h2"
rmse=$(awk '$1=="rmse"{print $2}' "$T/h1"); mse=$(awk '$1=="mse"{print $2}' "$T/h1")
awk -v r="$rmse" 'BEGIN{exit !(r > 0.3 && r < 1.3)}' && ok "holdout rmse $rmse in range" || fail "holdout rmse '$rmse'"
awk -v r="$rmse" -v m="$mse" 'BEGIN{exit !((r*r - m) < 0.001 && (m - r*r) < 0.001)}' && ok "mse = rmse^2" || fail "rmse $rmse, mse $mse"
grep -q "test ratings: 2400;" "$T/h1" && ok "holdout tests 20% of 12000" || fail "holdout count: $(grep 'test ratings' "$T/h1")"
diff <(grep -v "_s " "$T/h1") <(grep -v "_s " "$T/h2") >/dev/null \
  && ok "same seed, same metrics" || fail "holdout not deterministic"

# ---- --split-seed wins over --seed for the split, in either order ----
"$MFREC" eval "$T/syn" --split-seed 3 --seed 5 --epochs 5 --no-ranking -q | grep -v "_s " >"$T/s1"
"$MFREC" eval "$T/syn" --seed 5 --split-seed 3 --epochs 5 --no-ranking -q | grep -v "_s " >"$T/s2"
"$MFREC" eval "$T/syn" --seed 5 --epochs 5 --no-ranking -q | grep -v "_s " >"$T/s3"
diff <(tail -n +2 "$T/s1") <(tail -n +2 "$T/s2") >/dev/null && ok "--split-seed order-independent" || fail "--split-seed depends on order"
diff <(tail -n +2 "$T/s1") <(tail -n +2 "$T/s3") >/dev/null && fail "--split-seed ignored" || ok "--split-seed changes the split"

# ---- k-fold JSON: 3 folds, every rating tested once, mean of folds ----
"$MFREC" eval "$T/syn" --folds 3 --epochs 10 --json -q >"$T/k.json"
python3 - "$T/k.json" <<'PY' && ok "k-fold JSON: folds cover the data, mean/std agree" || fail "k-fold JSON checks"
import json, sys, statistics as st
d = json.load(open(sys.argv[1]))
f = d["result"]["folds"]
assert len(f) == 3, len(f)
assert sum(x["n_test"] for x in f) == 12000
assert all(x["n_train"] + x["n_test"] == 12000 for x in f)
r = [x["metrics"]["rmse"] for x in f]
assert abs(st.mean(r) - d["result"]["mean"]["rmse"]) < 1e-9
assert abs(st.stdev(r) - d["result"]["std"]["rmse"]) < 1e-9
for k in ("precision", "recall", "ndcg", "map", "hit", "mrr", "coverage"):
    v = d["result"]["mean"][k]
    assert v is not None and 0 <= v <= 1, (k, v)
assert d["result"]["mean"]["novelty"] >= 1
PY

# ---- per-user and temporal kinds run ----
"$MFREC" eval "$T/syn" --leave-out 2 --epochs 5 --no-ranking -q >"$T/lo" && ok "leave-out runs" || fail "leave-out failed"
"$MFREC" eval "$T/syn" --time-frac 0.1 --epochs 5 --no-ranking -q >"$T/tf" && ok "time split runs" || fail "time split failed"
grep -q "test ratings: 1200;" "$T/tf" && ok "time split tests 10%" || fail "time split: $(grep 'test ratings' "$T/tf")"

# ---- predefined files, with a user and a movie unknown to training ----
head -n 9001 "$T/syn/ratings.csv" >"$T/train.csv"
{ echo "userId,movieId,rating,timestamp"; tail -n +9002 "$T/syn/ratings.csv"
  echo "99999,1,4.0,1"; echo "1,99999,3.0,1"; } >"$T/test.csv"
"$MFREC" eval --train "$T/train.csv" --test "$T/test.csv" --epochs 5 -q >"$T/pre"
grep -q "test ratings: 3002;" "$T/pre" && ok "predefined: every test rating scored" || fail "predefined: $(grep 'test ratings' "$T/pre")"
uu=$(sed -n 's/.*users with no training ratings: \([0-9]*\).*/\1/p' "$T/pre")
ui=$(sed -n 's/.*of movies with none: \([0-9]*\).*/\1/p' "$T/pre")
[ "${uu:-0}" -ge 1 ] && [ "${ui:-0}" -ge 1 ] && ok "unknown users ($uu) and movies ($ui) counted" || fail "cold counts: $(grep 'test ratings' "$T/pre")"

# ---- DATA --test FILE where FILE is drawn from DATA: those pairs leave training ----
{ echo "userId,movieId,rating,timestamp"; tail -n +2 "$T/syn/ratings.csv" | awk 'NR % 10 == 0'; } >"$T/sub.csv"
"$MFREC" eval "$T/syn" --test "$T/sub.csv" --epochs 5 --no-ranking -q >"$T/sub"
grep -q "^1200 ratings of the training data are also in the test file" "$T/sub" \
  && ok "test pairs left out of training" || fail "leak guard: $(tail -2 "$T/sub")"

# ---- errors ----
expect_exit 5 "no DATA" "$MFREC" eval && expect_err_has "no DATA" "names the missing DATA"
expect_exit 5 "--folds 1" "$MFREC" eval "$T/syn" --folds 1 && expect_err_has "--folds" "names --folds"
expect_exit 5 "two split kinds" "$MFREC" eval "$T/syn" --folds 3 --test-frac 0.2
expect_exit 5 "unknown option" "$MFREC" eval "$T/syn" --bogus && expect_err_has "--bogus" "names the option"
expect_exit 5 "bad training value" "$MFREC" eval "$T/syn" --factors -3 && expect_err_has "factors" "names the field"
expect_exit 5 "unknown algo" "$MFREC" eval "$T/syn" --algo nosuch && expect_err_has "nosuch" "names the algo"
expect_exit 2 "missing data" "$MFREC" eval "$T/nowhere" && expect_err_has "$T/nowhere" "names the path"
expect_exit 5 "--train without --test" "$MFREC" eval --train "$T/train.csv"
expect_exit 0 "--help" "$MFREC" eval --help
grep -q "usage: mfrec eval" "$T/out" && ok "help text" || fail "help text missing"
finish
