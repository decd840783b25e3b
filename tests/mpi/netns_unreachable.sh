#!/usr/bin/env bash
# netns_unreachable.sh — a host that becomes unreachable mid-training (issue
# 9): two "hosts" as network namespaces (netns.bash), 4 ranks, 2 a host; once
# the run has written its first checkpoint, host B's link is set down
# (`ip link set dev ... down` inside B: B's packets stop, as when a cable is
# pulled or a host loses power; A's side only loses the carrier). Every case
# asserts that mpirun exits non-zero within the bound, with the message
# that says why, and that no process is left in either namespace.
#  1. B's data network (the ranks' TCP transport alone) goes down, the
#     runtime's network stays: every rank waits --rank-timeout for the
#     ranks it cannot reach, says so (rank, host, operation, epoch) and
#     MPI_Abort's with status 15 (MFR_E_TIMEOUT); mpirun ends the job on
#     both hosts.
#  2. both B's links go down, Open MPI's runtime keepalives (oob_tcp_*)
#     set below --rank-timeout: mpirun notices the lost daemon first and
#     ends the job itself ("lost communication with a remote daemon").
#  3. both B's links go down, default keepalives, the hosts' TCP giving up
#     on an unanswered peer after 4 retransmissions (net.ipv4.tcp_retries2
#     = 4, set in both namespaces only): the ranks on A say why after
#     --rank-timeout and abort; mpirun's order to the lost daemon to end its
#     ranks is then retransmitted until TCP gives up, and mpirun exits 15.
#     (With Linux's default of 15 retransmissions that is about 15 minutes:
#     docs/distributed.md.)
# The namespaces are removed on any exit; without the right to make them the
# test says so and is skipped (exit 77).
source "$(dirname "$0")/lib.bash"
source "$HERE/netns.bash"
NET=10.209.80 DATA=10.209.81
netns_hosts "$NET" "$DATA"
synth "$T/d"
# (not anchored: mpirun forwards each rank's writes as they come, so two
# ranks' messages can share a line)
msg_re() { # the timeout message of a rank on host $1 that waited for a rank on host $2
    echo "mfrec train: rank [0-9]: on host $1, waited $3 s \(--rank-timeout\) for (any of )?.*host $2.* in .* of epoch [0-9]+: no answer"
}
# cut NAME "DEV..." TIMEOUT [MCA...]: the run, and B's DEVs set down once it
# has a checkpoint; sets rc, secs (link down to mpirun's exit), left (processes
# still in either namespace 10 s after mpirun's exit)
cut() {
    local name=$1 devs=$2 tmo=$3 job t0 t1 dev
    shift 3
    rm -rf "$T/ck" && mkdir -p "$T/ck"
    in_host 200 "$A" mpirun --hostfile "$T/hosts" -n 4 --bind-to none "${mca[@]}" "$@" \
        -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM -x ASAN_OPTIONS \
        "$MFREC" train "$T/d" --algo als --epochs 1000000 --factors 16 --threads 1 --seed 9 -q \
        --rank-timeout "$tmo" --checkpoint "$T/ck" --checkpoint-every 20 -o "$T/$name.mfm" >"$T/$name.out" 2>&1 &
    job=$!
    for _ in $(seq 1200); do [ -s "$T/ck/checkpoint.mfc" ] && break; sleep 0.1; done
    if ! kill -0 "$job" 2>/dev/null || [ ! -s "$T/ck/checkpoint.mfc" ]; then
        bad "$name: the run did not get to training: $(tail -5 "$T/$name.out")"
        kill "$job" 2>/dev/null
        wait "$job"
        rc=-1 secs=0 left=0
        return
    fi
    t0=$(date +%s%N)
    for dev in $devs; do ip -n "$B" link set "$dev" down; done
    wait "$job"
    rc=$?
    t1=$(date +%s%N)
    secs=$(((t1 - t0) / 1000000000))
    for _ in $(seq 100); do
        left=$(($(ip netns pids "$A" | wc -l) + $(ip netns pids "$B" | wc -l)))
        [ "$left" -eq 0 ] && break
        sleep 0.1
    done
    [ -e "$T/$name.mfm" ] && bad "$name: a model was written"
}
link_up() { for dev in "v$B" "d$B"; do ip -n "$B" link set "$dev" up; done; }
# the bound: --rank-timeout, then ending the job (an abort, a daemon's
# retransmissions), with room for a loaded 2-core machine
slack=40

# 1. the data network of B down
cut data "d$B" 5
[ "$rc" -eq 15 ] && [ "$secs" -le $((5 + slack)) ] && ok "data network down: mpirun exit 15 after $secs s" ||
    bad "data network down: exit $rc after $secs s: $(tail -8 "$T/data.out")"
grep -Eq "$(msg_re "$A" "$B" 5)" "$T/data.out" && ok "a rank on $A named the ranks on $B it waited for" ||
    bad "no timeout message from $A: $(grep -v '^\[' "$T/data.out" | head -8)"
grep -Eq "$(msg_re "$B" "$A" 5)" "$T/data.out" && ok "a rank on $B named the ranks on $A it waited for" ||
    echo "note: no message from $B's ranks (mpirun may end them before their bound): $(grep -c '^mfrec train' "$T/data.out") messages"
[ "$left" -eq 0 ] && ok "data network down: no process left on either host" || bad "data network down: $left processes left"
link_up

# 2. B unreachable, the runtime's keepalives below the bound: Open MPI ends the run
ka=(--mca oob_tcp_keepalive_time 1 --mca oob_tcp_keepalive_intvl 1 --mca oob_tcp_keepalive_probes 2)
cut keep "v$B d$B" 30 "${ka[@]}"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$secs" -le $((30 + slack)) ] &&
    grep -q "lost communication with a remote daemon" "$T/keep.out" &&
    ok "host unreachable, keepalives 1 + 2 x 1 s: mpirun noticed the lost daemon, exit $rc after $secs s" ||
    bad "host unreachable with keepalives: exit $rc after $secs s: $(grep -v '^\[' "$T/keep.out" | head -8)"
[ "$left" -eq 0 ] && ok "host unreachable, keepalives: no process left on either host" || bad "keepalives: $left processes left"
link_up

# 3. B unreachable, default keepalives, TCP giving up after 4 retransmissions
for ns in "$A" "$B"; do ip netns exec "$ns" sysctl -qw net.ipv4.tcp_retries2=4; done
cut gone "v$B d$B" 5
[ "$rc" -eq 15 ] && [ "$secs" -le $((5 + slack)) ] && ok "host unreachable: mpirun exit 15 after $secs s" ||
    bad "host unreachable: exit $rc after $secs s: $(grep -v '^\[' "$T/gone.out" | head -8)"
grep -Eq "$(msg_re "$A" "$B" 5)" "$T/gone.out" && ok "host unreachable: a rank on $A named the ranks on $B it waited for" ||
    bad "host unreachable: no timeout message from $A: $(grep -v '^\[' "$T/gone.out" | head -8)"
[ "$left" -eq 0 ] && ok "host unreachable: no process left on either host" || bad "host unreachable: $left processes left"
finish
