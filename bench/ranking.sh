#!/usr/bin/env bash
# bench/ranking.sh BUILD [DATA] — top-10 quality of the ranking models on
# random 80/20 holdouts of ml-latest-small (seeds 1 2 3), as the ranking issue
# defines it: relevant = test rating >= 4, every movie with a training rating
# is a candidate except the user's training movies. The EASE reference is the
# peer's method (every rating counts 1, every movie covered) with λ tuned by
# 3-fold CV on the training part only (mfrec tune --test-frac: the test part
# never seen by the search). Prints one markdown row per system and seed and
# the means; docs/benchmarks.md holds a run.
set -euo pipefail
B=${1:-build}; D=${2:-${MFR_DATA_DIR:-../shared/datasets/ml-latest-small}}
M="$B/mfrec"
row() { # name seed args...
  local name=$1 seed=$2; shift 2
  "$M" eval "$D" --test-frac 0.2 --seed "$seed" -q --json "$@" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); m=d["result"]["mean"]
def g(k): return m[k]
print("| %s | %s | %.4f | %.4f | %.4f | %.2f |" % (sys.argv[1], sys.argv[2], g("precision"), g("ndcg"), g("rmse"), g("fit_s")))' "$name" "$seed"
}
echo "| system | seed | precision@10 | NDCG@10 | RMSE | fit s |"
echo "|---|---|---|---|---|---|"
for seed in 1 2 3; do
  lam=$("$M" tune "$D" --algo ease --rating_power 0 --rank_min_ratings 1 \
        --grid 'ease_lambda=50,100,200,400,800' --metric ndcg --folds 3 --test-frac 0.2 \
        --seed "$seed" -q --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["points"][0]["params"].split("=")[1])')
  row "EASE reference (binary, λ=$lam tuned)" "$seed" --algo ease --rating_power 0 --rank_min_ratings 1 --ease_lambda "$lam"
  # the reference's best λ chosen on the test part itself: an upper bound on it
  best=""; for l in 100 200 400; do
    r=$(row "EASE reference (binary, λ=$l chosen on test)" "$seed" --algo ease --rating_power 0 --rank_min_ratings 1 --ease_lambda "$l")
    if [ -z "$best" ] || awk -v a="$(echo "$r" | cut -d'|' -f5)" -v b="$(echo "$best" | cut -d'|' -f5)" 'BEGIN{exit !(a > b)}'; then best=$r; fi
  done; echo "$best"
  row "mfrec default (auto)" "$seed" --algo auto
  row "mfrec ease (defaults)" "$seed" --algo ease
  row "mfrec ials (defaults)" "$seed" --algo ials
  row "mfrec bpr (defaults)" "$seed" --algo bpr
  row "mfrec vae (defaults)" "$seed" --algo vae
  row "mfrec sgd" "$seed" --algo sgd
done
