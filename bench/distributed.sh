#!/usr/bin/env bash
# distributed.sh — distributed ALS/iALS against the one-process trainer
# (issue 9; docs/perf/distributed.md): per-epoch time, payload bytes each
# rank sends, and each rank's peak memory, for P = 1, 2, 4 on one host.
#
#   bench/distributed.sh MFREC DATA.mfd [ALGO] [K] [EPOCHS]
#
# DATA: a .mfd (e.g. mfrec synth -o s --users 138000 --movies 27000
# --ratings 20000000 && mfrec import s -o s.mfd). Every run: --threads 1 per
# rank (P ranks use P cores, as a P-host run would use one core each), each
# rank under /usr/bin/time for its CPU seconds (user + sys, the whole
# process: reading the .mfd, the model's common part, the fit) and peak RSS.
# The one-process row is plain `mfrec train` (no mpirun); "P=1" is
# `mpirun -n 1`, the distributed path on one rank. On a shared, loaded
# machine wall seconds mostly measure the other processes; CPU seconds are
# the figure to compare. Prints one table row per configuration.
set -u
M=${1:?mfrec binary} D=${2:?data .mfd} ALGO=${3:-als} K=${4:-64} EP=${5:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
args=(train "$D" --algo "$ALGO" --factors "$K" --epochs "$EP" --threads 1 --seed 1 -q)
echo "# $(date -u +%FT%TZ) $(uname -n), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "| run | CPU s per rank (whole process) | fit wall s/epoch | rank 0 payload sent / epoch | collectives wall s/epoch | peak RSS per rank (MB) |"
echo "|---|---|---|---|---|---|"
cpu() { awk '{printf "%.1f ", $1 + $2}' "$@"; }
mem() { awk '{printf "%.0f ", $3 / 1024}' "$@"; }
/usr/bin/time -f '%U %S %M' -o "$T/one.rss" "$M" "${args[@]}" -o "$T/one.mfm" >"$T/one.out" 2>&1
fit=$(sed -n 's/.* epochs in \([0-9.]*\) s.*/\1/p' "$T/one.out")
echo "| one process | $(cpu "$T/one.rss")| $(awk -v f="$fit" -v e="$EP" 'BEGIN{printf "%.2f", f/e}') | — | — | $(mem "$T/one.rss")|"
for n in 1 2 4; do
    mpirun --oversubscribe --bind-to none -n "$n" sh -c \
        'exec /usr/bin/time -f "%U %S %M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$T/rss$n" \
        "$M" "${args[@]}" -o "$T/p$n.mfm" >"$T/p$n.out" 2>&1 || { echo "| P=$n | failed: $(tail -3 "$T/p$n.out") |"; continue; }
    line=$(grep '^distributed:' "$T/p$n.out")
    per=$(echo "$line" | sed -n 's/.* \([0-9.]*\) s per epoch in all.*/\1/p')
    bytes=$(echo "$line" | sed -n 's/.*sent \([0-9]*\) bytes per epoch.*/\1/p')
    comm=$(echo "$line" | sed -n 's/.* \([0-9.]*\) s per epoch in collectives.*/\1/p')
    files=$(for r in $(seq 0 $((n - 1))); do echo "$T/rss$n.$r"; done)
    echo "| mpirun -n $n | $(cpu $files)| $per | $bytes | $comm | $(mem $files)|"
done
