#!/usr/bin/env bash
# import.sh — import's options for generic files (--columns, --delimiter,
# --header, --format) and the .mfd round trip (-o, then every command loads
# the .mfd and sees the same data).
source "$MFR_FIXTURES/cli/lib.bash"

# a semicolon file, no header, columns item;user;rating (no timestamps)
printf '10;1;4\n11;1;3.5\n10;2;5\n12;2;2\n12;3;1\n' >"$T/r.txt"
"$MFREC" import "$T/r.txt" --columns item,user,rating --delimiter ';' --header no >"$T/imp"
grep -q "^ratings *5$" "$T/imp" && grep -q "^users *3$" "$T/imp" && grep -q "^movies *3 rated" "$T/imp" \
  && grep -q "^timestamps *no$" "$T/imp" && ok "generic file with --columns/--delimiter/--header" || fail "generic: $(cat "$T/imp")"
# the same with a header line that must be skipped
printf 'movie\tuser\tstars\tjunk\n10\t1\t4\tx\n11\t1\t3.5\ty\n' >"$T/r.tsv"
"$MFREC" import "$T/r.tsv" --format csv --columns item,user,rating,skip --delimiter tab --header yes >"$T/imp2"
grep -q "^ratings *2$" "$T/imp2" && ok "header skipped, skip column" || fail "tsv: $(cat "$T/imp2")"
expect_exit 5 "--columns nonsense" "$MFREC" import "$T/r.txt" --columns user,banana && expect_err_has "--columns" "names --columns"
expect_exit 5 "--delimiter too long" "$MFREC" import "$T/r.txt" --delimiter ';;' && expect_err_has "--delimiter" "names --delimiter"

# .mfd round trip
make_synth_model
run_status "$MFREC" import "$T/syn" -q -o "$T/d.mfd"
if [ "$RC" -eq 8 ]; then
  echo "skip: .mfd writing not supported in this build ($(cat "$T/err"))"
else
  [ "$RC" -eq 0 ] && ok "import -o d.mfd" || fail "import -o: exit $RC: $(cat "$T/err")"
  "$MFREC" info "$T/syn" | sed 1d >"$T/a"
  "$MFREC" info "$T/d.mfd" | sed 1d >"$T/b"
  diff -u "$T/a" "$T/b" >"$T/d" && ok "info: .mfd = CSV folder" || fail ".mfd stats differ: $(cat "$T/d")"
  "$MFREC" train "$T/d.mfd" -o "$T/d.mfm" --factors 8 --epochs 15 --threads 1 --seed 5 --quiet >/dev/null
  "$MFREC" recommend "$T/d.mfm" --user 3 >"$T/r1"
  "$MFREC" recommend "$T/syn.mfm" --user 3 >"$T/r2"
  cmp -s "$T/r1" "$T/r2" && ok "model from .mfd = model from CSV" || fail "recommendations differ between .mfd and CSV"
fi
finish
