# netns.bash — "hosts" as Linux network namespaces for the multi-host mpi
# tests (netns_hosts.sh, netns_unreachable.sh; source lib.bash first).
# netns_hosts NET [DATANET] makes hosts $A and $B, each a network namespace
# with its own host name (a UTS namespace, entered by the launch agent),
# joined by a veth pair v$A–v$B with NET.1 and NET.2 (a private /24 that
# exists only inside these namespaces) for Open MPI's runtime (OOB) and,
# without DATANET, for the ranks' TCP transport too; with DATANET a second
# pair d$A–d$B (DATANET.1, DATANET.2) carries the ranks' traffic alone. It
# writes the launch agent ("ssh HOST COMMAND": enter HOST's namespace) and
# the hostfile (2 slots a host) under $T and sets the mca array. The
# namespaces, and every process left in them, are removed on any exit
# (trap). Without the right to make namespaces the test says so and is
# skipped (exit 77), never faked.
A=mfrA$$ B=mfrB$$
netns_cleanup() {
    for ns in "$A" "$B"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$T"
}
# in_host SECONDS HOST COMMAND...: COMMAND inside HOST's namespace, under its
# host name, stopped (timeout) after SECONDS
in_host() {
    local s=$1 h=$2; shift 2
    timeout "$s" ip netns exec "$h" unshare --uts /bin/sh -c "hostname $h; exec \"\$@\"" sh "$@"
}
# pair NAME_A NAME_B NET: a veth pair between the hosts, NET.1 on A, NET.2 on B
netns_pair() {
    ip link add "$1" type veth peer name "$2" &&
        ip link set "$1" netns "$A" && ip link set "$2" netns "$B" &&
        ip -n "$A" addr add "$3.1/24" dev "$1" && ip -n "$B" addr add "$3.2/24" dev "$2" &&
        ip -n "$A" link set "$1" up && ip -n "$B" link set "$2" up
}
netns_hosts() {
    local net=$1 data=${2:-$1}
    trap netns_cleanup EXIT
    if ! ip netns add "$A" 2>"$T/ns.err"; then
        echo "SKIP: cannot make network namespaces here ($(cat "$T/ns.err")); the multi-host test needs root with CAP_SYS_ADMIN"
        exit 77
    fi
    command -v unshare >/dev/null || { echo "SKIP: no unshare (util-linux)"; exit 77; }
    ip netns add "$B" && ip -n "$A" link set lo up && ip -n "$B" link set lo up &&
        netns_pair "v$A" "v$B" "$net" || { echo "FAIL: could not join the namespaces"; exit 1; }
    if [ "$data" != "$net" ]; then
        netns_pair "d$A" "d$B" "$data" || { echo "FAIL: could not make the data network"; exit 1; }
    fi
    cat >"$T/agent" <<AGENT
#!/bin/sh
host=\$1; shift
exec ip netns exec "\$host" unshare --uts /bin/sh -c "hostname \$host; \$*"
AGENT
    chmod +x "$T/agent"
    printf '%s slots=2\n%s slots=2\n' "$A" "$B" >"$T/hosts"
    mca=(--mca plm_rsh_agent "$T/agent" --mca plm_rsh_no_tree_spawn 1 --mca btl tcp,self
         --mca btl_tcp_if_include "$data.0/24" --mca oob_tcp_if_include "$net.0/24")
}
