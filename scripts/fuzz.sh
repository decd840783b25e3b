#!/usr/bin/env bash
# fuzz.sh — build the libFuzzer targets of tests/fuzz with Debian's clang
# (-fsanitize=fuzzer,address,undefined) and run each for FUZZ_SECONDS.
#   scripts/fuzz.sh [TARGET...]      every target when none is named
# Environment:
#   FUZZ_SECONDS  seconds a target (default 600; `make test` runs 4)
#   FUZZ_JOBS     targets run at the same time (default: the number of cores)
#   FUZZ_BUILD    build folder (default build-fuzz-clang)
# Each target starts from the generated seeds (fuzz_gen_seeds), the stored
# corpus tests/fuzz/corpus/<target> and the stored crash inputs
# tests/fuzz/crashes/<target>; what it learns goes to FUZZ_BUILD/fuzz-corpus/
# (kept between runs), what it finds to FUZZ_BUILD/fuzz-findings/<target>/.
# Prints the inputs each target ran (and each finding) and exits 1 when any
# target found something (or could not run).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-600}
JOBS=${FUZZ_JOBS:-$(nproc)}
B=${FUZZ_BUILD:-build-fuzz-clang}
CC_FUZZ=${CC_FUZZ:-clang}
command -v "$CC_FUZZ" >/dev/null || { echo "fuzz: $CC_FUZZ not found (scripts/install-deps --test)" >&2; exit 1; }

gen=""; command -v ninja >/dev/null && gen="-G Ninja"
CC=$CC_FUZZ cmake -S . -B "$B" $gen -DCMAKE_BUILD_TYPE=Release -DMFR_FUZZ=ON -DMFR_WERROR=OFF >/dev/null
cmake --build "$B" -j "$JOBS" --target fuzz_all >"$B/fuzz-build.log" 2>&1 ||
  { tail -40 "$B/fuzz-build.log" >&2; echo "fuzz: build failed ($B/fuzz-build.log)" >&2; exit 1; }
bin=$B/tests/fuzz
rm -rf "$B/fuzz-seeds"
"$bin/fuzz_gen_seeds" "$B/fixtures" "$B/fuzz-seeds" >/dev/null

if [ $# -gt 0 ]; then targets=("$@"); else
  targets=(); for f in "$bin"/fuzz_*; do n=${f##*/fuzz_}; [ "$n" = gen_seeds ] || targets+=("$n"); done
fi

# One target for SECONDS_EACH seconds. libFuzzer stops at its first finding;
# the target is then started again (at most 20 times) for the time left, so
# one known bug does not end its run: every finding is kept and reported.
run_one() {
  local t=$1 work=$B/fuzz-corpus/$1 out=$B/fuzz-findings/$1 logs=$B/fuzz-logs
  mkdir -p "$work" "$out" "$logs"
  local dirs=("$work") d
  for d in "$B/fuzz-seeds/$t" "tests/fuzz/corpus/$t" "tests/fuzz/crashes/$t"; do
    [ -d "$d" ] && dirs+=("$d")  # libFuzzer refuses a folder that does not exist
  done
  local end=$(( $(date +%s) + SECONDS_EACH )) left execs=0 runs=0 found=0 rc n log
  rm -f "$logs/$t".*.log
  while left=$(( end - $(date +%s) )); [ "$left" -gt 0 ] && [ "$runs" -lt 20 ]; do
    runs=$((runs + 1)); log=$logs/$t.$runs.log; rc=0
    MFR_FIXTURES=$PWD/$B/fixtures ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$bin/fuzz_$t" -max_total_time="$left" -timeout=20 -print_final_stats=1 \
        -artifact_prefix="$out/" "${dirs[@]}" >"$log" 2>&1 || rc=$?
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    execs=$((execs + ${n:-0}))
    [ "$rc" = 0 ] && break
    found=$((found + 1))
    echo "    finding $found (exit $rc, $log):"
    grep -m2 -E "ERROR: |fuzz: |runtime error" "$log" | sed 's/^/      /'
  done
  local rate=$(( execs / (SECONDS_EACH > 0 ? SECONDS_EACH : 1) ))
  if [ "$found" = 0 ]; then
    printf '%-16s %10s inputs %7s/s  ok\n' "$t" "$execs" "$rate"
  else
    printf '%-16s %10s inputs %7s/s  %s FINDING(S), inputs in %s\n' "$t" "$execs" "$rate" "$found" "$out"
  fi
  [ "$found" = 0 ]
}

echo "fuzz: ${#targets[@]} targets, ${SECONDS_EACH} s each, $JOBS at a time ($B)"
fail=0 running=0
declare -A pid_of
for t in "${targets[@]}"; do
  [ -x "$bin/fuzz_$t" ] || { echo "fuzz: no target $t" >&2; fail=1; continue; }
  run_one "$t" >"$B/fuzz-logs.$t.line" 2>&1 &
  pid_of[$t]=$!
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
done
for t in "${!pid_of[@]}"; do wait "${pid_of[$t]}" || true; done
total=0
for t in "${targets[@]}"; do
  f=$B/fuzz-logs.$t.line
  [ -f "$f" ] || continue
  cat "$f"
  grep -q ' ok$' "$f" || fail=1
  n=$(grep -E "^$t " "$f" | awk '{print $2}' | tail -1); [[ "$n" =~ ^[0-9]+$ ]] && total=$((total + n))
  rm -f "$f"
done
echo "fuzz: $total inputs in all"
exit $fail
