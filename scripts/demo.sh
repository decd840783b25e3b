#!/usr/bin/env bash
# demo.sh BINARY — the `make demo` tour of mfrec on MovieLens ml-latest-small:
# import (short report), train the default model, evaluate on an 80/20 split,
# the top 10 for user 1, and the movies most similar to "Toy Story (1995)".
# The data set is taken from $MFREC_DATA, else ../shared/datasets/ml-latest-small
# next to the repository; temporary files go to a scratch folder beside the
# binary (the build folder), never into the repository. Under a minute.
set -euo pipefail

MFREC=${1:?usage: scripts/demo.sh path/to/mfrec}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=""
for d in "${MFREC_DATA:-}" "$ROOT/../shared/datasets/ml-latest-small"; do
  if [ -n "$d" ] && [ -f "$d/ratings.csv" ]; then DATA=$(cd "$d" && pwd); break; fi
done
if [ -z "$DATA" ]; then
  echo "mfrec demo: MovieLens ml-latest-small not found; download https://files.grouplens.org/datasets/movielens/ml-latest-small.zip, unzip it, and run: MFREC_DATA=/path/to/ml-latest-small make demo" >&2
  exit 2
fi

WORK=$(mktemp -d "$(cd "$(dirname "$MFREC")" && pwd)/demo-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B="" N=""; fi
step() { printf '\n%s== %s%s\n$ %s\n' "$B" "$1" "$N" "$2"; }

step "Import" "mfrec import $DATA"
"$MFREC" import "$DATA" | sed -n '2,10p'

step "Train the default model (EASE orders the lists, biased MF by SGD gives the stars)" "mfrec train $DATA -o model.mfm"
"$MFREC" train "$DATA" -o "$WORK/model.mfm"

step "Evaluate: train on 80%, test on 20%" "mfrec eval $DATA --test-frac 0.2 --seed 1"
if "$MFREC" eval --help >/dev/null 2>&1; then
  "$MFREC" eval "$DATA" --test-frac 0.2 --seed 1 --quiet
else
  echo "(mfrec eval is not part of this build)"
fi

step "Top 10 for user 1" "mfrec recommend model.mfm --user 1"
"$MFREC" recommend "$WORK/model.mfm" --user 1

step "Movies most similar to Toy Story" 'mfrec similar model.mfm "Toy Story (1995)"'
"$MFREC" similar "$WORK/model.mfm" "Toy Story (1995)"

printf '\nData: MovieLens ml-latest-small, GroupLens Research. F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. ACM Transactions on Interactive Intelligent Systems 5, 4: 19:1-19:19. https://doi.org/10.1145/2827872\n'
