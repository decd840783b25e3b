#!/usr/bin/env bash
# rss_trace.sh — a process's resident memory over time, to find *when* its
# peak happens (issue 9; docs/perf/distributed.md, "where the peak is").
#
#   bench/rss_trace.sh OUT COMMAND [ARGS...]
#
# Runs COMMAND and samples its VmRSS and VmHWM (/proc/PID/status) every
# 5 ms into OUT.R (R: the Open MPI rank, 0 outside mpirun), one line
# "milliseconds rss_kB hwm_kB" a sample. Under mpirun, each rank runs its
# own copy:
#
#   mpirun -n 4 bench/rss_trace.sh /tmp/t build/mfrec train s.mfd --algo als ...
#
# then e.g. `awk 'NR % 20 == 1' /tmp/t.0` for one line about every 100 ms.
# The sampler itself (awk, sleep) is outside the measured process.
set -u
out=${1:?output prefix}.${OMPI_COMM_WORLD_RANK:-0}
shift
[ $# -gt 0 ] || { echo "rss_trace.sh: no command given" >&2; exit 2; }
: >"$out"
"$@" &
pid=$!
t0=$(date +%s%N)
while kill -0 "$pid" 2>/dev/null; do
    s=$(awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} END{if (r != "") print r, h}' "/proc/$pid/status" 2>/dev/null)
    [ -n "$s" ] && echo "$((($(date +%s%N) - t0) / 1000000)) $s" >>"$out"
    sleep 0.005
done
wait "$pid"
