#!/usr/bin/env bash
# run.sh BUILD_DIR — every benchmark of `make bench`, one after another, each
# printing its own figures (see docs/perf/*.md for what was measured and how).
# Benchmarks are never tests: speed and memory targets are read off here.
#   BENCH="import sgd" bench/run.sh build   runs only those parts
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
parts=${BENCH:-"import sgd als ials models serve"}
for p in $parts; do
  echo "==================== $p ($(cut -d' ' -f1-3 /proc/loadavg) load)"
  case $p in
    import) "$build/bench_import" ;;
    sgd) "$src/bench/sgd.sh" "$build" ;;
    als) "$build/bench_als" ;;
    ials) "$build/bench_ials" ;;
    models) "$src/bench/models.sh" "$build" ;;
    serve) "$src/bench/serve.sh" "$build/mfrec" ;;
    *) echo "run.sh: unknown part $p" >&2; exit 2 ;;
  esac
done
