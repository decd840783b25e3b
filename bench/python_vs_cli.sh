#!/usr/bin/env bash
# python_vs_cli.sh — training time of one model, the mfrec command against
# the Python package, in alternating runs (CLI, Python, CLI, ...), so drift
# of a shared machine hits both alike.
#   bench/python_vs_cli.sh BUILD [DATA] [RUNS] [train options...]
# CLI: the seconds `mfrec train` prints ("N epochs in X s": the library's own
# timer around mfr_model_train). Python: time.perf_counter() around
# mfrec.train(ds, ...) — the same C call plus everything the package adds
# (parameter setup, ctypes, the model handle), and also the library's own
# timer in the Python process (model.info["fit_seconds"]), which tells the
# wrapper's cost from the process's. Both read the same .mfd, so
# loading is outside both figures. Prints each run, the medians and their
# ratio Python / CLI. Default DATA: ../shared/datasets/ml-latest-small;
# default model: the CLI's default (auto). Training options are passed to
# both as NAME=VALUE (e.g. algo=sgd factors=128).
set -euo pipefail
BUILD=${1:?usage: bench/python_vs_cli.sh BUILD [DATA] [RUNS] [NAME=VALUE...]}
DATA=${2:-$(dirname "$0")/../../shared/datasets/ml-latest-small}
RUNS=${3:-7}
shift $(($# < 3 ? $# : 3))
PY=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$BUILD/mfrec" import "$DATA" -o "$T/d.mfd" >/dev/null
cli_args=() py_kw=""
for kv in "$@"; do
  cli_args+=("--${kv%%=*}" "${kv#*=}")
  py_kw+="${kv%%=*}=$(printf '%q' "${kv#*=}" | sed "s/.*/'&'/"),"
done
cat >"$T/py.py" <<PY
import sys, time
sys.path.insert(0, "$(cd "$(dirname "$0")/.." && pwd)/python")
import mfrec
ds = mfrec.load_movielens("$T/d.mfd")
t = time.perf_counter()
m = mfrec.train(ds, $py_kw)
wall = time.perf_counter() - t
print("%.4f %.4f" % (wall, m.info["fit_seconds"]))
PY
export MFREC_LIB="$BUILD/libmfrec.so"
: >"$T/cli" ; : >"$T/py"
for r in $(seq "$RUNS"); do
  "$BUILD/mfrec" train "$T/d.mfd" -o "$T/m.mfm" "${cli_args[@]}" 2>&1 |
    sed -n 's/.* in \([0-9.]*\) s.*/\1/p' | head -1 >>"$T/cli"
  "$PY" "$T/py.py" >>"$T/py"
  read -r pw pf <<<"$(tail -1 "$T/py")"
  echo "run $r: cli $(tail -1 "$T/cli") s, python $pw s (the library's own timer: $pf s)"
done
"$PY" - "$T/cli" "$T/py" <<'PY'
import statistics, sys
c = [float(x) for x in open(sys.argv[1]) if x.strip()]
rows = [x.split() for x in open(sys.argv[2]) if x.strip()]
p = [float(w) for w, _ in rows]
pf = [float(f) for _, f in rows]
for name, q in (("python wall", p), ("python, library timer", pf)):
    pairs = sorted(b / a for a, b in zip(c, q))
    print("%s: median cli %.3f s, python %.3f s; python/cli pairwise min %.3f, median %.3f, max %.3f"
          % (name, statistics.median(c), statistics.median(q), pairs[0],
             statistics.median(pairs), pairs[-1]))
PY
