#!/usr/bin/env bash
# netns_hosts.sh — a real multi-host run (issue 9): two "hosts" made here as
# Linux network namespaces joined by a veth pair, addresses in 10.209.77.0/24
# (a private range that exists only inside these namespaces), each with its
# own host name (a UTS namespace); mpirun starts in the first and launches
# the second's Open MPI daemon through a launch agent that enters that
# namespace (`ip netns exec`) where ssh would log in. Ranks talk over Open
# MPI's TCP transport only (btl tcp,self: no shared memory even between the
# two ranks of one host). 4 ranks, 2 per host, train the model one process
# trains, and the veth counters show the traffic crossed between the hosts.
# The namespaces are removed on any exit (trap). Without the right to make
# namespaces (not root, or a container without CAP_SYS_ADMIN) the test says
# so and is skipped (exit 77), never faked.
source "$(dirname "$0")/lib.bash"
source "$HERE/netns.bash"
NET=10.209.77
netns_hosts "$NET"
ip -n "$A" route get "$NET.2" | grep -q "dev v$A" && ok "hosts $A ($NET.1) and $B ($NET.2) joined by a veth pair" ||
    bad "no route between the namespaces"
synth "$T/d"
args=(--algo als --epochs 4 --factors 16 --threads 1 --seed 9)
"$MFREC" train "$T/d" "${args[@]}" -o "$T/one.mfm" -q >/dev/null || bad "one process"
rx0=$(ip netns exec "$B" cat "/sys/class/net/v$B/statistics/rx_bytes")
in_host 120 "$A" mpirun --hostfile "$T/hosts" -n 4 --bind-to none "${mca[@]}" \
    -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM \
    "$MFREC" train "$T/d" "${args[@]}" -o "$T/net.mfm" >"$T/net.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "mpirun -n 4 over 2 namespace hosts" || bad "mpirun over namespaces: exit $rc: $(tail -20 "$T/net.out")"
grep -q "^distributed: 4 ranks" "$T/net.out" && ok "4 ranks" || bad "not 4 ranks: $(grep distributed "$T/net.out")"
d=$(same "$T/one.mfm" "$T/net.mfm" 1e-4) && ok "same model as one process ($d)" || bad "model differs: $d"
rx1=$(ip netns exec "$B" cat "/sys/class/net/v$B/statistics/rx_bytes")
sent=$(sed -n 's/.* sent \([0-9]*\) bytes per epoch.*/\1/p' "$T/net.out")
[ -n "$sent" ] && [ $((rx1 - rx0)) -gt $((sent * 4 / 2)) ] &&
    ok "host $B received $((rx1 - rx0)) bytes over the veth (rank 0 alone sends $sent per epoch)" ||
    bad "too little traffic into $B: $((rx1 - rx0)) bytes (rank 0 sends '$sent' per epoch)"
finish
