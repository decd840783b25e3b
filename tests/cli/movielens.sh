#!/usr/bin/env bash
# movielens.sh — the whole CLI path on ml-latest-small ($MFR_DATA_DIR):
# import, train, recommend for user 1 (nothing user 1 rated comes back), and
# similar "Toy Story (1995)" whose top 10 are mostly Animation/Children films.
# Skips (passes with a message) when the data set is absent.
source "$MFR_FIXTURES/cli/lib.bash"
D="${MFR_DATA_DIR:-}"
if [ -z "$D" ] || [ ! -f "$D/ratings.csv" ]; then
  echo "skip: MFR_DATA_DIR does not hold ml-latest-small (ratings.csv); set it to run this test"
  exit 0
fi

"$MFREC" import "$D" >"$T/imp"
grep -q "^ratings *100836$" "$T/imp" && grep -q "^users *610$" "$T/imp" && grep -q "9742 in catalogue" "$T/imp" \
  && ok "import: 100836 ratings, 610 users, 9742 movies" || fail "import report: $(head -8 "$T/imp")"

"$MFREC" train "$D" -o "$T/ml.mfm" --quiet --seed 1 >"$T/train"
grep -q "^saved $T/ml.mfm" "$T/train" && ok "train saved the model" || fail "train: $(cat "$T/train")"

"$MFREC" recommend "$T/ml.mfm" --user 1 -n 20 >"$T/rec"
[ "$(awk 'NR>1' "$T/rec" | wc -l)" -eq 20 ] && ok "recommend: 20 rows" || fail "recommend rows: $(cat "$T/rec")"
tr -d '\r' <"$D/ratings.csv" | awk -F, '$1==1 {print $2}' >"$T/seen"
[ "$(wc -l <"$T/seen")" -eq 232 ] || fail "user 1 should have 232 ratings, found $(wc -l <"$T/seen")"
awk 'NR>1{print $2}' "$T/rec" >"$T/ids"
if grep -qxFf "$T/seen" "$T/ids"; then fail "recommend lists movies user 1 rated: $(grep -xFf "$T/seen" "$T/ids" | tr '\n' ' ')"; else ok "no movie user 1 rated is recommended"; fi

"$MFREC" similar "$T/ml.mfm" "Toy Story (1995)" >"$T/sim"
cat "$T/sim"
head -1 "$T/sim" | grep -q "Toy Story (1995) \[movieId 1\]" && ok "resolved Toy Story (1995)" || fail "heading: $(head -1 "$T/sim")"
kids=$(awk 'NR>2 && ($NF ~ /Animation/ || $NF ~ /Children/)' "$T/sim" | wc -l)
[ "$kids" -ge 5 ] && ok "$kids of 10 similar movies are Animation or Children" || fail "only $kids of 10 similar movies are Animation/Children"

"$MFREC" predict "$T/ml.mfm" --user 1 --movie 1 | grep -q '^1,1,[0-9]' && ok "predict user 1, movie 1" || fail "predict"
finish
