#!/usr/bin/env bash
# analysis_models.sh — the baseline, knn-user, knn-item, content and hybrid
# families end to end through the CLI on synthetic data with tags: each
# trains, saves, loads (`info` names it), recommends unseen movies, and beats
# the global mean on held-out ratings; content and hybrid give similar movies
# to a movie nobody rated (dropped from the ratings on purpose), and the
# hybrid can recommend it.
source "$MFR_FIXTURES/cli/lib.bash"

"$MFREC" synth -o "$T/s" --users 150 --movies 200 --ratings 8000 --rank 3 --seed 7 --tags --quiet
# movie 5 loses all its ratings (it stays in movies.csv and tags.csv)
awk -F, 'NR==1 || $2 != 5' "$T/s/ratings.csv" >"$T/r" && mv "$T/r" "$T/s/ratings.csv"
grep -q '^5,' "$T/s/movies.csv" && ok "movie 5 is in the catalogue" || fail "movie 5 missing from movies.csv"

for a in baseline knn-user knn-item content hybrid; do
  if ! "$MFREC" train "$T/s" -o "$T/$a.mfm" --algo "$a" --threads 1 --quiet 2>"$T/err"; then
    fail "train --algo $a: $(head -c 300 "$T/err")"; continue
  fi
  "$MFREC" info "$T/$a.mfm" | grep -q "^algorithm *$a$" && ok "$a: saved and loaded" || fail "$a: info does not name the algorithm"
  "$MFREC" recommend "$T/$a.mfm" --user 3 -n 5 >"$T/rec"
  rows=$(awk 'NR>1' "$T/rec" | wc -l)
  awk -F, '$1==3 {print $2}' "$T/s/ratings.csv" >"$T/seen"
  awk 'NR>1{print $2}' "$T/rec" >"$T/ids"
  if [ "$rows" -eq 5 ] && ! grep -qxFf "$T/seen" "$T/ids"; then ok "$a: 5 unseen recommendations"
  else fail "$a: recommend gave $rows rows or a seen movie: $(cat "$T/rec")"; fi
done

# held-out accuracy: eval with a 20% holdout; every family beats predicting
# the global mean, whose RMSE is about the standard deviation of the ratings
sd=$(awk -F, 'NR>1{s+=$3; q+=$3*$3; n++} END{m=s/n; printf "%.4f", sqrt(q/n-m*m)}' "$T/s/ratings.csv")
for a in baseline knn-item content hybrid; do
  "$MFREC" eval "$T/s" --algo "$a" --test-frac 0.2 --no-ranking --threads 1 -q >"$T/ev" 2>&1 || true
  rmse=$(awk '$1=="rmse"{print $2; exit}' "$T/ev")
  if [ -n "$rmse" ] && awk -v r="$rmse" -v sd="$sd" 'BEGIN{exit !(r > 0.2 && r < sd)}'; then ok "$a: eval RMSE $rmse < sd $sd"
  else fail "$a: eval RMSE '$rmse' not below the ratings' sd $sd: $(head -c 300 "$T/ev")"; fi
done

# the unrated movie: content and hybrid still find similar movies
for a in content hybrid; do
  "$MFREC" similar "$T/$a.mfm" 5 -n 3 --min-ratings 0 >"$T/sim" 2>"$T/err" || true
  rows=$(awk 'NR>2' "$T/sim" | wc -l)
  [ "$rows" -ge 1 ] && ok "$a: similar for the unrated movie ($rows rows)" || fail "$a: no similar movies for movie 5: $(cat "$T/sim" "$T/err")"
done
"$MFREC" recommend "$T/hybrid.mfm" --user 3 -n 200 --min-ratings 0 >"$T/rec"
awk 'NR>1{print $2}' "$T/rec" | grep -qx 5 && ok "hybrid can recommend the unrated movie" || fail "hybrid never recommends movie 5"
expect_exit 8 "factor similarity on knn-user is unsupported" "$MFREC" similar "$T/knn-user.mfm" 1 --metric pearson
"$MFREC" similar "$T/knn-user.mfm" 1 -n 3 --min-ratings 1 >"$T/simk" && [ "$(grep -c "^ *[0-9]" "$T/simk")" -ge 1 ] && ok "co-occurrence similarity works for knn-user" || fail "similar on knn-user: $(cat "$T/simk")"

finish
