#!/usr/bin/env bash
# check-hardening.sh BINARY... — checks with readelf (binutils) what the
# release build promises (docs/security.md, "Build hardening"): a position-
# independent executable, full RELRO (GNU_RELRO segment + BIND_NOW), the
# stack protector (__stack_chk_fail) and _FORTIFY_SOURCE (__*_chk calls).
# Exits 1 naming the first missing property. hardening-check (devscripts)
# reports the same when installed.
set -euo pipefail
command -v readelf >/dev/null || { echo "check-hardening: readelf not found (binutils)" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: check-hardening.sh BINARY..." >&2; exit 2; }
for b in "$@"; do
  h=$(readelf -h "$b"); d=$(readelf -d "$b"); l=$(readelf -lW "$b"); s=$(readelf --dyn-syms -W "$b")
  grep -q 'Type: *DYN' <<<"$h" && grep -q 'PIE' <<<"$d" || { echo "FAIL: $b is not a PIE" >&2; exit 1; }
  grep -q GNU_RELRO <<<"$l" || { echo "FAIL: $b has no RELRO segment" >&2; exit 1; }
  grep -q BIND_NOW <<<"$d" || { echo "FAIL: $b is not linked with -z now" >&2; exit 1; }
  grep -q __stack_chk_fail <<<"$s" || { echo "FAIL: $b has no stack protector" >&2; exit 1; }
  grep -qE '__[a-z]+_chk' <<<"$(grep -v __stack_chk <<<"$s")" ||
    { echo "FAIL: $b calls no fortified (_FORTIFY_SOURCE) function" >&2; exit 1; }
  echo "ok: $b: PIE, full RELRO, stack protector, _FORTIFY_SOURCE"
done
