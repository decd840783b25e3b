#!/usr/bin/env bash
# sgd.sh — the figures of docs/perf/sgd.md: the SGD kernel alone, ml-latest-small
# accuracy with the default parameters (3 random 80/20 splits), and 20 M
# synthetic ratings at k = 64 on 2 threads (updates/s per epoch, peak RSS).
#   bench/sgd.sh [BUILD_DIR] [DATA_DIR]
# Load average is printed before each part: the figures mean little on a busy
# machine (the bench also prints CPU-time rates).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
data=${2:-${MFR_DATA_DIR:-$src/../shared/datasets/ml-latest-small}}
bench=$build/bench_sgd
[ -x "$bench" ] || { echo "sgd.sh: no $bench (build first)" >&2; exit 1; }
echo "== kernel ($(cut -d' ' -f1-3 /proc/loadavg) load)"
"$bench" kernel ratings=500000
if [ -f "$data/ratings.csv" ]; then
  echo "== ml-latest-small ($(cut -d' ' -f1-3 /proc/loadavg) load)"
  "$bench" movielens "$data" seeds=3
else
  echo "== ml-latest-small: skipped, no ratings.csv in $data"
fi
echo "== synthetic 20M, k=64, 2 threads ($(cut -d' ' -f1-3 /proc/loadavg) load)"
"$bench" synth ratings=20000000 k=64 threads=2 epochs=${SGD_EPOCHS:-4}
