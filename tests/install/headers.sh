#!/usr/bin/env bash
# headers.sh — every public header compiles on its own as C99, C11, C17 and
# C++ (11, 17) with -Wall -Wextra -pedantic -Werror: the API promises no GNU
# extensions and extern "C" for C++ hosts.
source "$MFR_FIXTURES/cli/lib.bash"
: "${MFR_SOURCE_DIR:?}"
cd "$MFR_SOURCE_DIR/include"
for h in mfrec.h mfrec/*.h; do
  for std in c99 c11 c17; do
    if echo "#include <$h>" | cc -std=$std -Wall -Wextra -pedantic -Werror -I. -x c -fsyntax-only - 2>"$T/err"
    then ok "$h as $std"; else fail "$h as $std: $(head -c 400 "$T/err")"; fi
  done
  for std in c++11 c++17; do
    if printf '#include <%s>\nint main() { return 0; }\n' "$h" |
       c++ -std=$std -Wall -Wextra -pedantic -Werror -I. -x c++ -fsyntax-only - 2>"$T/err"
    then ok "$h as $std"; else fail "$h as $std: $(head -c 400 "$T/err")"; fi
  done
done
# extern "C": a C++ translation unit that names an API function must refer
# to the C symbol, not a mangled one.
echo '#include <mfrec.h>
const char *(*f)(void) = mfr_version;' | c++ -std=c++17 -I. -x c++ -c - -o "$T/x.o"
nm "$T/x.o" | grep -q ' U mfr_version$' && ok "extern \"C\" linkage" || fail "mfr_version is mangled in C++: $(nm "$T/x.o")"
finish
