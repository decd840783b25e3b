#!/usr/bin/env bash
# rss_ranks.sh — each rank's peak resident memory (VmHWM, MB) of one
# `mfrec train`, through rss_trace.sh (issue 9; docs/perf/distributed.md,
# "Memory per rank with shares"):
#
#   bench/rss_ranks.sh MFREC DATA ALGO EPOCHS P [ARGS...]     # P ranks under mpirun
#   bench/rss_ranks.sh MFREC DATA ALGO EPOCHS one [ARGS...]   # the one-process trainer
#
# DATA: a .mfd, a CSV or MovieLens folder or zip; ARGS are more training
# options (e.g. --set valid_frac=0.1).
# k = 64, one thread a rank, seed 1, as the doc's tables; the traces are left
# in ${TRACE:-/tmp/rss_ranks}.R. Prints the load average before and after and
# one "rank R: peak N MB" line a rank. Memory, not time: the load does not
# change the figures, but run one at a time (a 20 M-rating P = 1 run holds
# about 400 MB).
set -eu
[ $# -ge 5 ] || { sed -n 2,16p "$0" >&2; exit 2; }
bin=$1 data=$2 algo=$3 epochs=$4 p=$5
shift 5
here=$(cd "$(dirname "$0")" && pwd)
t=${TRACE:-/tmp/rss_ranks}
rm -f "$t".[0-9]* "$t.mfm"
args=(train "$data" --algo "$algo" --factors 64 --epochs "$epochs" --threads 1 --seed 1 "$@" -q -o "$t.mfm")
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$p" = one ]; then
    "$here/rss_trace.sh" "$t" "$bin" "${args[@]}" >/dev/null
else
    export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
    mpirun --oversubscribe --bind-to none -n "$p" "$here/rss_trace.sh" "$t" "$bin" "${args[@]}" >/dev/null
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for f in "$t".[0-9]*; do
    awk -v r="${f##*.}" 'END { printf "rank %s: peak %.0f MB\n", r, $3 / 1024 }' "$f"
done
