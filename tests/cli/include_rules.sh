#!/usr/bin/env bash
# include_rules.sh — the include direction of docs/architecture.md holds on
# this tree (scripts/check-includes, issue 14), and the checker does fail:
# on a copy of src/ with an eval file reaching into src/algo, with data
# including io (the wrong way), with an include that does not resolve, and
# (objects) with two files of two folders calling each other (and not for
# a constant table read across folders).
source "$MFR_FIXTURES/cli/lib.bash"
SRC=${MFR_SOURCE_DIR:?MFR_SOURCE_DIR must name the source tree}
CHECK="$SRC/scripts/check-includes"

expect_exit 0 "the source tree keeps its include rules" "$CHECK" "$SRC" || cat "$T/err" >&2
if [ -n "${MFR_BUILD_DIR:-}" ]; then
  expect_exit 0 "no calls in a circle across folders in this build's library" \
    "$CHECK" "$SRC" --objects "$MFR_BUILD_DIR" || cat "$T/err" >&2
fi
# two files of different folders calling each other are refused
o="$T/b/CMakeFiles/mfrec_objects.dir/src"
mkdir -p "$o/core" "$o/data"
echo 'int y(void); int x(void) { return y(); }' >"$T/x.c"
echo 'int x(void); int y(void) { return x() + 1; }' >"$T/y.c"
${CC:-cc} -c "$T/x.c" -o "$o/core/x.c.o" && ${CC:-cc} -c "$T/y.c" -o "$o/data/y.c.o"
expect_exit 1 "a circle of calls between src/core and src/data is refused" "$CHECK" "$SRC" --objects "$T/b"
expect_err_has 'calls in a circle across folders: src/core/x.c, src/data/y.c' "the circle's files are named"
# reading another folder's constant table (as the model reads the families'
# vtables) is not a call: a table in data read by core, a call from data to core
o2="$T/b2/CMakeFiles/mfrec_objects.dir/src"
mkdir -p "$o2/core" "$o2/data"
echo 'extern const int tab[]; int x(void) { return tab[0]; }' >"$T/x2.c"
echo 'int x(void); const int tab[1] = {1}; int y(void) { return x() + 1; }' >"$T/y2.c"
${CC:-cc} -c "$T/x2.c" -o "$o2/core/x.c.o" && ${CC:-cc} -c "$T/y2.c" -o "$o2/data/y.c.o"
expect_exit 0 "a constant table read across folders is not a circle of calls" "$CHECK" "$SRC" --objects "$T/b2"

mkdir -p "$T/tree"
cp -r "$SRC/src" "$SRC/cli" "$SRC/include" "$T/tree/"
echo '#include "../algo/algo.h"' >>"$T/tree/src/eval/map.c"
expect_exit 1 "an eval file including src/algo is refused" "$CHECK" "$T/tree"
expect_err_has 'src/eval/map.c:' "the refusal names the file and line"
expect_err_has 'src/eval may not include src/algo/algo.h' "and the rule it breaks"

rm -rf "$T/tree/src" && cp -r "$SRC/src" "$T/tree/"
echo '#include "../io/io_internal.h"' >>"$T/tree/src/data/dataset_impl.h"
expect_exit 1 "data including io (io includes data) is refused" "$CHECK" "$T/tree"
expect_err_has 'src/data may not include src/io/io_internal.h' "the upward include is named"

rm -rf "$T/tree/src" && cp -r "$SRC/src" "$T/tree/"
echo '#include "no_such_header.h"' >>"$T/tree/src/core/core.h"
expect_exit 1 "an include that resolves nowhere is refused" "$CHECK" "$T/tree"
expect_err_has 'no_such_header.h" not found' "the missing header is named"

expect_exit 2 "a folder without src/ is a usage error" "$CHECK" "$T/tree/cli"
finish
