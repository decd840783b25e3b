#!/usr/bin/env bash
# install.sh — `cmake --install` (what `make install` runs) into a temporary
# DESTDIR, then the README's C example (extracted from README.md, so the two
# cannot drift) built against that copy four ways: pkg-config with the shared
# and with the static library, CMake find_package with mfrec::mfrec and
# mfrec::mfrec_static; each one runs and prints the list `mfrec recommend`
# prints. A C++ program checks the headers link as extern "C".
source "$MFR_FIXTURES/cli/lib.bash"
: "${MFR_BUILD_DIR:?}" "${MFR_SOURCE_DIR:?}"

# A sanitizer build installs instrumented libraries: programs linked with
# them need the same -fsanitize flags (and get the small fixture: fast).
SAN=""
grep -q '^MFR_SANITIZE:BOOL=ON' "$MFR_BUILD_DIR/CMakeCache.txt" && SAN="-fsanitize=address,undefined"

D="$T/stage"
P="$D/usr/local"
DESTDIR="$D" cmake --install "$MFR_BUILD_DIR" --prefix /usr/local >"$T/install.log" 2>&1 ||
  { cat "$T/install.log" >&2; fail "cmake --install failed"; finish; }
for f in bin/mfrec include/mfrec.h include/mfrec/model.h include/mfrec/dataset.h lib/libmfrec.a \
         lib/libmfrec.so lib/libmfrec.so.0 lib/pkgconfig/mfrec.pc lib/cmake/mfrec/mfrecConfig.cmake \
         lib/cmake/mfrec/mfrecConfigVersion.cmake lib/cmake/mfrec/mfrecTargets.cmake; do
  [ -e "$P/$f" ] && ok "installed $f" || fail "missing $P/$f"
done
[ ! -e "$P/include/mfrec/serve.h" ] && ok "serve.h stays private" || fail "serve.h installed"
soname=$(objdump -p "$P/lib/libmfrec.so" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = libmfrec.so.0 ] && ok "soname libmfrec.so.0" || fail "soname: '$soname'"
nm -D --defined-only "$P/lib/libmfrec.so" | grep -q ' mfr__' &&
  fail "libmfrec.so exports internal mfr__ symbols: $(nm -D --defined-only "$P/lib/libmfrec.so" | grep -m3 ' mfr__')" ||
  ok "libmfrec.so exports the public API only"
"$P/bin/mfrec" --version | grep -q '^mfrec 0\.' && ok "installed mfrec runs" || fail "installed mfrec --version"

# The README's example: the first ```c block after "## Use it from C".
awk '/^## Use it from C/ {s=1} s && /^```c$/ {c=1; next} c && /^```$/ {exit} c' \
  "$MFR_SOURCE_DIR/README.md" >"$T/example.c"
grep -q 'int main' "$T/example.c" && ok "README example extracted" || fail "no C example in README.md"

# It reads ./ml-latest-small: the real one when there, else a tiny fixture.
mkdir -p "$T/run"
if [ -z "$SAN" ] && [ -n "${MFR_DATA_DIR:-}" ] && [ -f "$MFR_DATA_DIR/ratings.csv" ]; then
  ln -s "$MFR_DATA_DIR" "$T/run/ml-latest-small"
else
  ln -s "$MFR_FIXTURES/io/csv" "$T/run/ml-latest-small"
fi
"$P/bin/mfrec" train "$T/run/ml-latest-small" -o "$T/m.mfm" -q >/dev/null 2>&1
"$P/bin/mfrec" recommend "$T/m.mfm" --user 1 --json >"$T/want.json"
python3 - "$T/want.json" >"$T/want.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["recommendations"] if isinstance(d, dict) else d
for r in rows:
    print("%s %.1f" % (r["title"], r["prediction"]))
PY

export PKG_CONFIG_PATH="$P/lib/pkgconfig"
check_run() { # NAME BINARY
  if (cd "$T/run" && LD_LIBRARY_PATH="$P/lib" "$2" >"$T/$1.out" 2>"$T/$1.err"); then
    if cmp -s "$T/$1.out" "$T/want.txt"; then ok "$1: the example prints mfrec recommend's list"
    else fail "$1: output differs from mfrec recommend: $(diff "$T/want.txt" "$T/$1.out" | head -5)"; fi
  else
    fail "$1: the example failed: $(head -c 300 "$T/$1.err")"
  fi
}

flags=$(pkg-config --cflags --libs mfrec) && ok "pkg-config --cflags --libs mfrec: $flags" || fail "pkg-config mfrec"
if cc -std=c17 -Wall -Wextra -Werror $SAN "$T/example.c" $flags -o "$T/ex_pc" 2>"$T/cc.err"; then
  ok "pkg-config build (shared)"
  objdump -p "$T/ex_pc" | grep -q 'NEEDED *libmfrec.so.0' && ok "linked against libmfrec.so.0" || fail "ex_pc does not need libmfrec.so.0"
  check_run pkgconfig-shared "$T/ex_pc"
else fail "pkg-config build (shared): $(head -c 600 "$T/cc.err")"; fi

sflags=$(pkg-config --cflags --static --libs mfrec | sed 's/-lmfrec /-l:libmfrec.a /')
for need in -lopenblas -llapacke -larchive -lz -fopenmp -lm -lpthread; do
  case " $sflags " in *" $need "*) ;; *) fail "pkg-config --static lacks $need: $sflags" ;; esac
done
if cc -std=c99 -Wall -Wextra -Werror $SAN "$T/example.c" $sflags -o "$T/ex_pcs" 2>"$T/cc.err"; then
  ok "pkg-config --static build (libmfrec.a)"
  objdump -p "$T/ex_pcs" | grep -q 'libmfrec' && fail "static build still needs libmfrec.so" || ok "no libmfrec.so needed"
  check_run pkgconfig-static "$T/ex_pcs"
else fail "pkg-config --static build: $(head -c 600 "$T/cc.err")"; fi

mkdir -p "$T/cm"
cp "$T/example.c" "$T/cm/example.c"
cat >"$T/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(example C)
find_package(mfrec 0.1 REQUIRED)
add_executable(ex_cmake example.c)
target_link_libraries(ex_cmake PRIVATE mfrec::mfrec)
add_executable(ex_cmake_static example.c)
target_link_libraries(ex_cmake_static PRIVATE mfrec::mfrec_static)
CM
if cmake -S "$T/cm" -B "$T/cm/b" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_FLAGS="$SAN" >"$T/cm.log" 2>&1 &&
   cmake --build "$T/cm/b" >>"$T/cm.log" 2>&1; then
  ok "cmake find_package(mfrec) build"
  check_run cmake-shared "$T/cm/b/ex_cmake"
  check_run cmake-static "$T/cm/b/ex_cmake_static"
else fail "cmake find_package build: $(tail -20 "$T/cm.log")"; fi

cat >"$T/cpp.cpp" <<'CPP'
#include <mfrec.h>
#include <cstdio>
int main() {
    mfr_error err;
    mfr_algo a;
    if (mfr_algo_from_name("ials", &a, &err) != MFR_OK) return 1;
    std::printf("%s %s\n", mfr_version(), mfr_algo_name(a));
    return 0;
}
CPP
if c++ -std=c++17 -Wall -Wextra -pedantic -Werror $SAN "$T/cpp.cpp" $flags -o "$T/cpp" 2>"$T/cxx.err"; then
  LD_LIBRARY_PATH="$P/lib" "$T/cpp" | grep -q ' ials$' && ok "C++ links and calls the C API" || fail "C++ program output"
else fail "C++ build: $(head -c 600 "$T/cxx.err")"; fi
finish
