#!/usr/bin/env bash
# models.sh — the accuracy table of docs/benchmarks.md: every model family
# that `mfrec train --algo` accepts, 5-fold CV on ml-latest-small with the
# same folds (--seed 42) and each family's default parameters, one thread per
# fold and folds one after another (--jobs 1 --threads 1) so the seconds are
# comparable with Surprise's single-threaded figures.
#   bench/models.sh [BUILD_DIR] [DATA_DIR] > docs/benchmarks.md
# A family that is not built (exit 8, MFR_E_UNSUPPORTED) is listed as such; one
# that runs past MODEL_TIMEOUT seconds (default 900) is listed as timed out.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
data=${2:-${MFR_DATA_DIR:-$src/../shared/datasets/ml-latest-small}}
mfrec=$build/mfrec
limit=${MODEL_TIMEOUT:-900}
[ -x "$mfrec" ] || { echo "models.sh: no $mfrec (build first)" >&2; exit 1; }
[ -f "$data/ratings.csv" ] || { echo "models.sh: no ratings.csv in $data" >&2; exit 1; }
algos="sgd adam als svd svdpp ials nmf bmf bfm baseline knn-user knn-item content hybrid slopeone cocluster timesvdpp autorec"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

cat <<HDR
# Benchmarks: every model on ml-latest-small

Produced by one command (run from the repository root):

    bench/models.sh build > docs/benchmarks.md

5-fold cross-validation (\`mfrec eval DATA --algo A --folds 5 --seed 42 --jobs 1
--threads 1 --json\`): the same folds for every model, each family's default
parameters, one thread, folds one after another. RMSE / MAE are the mean over
the folds (± the sample standard deviation); NDCG@10 ranks the full catalogue
for every test user (relevant = test rating ≥ 4; see docs/evaluation.md).
*fit s*, *predict s* and *rank s* are seconds per fold: predict = the ~20,167
test ratings of a fold (what Surprise's predict time measures), rank = scoring
every movie for every test user.
Surprise's figures (5-fold on ml-latest-small, from the models issue) are beside
for comparison. Measured on $(date -u +%Y-%m-%d) on a $(nproc)-core machine, load
average $(cut -d' ' -f1 /proc/loadavg) when the run began: on a shared machine times are
noisy, read them as orders of magnitude.

| model | RMSE | MAE | NDCG@10 | fit s/fold | predict s/fold | rank s/fold | Surprise equivalent | Surprise RMSE / MAE / fit / predict |
|---|---:|---:|---:|---:|---:|---:|---|---|
HDR

surprise() {
  case "$1" in
    sgd) echo "SVD | 0.8726 / 0.6701 / 1.33 / 0.19" ;;
    baseline) echo "BaselineOnly | 0.8727 / 0.6728 / 0.31 / 0.12" ;;
    nmf) echo "NMF | 0.9213 / 0.7053 / 3.31 / 0.19" ;;
    knn-user) echo "KNNBasic user msd / KNNBaseline user msd | 0.9479 / 0.7266 / 0.18 / 1.60; 0.8748 / 0.6685 / 0.44 / 1.70" ;;
    knn-item) echo "KNNBaseline item pearson_baseline | 0.8525 / 0.6503 / 12.41 / 7.96" ;;
    svdpp) echo "SVD++ (one 80/20 split) | 0.8642 / 0.6609 / 91.6 / 11.6" ;;
    slopeone) echo "SlopeOne (unweighted) | not run here" ;;
    cocluster) echo "CoClustering | not run here" ;;
    *) echo "– | –" ;;
  esac
}

for a in $algos; do
  set +e
  timeout "$limit" "$mfrec" eval "$data" --algo "$a" --folds 5 --seed 42 --jobs 1 --threads 1 \
    --json -q >"$tmp/$a.json" 2>"$tmp/$a.err"
  rc=$?
  set -e
  if [ $rc -eq 0 ]; then
    python3 - "$tmp/$a.json" "$a" "$(surprise "$a")" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["result"]
m, s = d["mean"], d["std"]
print(f"| {sys.argv[2]} | {m['rmse']:.4f} ± {s['rmse']:.4f} | {m['mae']:.4f} ± {s['mae']:.4f} "
      f"| {m['ndcg']:.4f} | {m['fit_s']:.2f} | {m['predict_s']:.3f} | {m['rank_s']:.2f} | {sys.argv[3]} |")
PY
  elif [ $rc -eq 8 ]; then
    echo "| $a | not built | | | | | | $(surprise "$a") |"
  elif [ $rc -eq 124 ]; then
    echo "| $a | timed out after ${limit} s | | | | | | $(surprise "$a") |"
  else
    echo "| $a | failed (exit $rc: $(head -c 120 "$tmp/$a.err" | tr '\n|' '  ')) | | | | | | $(surprise "$a") |"
  fi
done

cat <<'FTR'

Notes
- `mfrec eval DATA --folds 5 --json` also gives precision, recall, MAP and
  hit rate @10, MRR, coverage and novelty for each model, and every fold's
  values.
- `ials` models implicit feedback (preference 0/1 with confidence 1 + αr), so
  its "ratings" are not on the star scale: its RMSE says nothing, its NDCG is
  the figure to read.
- Models scored through a per-item `predict` (the neighbourhood models) rank
  far more slowly than those with factors; that is the *rank s* column.
- The Surprise equivalent of `sgd` is its SVD (biased MF by SGD); of
  `baseline`, BaselineOnly; of `knn-item`, KNNBaseline item-based with
  pearson_baseline similarity.
FTR
