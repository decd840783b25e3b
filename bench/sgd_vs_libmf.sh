#!/usr/bin/env bash
# sgd_vs_libmf.sh — issue 15's side-by-side run of docs/perf/sgd.md: mfrec's
# sgd against LIBMF's mf-train on the same 20 M synthetic ratings, k = 64,
# 2 threads, the same held-out 1 %, whole processes with /usr/bin/time, in
# turn (mfrec, LIBMF, mfrec, LIBMF ...) at 1 and at EPOCHS + 1 epochs so
# the per-epoch cost is the difference; then the test RMSE of both.
#   bench/sgd_vs_libmf.sh BUILD_DIR LIBMF_DIR [WORK_DIR]
# LIBMF_DIR holds a built mf-train and mf-predict (github.com/cjlin1/libmf,
# built outside this repository; this project ships none of it). WORK_DIR
# (default /tmp/mfr-sgd-vs-libmf) gets ~2 GB of data. RUNS (3) pairs each,
# EPOCHS (20). BASE=OTHER_BUILD_DIR adds that build's mfrec to every turn
# (mfrec, base, LIBMF ...): old and new code side by side with LIBMF in one
# run. SYNTH=DIR takes that `mfrec synth` folder (e.g. /work/data/syn)
# instead of making s20m (rank 10, noise 0.3) in WORK_DIR. The load average is printed before each part: on a busy machine
# compare the CPU seconds, not the wall seconds.
set -euo pipefail
build=${1:?usage: sgd_vs_libmf.sh BUILD_DIR LIBMF_DIR [WORK_DIR]}
libmf=${2:?usage: sgd_vs_libmf.sh BUILD_DIR LIBMF_DIR [WORK_DIR]}
work=${3:-/tmp/mfr-sgd-vs-libmf}
# absolute: the runs happen in WORK_DIR
build=$(cd "$build" && pwd) libmf=$(cd "$libmf" && pwd)
[ -z "${BASE:-}" ] || BASE=$(cd "$BASE" && pwd)
runs=${RUNS:-3}
epochs=${EPOCHS:-20}
mfrec=$build/mfrec
base=${BASE:+$BASE/mfrec}
for x in "$mfrec" ${base:+"$base"} "$libmf/mf-train" "$libmf/mf-predict"; do
  [ -x "$x" ] || { echo "sgd_vs_libmf.sh: no $x" >&2; exit 1; }
done
mkdir -p "$work" && cd "$work"
if [ ! -f train.mfd ]; then
  if [ -n "${SYNTH:-}" ]; then
    rm -f s20m && ln -s "$SYNTH" s20m
  else
    "$mfrec" synth -o s20m --users 160000 --movies 60000 --ratings 20000000 --rank 10 --noise 0.3 -q
  fi
  "$mfrec" import s20m -o s20m.mfd -q
  "$mfrec" split s20m.mfd -o sp --test-frac 0.01 --seed 1
  mkdir -p trainset && mv sp/train.csv trainset/ratings.csv && cp s20m/movies.csv trainset/
  "$mfrec" import trainset -o train.mfd -q
  awk -F, 'NR > 1 { print $1 - 1, $2 - 1, $3 }' trainset/ratings.csv > lm_train.txt
  awk -F, 'NR > 1 { print $1 - 1, $2 - 1, $3 }' sp/test.csv > lm_test.txt
fi
t() { /usr/bin/time -f "%U %S %e %M" -o time.out "$@" > /dev/null 2>&1; read -r u s w m < time.out
      printf '%8.2f %8.2f %8.2f %8.0f' "$u" "$s" "$w" "$((m / 1024))"; }
for e in 1 $((epochs + 1)); do
  echo "== $e epoch(s), $runs pairs ($(cut -d' ' -f1-3 /proc/loadavg) load): user s, sys s, wall s, peak MB"
  for _ in $(seq "$runs"); do
    printf 'mfrec %s\n' "$(t "$mfrec" train train.mfd --algo sgd --factors 64 --threads 2 --epochs "$e" -q -o a.mfm)"
    [ -z "$base" ] ||
      printf 'base  %s\n' "$(t "$base" train train.mfd --algo sgd --factors 64 --threads 2 --epochs "$e" -q -o b.mfm)"
    printf 'libmf %s\n' "$(t "$libmf/mf-train" -k 64 -t "$e" -s 2 lm_train.txt lm.model)"
  done
done
echo "== test RMSE on the held-out 1 % ($epochs epochs each)"
"$mfrec" train train.mfd --algo sgd --factors 64 --threads 2 --epochs "$epochs" -q -o a.mfm > /dev/null
"$mfrec" predict a.mfm --input sp/test.csv |
  awk -F, 'NR == FNR { if (FNR > 1) r[FNR - 1] = $3; next }
           FNR > 1 { e = $3 - r[FNR - 1]; s += e * e; n++ }
           END { printf "mfrec RMSE %.4f (%d ratings)\n", sqrt(s / n), n }' sp/test.csv -
"$libmf/mf-train" -k 64 -t "$epochs" -s 2 lm_train.txt lm.model > /dev/null
"$libmf/mf-predict" -e 0 lm_test.txt lm.model lm_pred.txt | sed 's/^/libmf /'
