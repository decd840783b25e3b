#!/usr/bin/env bash
# options.sh — the one option layer (cli/opts.c, issue 12 "One command line"):
# both spellings everywhere, the documented precedence of training options,
# a parameter the family does not use, bounded option tables (issue 11),
# --json for import/info/predict, implicit data, --scale, gzip input,
# --movies, and `mfrec help CMD`.
source "$MFR_FIXTURES/cli/lib.bash"
TINY="$MFR_FIXTURES/cli/tiny"
factors_of() { "$MFREC" info "$1" | awk '$1 == "factors" {print $2}'; }
json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1"; }
base=(--algo sgd --epochs 2 --threads 1 --quiet)

# ---- precedence: defaults < --params < options in command-line order ----
printf '# tuned\nfactors = 4   # a comment after a value\n\n' >"$T/f.params"
"$MFREC" train "$TINY" -o "$T/a.mfm" "${base[@]}" --set factors=8 --factors 16 >/dev/null
[ "$(factors_of "$T/a.mfm")" = 16 ] && ok "--set factors=8 --factors 16: the later wins" || fail "got $(factors_of "$T/a.mfm")"
"$MFREC" train "$TINY" -o "$T/a.mfm" "${base[@]}" --factors 16 --set factors=8 >/dev/null
[ "$(factors_of "$T/a.mfm")" = 8 ] && ok "--factors 16 --set factors=8: the later wins" || fail "got $(factors_of "$T/a.mfm")"
"$MFREC" train "$TINY" -o "$T/a.mfm" "${base[@]}" --factors 16 --params "$T/f.params" >/dev/null
[ "$(factors_of "$T/a.mfm")" = 16 ] && ok "--factors beats --params wherever it stands" || fail "got $(factors_of "$T/a.mfm")"
"$MFREC" train "$TINY" -o "$T/a.mfm" "${base[@]}" --params="$T/f.params" >/dev/null
[ "$(factors_of "$T/a.mfm")" = 4 ] && ok "params file with comments (train)" || fail "got $(factors_of "$T/a.mfm")"
expect_exit 0 "eval takes the same params file, comments and all" "$MFREC" eval "$TINY" --params "$T/f.params" --algo sgd --epochs 2 --no-ranking -q
expect_exit 0 "tune takes it too" "$MFREC" tune "$TINY" --grid 'reg=0.02,0.05' --folds 2 --params "$T/f.params" --algo sgd --epochs 2 -q

# ---- --opt=VALUE and --opt VALUE for every command ----
expect_exit 0 "eval --test-frac=0.3 --seed=2" "$MFREC" eval "$TINY" --test-frac=0.3 --seed=2 --algo=sgd --epochs=2 --no-ranking -q
expect_exit 0 "split --output=DIR --test-frac=0.3" "$MFREC" split "$TINY" --output="$T/sp" --test-frac=0.3 --seed=1
[ -s "$T/sp/test.csv" ] && ok "split wrote its files" || fail "no $T/sp/test.csv"
expect_exit 0 "tune --grid=... --folds=2" "$MFREC" tune "$TINY" --grid='reg=0.02,0.05' --folds=2 --algo=sgd --epochs=2 -q
expect_exit 0 "report --algos=sgd --epochs=2" "$MFREC" report "$TINY" --output="$T/r.html" --algos=sgd --epochs=2 -q
expect_exit 5 "serve --port=x names the option" "$MFREC" serve "$T/a.mfm" --port=x && expect_err_has "--port" "names --port"
expect_exit 0 "recommend -n2 -u1 (glued short options)" "$MFREC" recommend "$T/a.mfm" -n2 -u1 --min-ratings=0
[ "$(awk 'NR>1' "$T/out" | wc -l)" -eq 2 ] && ok "-n2 gave two rows" || fail "rows: $(cat "$T/out")"
expect_exit 5 "a flag takes no value" "$MFREC" recommend "$T/a.mfm" -u 1 --json=yes && expect_err_has "--json takes no value" "says so"
expect_exit 5 "unknown option in eval" "$MFREC" eval "$TINY" --frobnicate 3 && expect_err_has "--frobnicate" "names it"
expect_exit 5 "missing value" "$MFREC" split "$TINY" -o && expect_err_has "needs a value" "says a value is missing"

# ---- a parameter the family does not use ----
expect_exit 5 "train --algo knn-item --lr 0.5" "$MFREC" train "$TINY" -o "$T/k.mfm" --algo knn-item --lr 0.5 -q
expect_err_has "knn-item does not use lr" "says knn-item does not use lr"
expect_err_has "knn_k" "lists knn-item's parameters"
expect_exit 5 "--set lr=0.5 for knn-item" "$MFREC" train "$TINY" -o "$T/k.mfm" --algo knn-item --set lr=0.5 -q && expect_err_has "--set" "names --set"
printf 'algo=knn-item\nlr=0.5\n' >"$T/k.params"
expect_exit 5 "a params file line the family does not use" "$MFREC" train "$TINY" -o "$T/k.mfm" --params "$T/k.params" -q && expect_err_has "k.params:2" "names file:line"
expect_exit 5 "eval: same rule" "$MFREC" eval "$TINY" --algo ease --lr 0.1 && expect_err_has "ease does not use lr" "eval says so"
expect_exit 0 "train --algo knn-item --help" "$MFREC" train --algo knn-item --help
grep -q "parameters of knn-item" "$T/out" && grep -q "^  knn_k=40$" "$T/out" && ok "lists knn-item's parameters with defaults" || fail "help: $(tail -5 "$T/out")"
grep -q "^  lr=" "$T/out" && fail "knn-item's help lists lr" || ok "and not the ones it does not use"
expect_exit 0 "report passes each option to the models that use it" "$MFREC" report "$TINY" -o "$T/r2.html" --algos sgd,knn-item --lr 0.01 --epochs 2 -q
expect_exit 5 "report: an option none of --algos uses" "$MFREC" report "$TINY" -o "$T/r3.html" --algos knn-item,baseline --ease-lambda 5 -q && expect_err_has "none of" "says none uses it"

# a family that ranks every movie does not say its ranking covers 0 of them
"$MFREC" train "$TINY" -o "$T/ki.mfm" --algo knn-item -q >"$T/ki.out"
grep -q "ranking covers" "$T/ki.out" && fail "knn-item: $(cat "$T/ki.out")" || ok "knn-item's summary has no ranking-coverage line"
"$MFREC" info "$T/ki.mfm" --json >"$T/ki.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ranked"]==d["movies"], d' "$T/ki.json" && ok "info: knn-item ranks every movie" || fail "info: $(cat "$T/ki.json")"

# ---- fixed-size tables are bounded (issue 11: --seed x70 overflowed topts[64]) ----
seeds=(); for i in $(seq 70); do seeds+=(--seed "$i"); done
expect_exit 5 "eval with 70 --seed options" "$MFREC" eval "$TINY" "${seeds[@]}" && expect_err_has "more than 64 training options" "names the limit"
expect_exit 5 "tune with 70 --seed options" "$MFREC" tune "$TINY" --grid 'reg=0.1' "${seeds[@]}" && expect_err_has "more than 64" "names the limit"
sets=(); for i in $(seq 70); do sets+=(--set "epochs=$i"); done
expect_exit 5 "train with 70 --set options" "$MFREC" train "$TINY" -o "$T/z.mfm" "${sets[@]}" && expect_err_has "more than 64" "names the limit"
algos=$(printf 'sgd,%.0s' $(seq 17))sgd
expect_exit 5 "report with 18 --algos" "$MFREC" report "$TINY" -o "$T/r4.html" --algos "$algos" && expect_err_has "at most 16" "names the limit"

# ---- --json: import, info, predict ----
expect_exit 0 "import --json" "$MFREC" import "$TINY" --json
json_ok "$T/out" && ok "import --json is JSON" || fail "not JSON: $(head -c 300 "$T/out")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ratings"]==13 and d["cleaning"]["bad_rating"]==1 and "ratings.csv:10" in d["problems"][0], d' "$T/out" && ok "import --json fields" || fail "import --json: $(cat "$T/out")"
expect_exit 0 "info --json (model)" "$MFREC" info "$T/a.mfm" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["algorithm"]=="sgd" and d["parameters"]["factors"]=="4" and d["valid_rmse"] is None, d' "$T/out" && ok "info --json model fields" || fail "info --json: $(cat "$T/out")"
expect_exit 0 "info --json (dataset)" "$MFREC" info "$TINY" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["users"]==5 and d["ratings"]==13, d' "$T/out" && ok "info --json dataset fields" || fail "info --json: $(cat "$T/out")"
printf 'userId,movieId\n1,2\n4242,1\n' >"$T/pairs.csv"
expect_exit 0 "predict --json" "$MFREC" predict "$T/a.mfm" --input "$T/pairs.csv" --json
python3 -c '
import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
assert len(rows)==2 and rows[0]["note"] is None and rows[1]["note"]=="unknown_user" and rows[1]["user"]==4242, rows' "$T/out" && ok "predict --json lines" || fail "predict --json: $(cat "$T/out")"

# ---- implicit data, --scale, gzip, --movies ----
printf 'u,i\n1,10\n1,11\n2,10\n2,12\n3,11\n3,12\n3,10\n' >"$T/clicks.csv"
expect_exit 0 "import --columns user,item (no rating column)" "$MFREC" import "$T/clicks.csv" --columns user,item --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ratings"]==7 and d["present"]==[1,1], d' "$T/out" && ok "every row is a rating of 1" || fail "implicit: $(cat "$T/out")"
expect_exit 0 "train ease on implicit data" "$MFREC" train "$T/clicks.csv" --columns user,item -o "$T/imp.mfm" --algo ease --rank-min-ratings 1 -q
printf 'user,item,score\n1,10,7.5\n1,11,9\n2,10,2\n2,11,11\n' >"$T/ten.csv"
expect_exit 0 "import --scale 1..10" "$MFREC" import "$T/ten.csv" --scale 1..10 --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["scale"]==[1,10] and d["ratings"]==3 and d["cleaning"]["bad_rating"]==1, d' "$T/out" && ok "--scale sets the scale; 11 is outside it" || fail "scale: $(cat "$T/out")"
expect_exit 5 "--scale 5..1" "$MFREC" import "$T/ten.csv" --scale 5..1 && expect_err_has "--scale" "names --scale"
expect_exit 5 "--scale abc" "$MFREC" import "$T/ten.csv" --scale abc && expect_err_has "MIN..MAX" "says the form"
cp "$TINY/ratings.csv" "$T/ratings.csv"
gzip -c "$T/ratings.csv" >"$T/ratings.csv.gz"
"$MFREC" import "$T/ratings.csv" >"$T/plain.txt"
expect_exit 0 "import ratings.csv.gz" "$MFREC" import "$T/ratings.csv.gz"
sed -i -e '/^source/d' -e 's/ratings\.csv\.gz:/ratings.csv:/' "$T/out"
diff <(grep -v '^source' "$T/plain.txt") "$T/out" >/dev/null && ok "gzip input reads as the plain file" || fail "gzip differs: $(diff <(grep -v '^source' "$T/plain.txt") "$T/out" | head -5)"
head -c 100 "$T/ratings.csv.gz" >"$T/cut.csv.gz"
run_status "$MFREC" import "$T/cut.csv.gz"
[ "$RC" -ne 0 ] && [ "$RC" -lt 128 ] && ok "a truncated .gz fails cleanly (exit $RC)" || fail "truncated gz: exit $RC"
expect_exit 0 "train a bare ratings file with --movies" "$MFREC" train "$T/ratings.csv.gz" --movies "$TINY/movies.csv" -o "$T/mv.mfm" "${base[@]}"
"$MFREC" recommend "$T/mv.mfm" -u 5 --min-ratings 0 >"$T/rec"
grep -q "Star Wars (1977)\|Star Trek (1979)\|Alien (1979)" "$T/rec" && ok "the model has the catalogue's titles" || fail "no titles: $(cat "$T/rec")"
expect_exit 5 "--movies with a folder" "$MFREC" import "$TINY" --movies "$TINY/movies.csv" && expect_err_has "single ratings file" "says why"

# ---- mfrec help CMD ----
expect_exit 0 "mfrec help eval" "$MFREC" help eval
grep -q "^usage: mfrec eval" "$T/out" && grep -q -- "--folds K" "$T/out" && ok "shows eval's help with its split options" || fail "help eval: $(head -3 "$T/out")"
expect_exit 5 "mfrec help nope" "$MFREC" help nope && expect_err_has "unknown command" "says so"
finish
