# lib.bash — what the mpi tests share: mpirun as root (CI runs as root; set
# here for these scripts only, never globally), more ranks than cores
# (--oversubscribe: CI has 2 cores), the shared-memory and TCP transports on
# one host, a small synthetic data set, and the factor comparison.
set -u
: "${MFREC:?MFREC must point at the mfrec binary}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# no warnings about missing InfiniBand/openib hardware; loopback allowed for TCP
export OMPI_MCA_btl_base_warn_component_unused=0
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
finish() { [ "$fails" -eq 0 ] && { echo "all passed"; exit 0; }; echo "$fails failed"; exit 1; }
# Under ASan the ranks mpirun starts run without leak detection: Open MPI's
# dlopen'ed components leak by design and LSan cannot name them to
# suppress (CMakeLists.txt). Memory errors are still reported.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
run_mpi() { # run_mpi P ARGS...: mfrec on P ranks of this host (240 s: an ASan
    local n=$1; shift # build on a loaded 2-core machine took 65 s for faults.sh's 400 epochs)
    timeout 240 mpirun --oversubscribe --bind-to none -n "$n" "$MFREC" "$@"
}
# train_1p DATA TAG ARGS...: mfrec train in one process, to $T/TAG.1p.mfm
# (output $T/TAG.1p.out); a failure is reported (status 1)
train_1p() {
    local d=$1 tag=$2; shift 2
    "$MFREC" train "$d" "$@" -o "$T/$tag.1p.mfm" >"$T/$tag.1p.out" 2>&1 ||
        { bad "$tag: one process: $(cat "$T/$tag.1p.out")"; return 1; }
}
# train_np P DATA TAG ARGS...: the same on P ranks, to $T/TAG.P.mfm (.out, .err)
train_np() {
    local n=$1 d=$2 tag=$3; shift 3
    run_mpi "$n" train "$d" "$@" -o "$T/$tag.$n.mfm" >"$T/$tag.$n.out" 2>"$T/$tag.$n.err" ||
        { bad "$tag P=$n: exit $?: $(cat "$T/$tag.$n.err")"; return 1; }
}
# one process, no mpirun (MPI never started): leaks are checked under ASan
run_one() { ASAN_OPTIONS="${ASAN_OPTIONS%detect_leaks=0}" "$MFREC" "$@"; }
synth() { # synth DIR: 600 users, 900 movies, 40 000 ratings
    "$MFREC" synth -o "$1" --users 600 --movies 900 --ratings 40000 --seed 3 -q
}
# same A.mfm B.mfm TOL: max |Δ| of factors and biases <= TOL
same() {
    rm -rf "$T/xa" "$T/xb"
    "$MFREC" export "$1" -o "$T/xa" --format npy >/dev/null 2>&1 &&
        "$MFREC" export "$2" -o "$T/xb" --format npy >/dev/null 2>&1 &&
        "$PY" "$HERE/compare.py" "$T/xa" "$T/xb" "$3"
}
