#!/usr/bin/env bash
# recommend_all.sh — `mfrec recommend --all` against `--user`: for a rating
# model (sgd), a neighbourhood model (knn-item) and a ranking model whose
# score is not a rating (ease, when this build has it) the --all list of a user equals the --user list item
# for item (movieId, rank, score, prediction), in CSV and in JSON; thread
# count does not change a byte; -n, --genre and the default --min-ratings 3
# apply to every user; the table has rank, movieId, score, prediction (one
# decimal); a bad -o path is a clear error (exit 2) that leaves no file.
source "$MFR_FIXTURES/cli/lib.bash"
make_synth_model
py() { python3 -c "$@"; }

ALGOS="default sgd knn-item"
# ease when this build has it
"$MFREC" train "$T/syn" -o "$T/ease.mfm" --algo ease --threads 1 --seed 5 --quiet >/dev/null 2>&1 && ALGOS="$ALGOS ease"
for a in $ALGOS; do
  M="$T/$a.mfm"
  if [ "$a" = default ]; then M="$T/syn.mfm"
  elif [ "$a" != ease ]; then "$MFREC" train "$T/syn" -o "$M" --algo "$a" --threads 1 --seed 5 --quiet >/dev/null; fi
  "$MFREC" recommend "$M" --all -n 7 -o "$T/$a.csv" 2>"$T/err"
  grep -q "rows for 200 users written to $T/$a.csv" "$T/err" && ok "$a: --all reports what it wrote" || fail "$a: --all stderr: $(cat "$T/err")"
  [ "$(head -1 "$T/$a.csv")" = "user,rank,movieId,score,prediction" ] && ok "$a: CSV header" || fail "$a: header $(head -1 "$T/$a.csv")"
  # every user of the model: users who rated everything get no rows
  nu=$(awk -F, 'NR>1{print $1}' "$T/$a.csv" | sort -u | wc -l)
  [ "$nu" -ge 190 ] && ok "$a: $nu users listed" || fail "$a: only $nu users in --all"
  awk -F, 'NR>1 && ($2 < 1 || $2 > 7) {bad=1} END{exit bad}' "$T/$a.csv" && ok "$a: ranks 1..7 (-n 7)" || fail "$a: rank outside 1..7"
  awk -F, 'NR>1 && ($5 < 0.5 || $5 > 5 || $5 !~ /^[0-9]\.[0-9]$/) {bad=1} END{exit bad}' "$T/$a.csv" && ok "$a: predictions one decimal in 0.5..5" || fail "$a: prediction column: $(awk -F, 'NR==2{print $5}' "$T/$a.csv")"
  # scores descending within each user
  awk -F, 'NR>2 && $1==u && $4+0 > s+0 {bad=1} {u=$1; s=$4} END{exit bad}' "$T/$a.csv" && ok "$a: each user's rows ordered by score" || fail "$a: rows not ordered by score"
  same=0; for u in 1 7 42 123 200; do
    "$MFREC" recommend "$M" --user $u -n 7 --json >"$T/u.json"
    "$MFREC" recommend "$M" --user $u -n 7 >"$T/u.txt"
    got=$(awk -F, -v u=$u 'NR>1 && $1==u {print $2" "$3" "$4" "$5}' "$T/$a.csv")
    want=$(py 'import json,sys
for o in json.load(open(sys.argv[1])): print(o["rank"], o["movieId"], "%.4f" % o["score"], "%.1f" % o["prediction"])' "$T/u.json")
    # the table: same rank, movieId, prediction; score to its 3 decimals
    table=$(py 'import sys
t = [l.split() for l in open(sys.argv[1]).read().split("\n")[1:] if l]
c = [l.split(",") for l in open(sys.argv[2]).read().split("\n")[1:] if l and l.split(",")[0] == sys.argv[3]]
ok = len(t) == len(c) and all(a[0] == b[1] and a[1] == b[2] and a[3] == b[4] and abs(float(a[2]) - float(b[3])) <= 0.00051 for a, b in zip(t, c))
print(int(ok))' "$T/u.txt" "$T/$a.csv" $u)
    if [ -n "$got" ] && [ "$got" = "$want" ] && [ "$table" = 1 ]; then same=$((same + 1))
    else fail "$a user $u: --all rows differ from --user: all=[$got] user=[$want] table: $(cat "$T/u.txt")"; fi
  done
  [ "$same" -eq 5 ] && ok "$a: --all = --user item for item for 5 users"
  "$MFREC" recommend "$M" --all -n 7 --threads 1 >"$T/t1.csv"
  "$MFREC" recommend "$M" --all -n 7 --threads 3 >"$T/t3.csv"
  cmp -s "$T/t1.csv" "$T/$a.csv" && cmp -s "$T/t3.csv" "$T/$a.csv" && ok "$a: --threads 1 = 3 = all cores, byte for byte" || fail "$a: output depends on --threads"
  "$MFREC" recommend "$M" --all -n 7 --json -o "$T/$a.json" 2>/dev/null
  py 'import json,sys
a = json.load(open(sys.argv[1]))
rows = [l.split(",") for l in open(sys.argv[2]).read().split("\n")[1:] if l]
flat = [(str(o["user"]), str(r["rank"]), str(r["movieId"]), "%.4f" % r["score"], "%.1f" % r["prediction"]) for o in a for r in o["recommendations"]]
assert len(a) == 200, len(a)
assert all(set(r) == {"rank", "movieId", "score", "prediction", "title", "genres"} for o in a for r in o["recommendations"])
assert [u["user"] for u in a] == sorted(u["user"] for u in a)
assert flat == [tuple(r) for r in rows], "json and csv differ"' "$T/$a.json" "$T/$a.csv" \
    && ok "$a: --all --json = the CSV (200 users, in userId order)" || fail "$a: --all --json differs from the CSV"
done

# table layout: rank, movieId, score, prediction with one decimal
"$MFREC" recommend "$T/syn.mfm" --user 7 -n 3 >"$T/tab"
head -1 "$T/tab" | grep -q '^rank  movieId  *score  prediction  title' && ok "table header: rank movieId score prediction title genres" || fail "header: $(head -1 "$T/tab")"
awk 'NR>1 && $4 !~ /^[0-9]\.[0-9]$/ {bad=1} END{exit bad}' "$T/tab" && awk 'NR>1 && $3 !~ /^-?[0-9]+\.[0-9][0-9][0-9]$/ {bad=1} END{exit bad}' "$T/tab" \
  && ok "score 3 decimals, prediction 1 decimal" || fail "table numbers: $(sed -n 2p "$T/tab")"

# filters apply to every user
"$MFREC" recommend "$T/syn.mfm" --all -n 4 --genre drama >"$T/g.csv"
awk -F, 'NR==FNR{if (FNR>1) g[$1]=$0; next} FNR>1 && g[$3] !~ /Drama/ {bad=1} END{exit bad}' "$T/syn/movies.csv" "$T/g.csv" \
  && [ "$(awk 'NR>1' "$T/g.csv" | wc -l)" -gt 0 ] && ok "--all --genre drama: only Drama" || fail "--all --genre let other genres through"

# default --min-ratings 3: a movie with one rating is never listed; --min-ratings 1
# lets it in (for a rating model: ranking models such as ease and auto rank only
# the movies with rank_min_ratings training ratings, fixed at training time)
cp -r "$T/syn" "$T/few"
lone=$(awk -F, 'NR>1{c[$2]++} END{for (m in c) if (c[m] >= 3) {print m; exit}}' "$T/syn/ratings.csv")
awk -F, -v m="$lone" 'NR==1 || $2 != m || !kept++' "$T/syn/ratings.csv" >"$T/few/ratings.csv"
[ "$(awk -F, -v m="$lone" '$2==m' "$T/few/ratings.csv" | wc -l)" -eq 1 ] || fail "could not leave movie $lone with one rating"
"$MFREC" train "$T/few" -o "$T/few.mfm" --algo sgd --factors 8 --epochs 15 --threads 1 --seed 5 --quiet >/dev/null
"$MFREC" recommend "$T/few.mfm" --all -n 300 >"$T/few3.csv"
"$MFREC" recommend "$T/few.mfm" --all -n 300 --min-ratings 1 >"$T/few1.csv"
n3=$(awk -F, -v m="$lone" 'NR>1 && $3==m' "$T/few3.csv" | wc -l)
n1=$(awk -F, -v m="$lone" 'NR>1 && $3==m' "$T/few1.csv" | wc -l)
[ "$n3" -eq 0 ] && ok "default --min-ratings 3 leaves out the one-rating movie $lone" || fail "one-rating movie $lone listed $n3 times by default"
[ "$n1" -gt 0 ] && ok "--min-ratings 1 lists it (for $n1 users)" || fail "--min-ratings 1 does not list movie $lone"

# errors
expect_exit 2 "--all -o into a missing folder" "$MFREC" recommend "$T/syn.mfm" --all -o "$T/no/such/dir/recs.csv" \
  && expect_err_has "$T/no/such/dir/recs.csv" "names the path" && expect_err_has "No such file or directory" "says why"
echo keep >"$T/keep.csv"
expect_exit 2 "--all -o onto a folder" "$MFREC" recommend "$T/syn.mfm" --all -o "$T/syn" && expect_err_has "$T/syn" "names the path"
[ -z "$(ls "$T" | grep '\.tmp\.')" ] && ok "no temporary file left behind" || fail "left: $(ls "$T" | grep '\.tmp\.')"
expect_exit 5 "--user and --all" "$MFREC" recommend "$T/syn.mfm" --user 1 --all && expect_err_has "not both" "says which"
expect_exit 5 "neither --user nor --all" "$MFREC" recommend "$T/syn.mfm" && expect_err_has "--all" "mentions --all"
expect_exit 5 "--threads x" "$MFREC" recommend "$T/syn.mfm" --all --threads x
"$MFREC" recommend --help >"$T/help"
grep -q -- "--min-ratings 1" "$T/help" && ok "--help says how to ask for one-rating movies" || fail "--help lacks --min-ratings 1"
finish
