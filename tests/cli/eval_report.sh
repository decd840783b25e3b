#!/usr/bin/env bash
# eval_report.sh — `mfrec report`: from DATA the page holds every chart and
# the metrics table, is self-contained (no http(s) src/href), and the table is
# also written as Markdown and JSON with one row per model; from a MODEL
# (.mfm) with --data the map and data charts; errors exit with their status.
source "$MFR_FIXTURES/cli/lib.bash"
make_synth_model

"$MFREC" report "$T/syn" -o "$T/r.html" --algos sgd,baseline --epochs 10 -q \
  --table "$T/t.md" --table-json "$T/t.json"
for id in curves map ratings longtail; do
  grep -q "<svg[^>]*id=\"$id\"" "$T/r.html" && ok "chart $id present" || fail "chart $id missing"
done
grep -c '<circle' "$T/r.html" | awk '{exit !($1 > 50)}' && ok "map has dots" || fail "map dots"
if grep -Eiq '(src|href)[[:space:]]*=[[:space:]]*["'"'"']?(https?:)?//' "$T/r.html"; then fail "network reference in page"; else ok "self-contained"; fi
grep -q '<script' "$T/r.html" && fail "page has scripts" || ok "no scripts"
[ "$(grep -c '^| sgd \|^| baseline ' "$T/t.md")" -eq 2 ] && ok "Markdown table rows" || fail "md: $(cat "$T/t.md")"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert [r['model'] for r in d]==['sgd','baseline']; assert all(0<r['rmse']<2 for r in d)" "$T/t.json" \
  && ok "JSON table" || fail "json: $(head -c 300 "$T/t.json")"

"$MFREC" report "$T/syn.mfm" --data "$T/syn" -o "$T/m.html" --clusters 5 -q
grep -q 'id="map"' "$T/m.html" && grep -q 'id="longtail"' "$T/m.html" && grep -q 'cluster 5' "$T/m.html" \
  && ok "report from a model, clustered map" || fail "model report"

expect_exit 5 "no -o" "$MFREC" report "$T/syn" && expect_err_has "-o report.html" "names -o"
expect_exit 5 "--algo instead of --algos" "$MFREC" report "$T/syn" -o "$T/x.html" --algo sgd
expect_exit 5 "unknown algo" "$MFREC" report "$T/syn" -o "$T/x.html" --algos sgd,nosuch && expect_err_has "nosuch" "names the algo"
expect_exit 2 "missing data" "$MFREC" report "$T/none" -o "$T/x.html"
expect_exit 2 "unwritable output" "$MFREC" report "$T/syn.mfm" -o /proc/nope/r.html
finish
