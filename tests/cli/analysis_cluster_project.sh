#!/usr/bin/env bash
# analysis_cluster_project.sh — `mfrec cluster` and `mfrec project` on a small
# synthetic set, checked by structure: cluster sizes add up to the movies
# clustered, the same seed gives the same output, JSON parses, the map has one
# row per qualifying movie with finite coordinates and valid cluster numbers,
# models without factors and bad options fail with the documented statuses,
# and knn-item answers `similar` from its stored neighbour lists.
source "$MFR_FIXTURES/cli/lib.bash"
make_synth_model
M="$T/syn.mfm"

# ---- cluster: sizes add up; deterministic; JSON well-formed ----
"$MFREC" cluster "$M" --k 5 --seed 3 --min-ratings 5 >"$T/c1"
"$MFREC" cluster "$M" --k 5 --seed 3 --min-ratings 5 >"$T/c2"
cmp -s "$T/c1" "$T/c2" && ok "cluster: same seed, same output" || fail "cluster: same seed gave different output"
total=$(head -1 "$T/c1" | awk '{print $4}')
sum=$(grep -o '^cluster [0-9]*  ([0-9]* movies)' "$T/c1" | awk -F'[()]' '{s += $2} END {print s + 0}')
[ "$sum" -eq "$total" ] && ok "cluster sizes add up to $total" || fail "cluster sizes sum to $sum, header says $total"
n=$(grep -c '^cluster [0-9]' "$T/c1")
[ "$n" -eq 5 ] && ok "cluster: 5 clusters" || fail "cluster: $n clusters printed, expected 5"
"$MFREC" cluster "$M" --k 4 --json --top 3 >"$T/cj"
python3 - "$T/cj" <<'PY' && ok "cluster --json parses, 4 clusters, <= 3 typical each" || fail "cluster --json: $(head -c 300 "$T/cj")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["k"] == 4 and len(d["clusters"]) == 4
assert sum(c["size"] for c in d["clusters"]) == d["movies"]
assert all(len(c["typical"]) <= 3 and len(c["genres"]) <= 3 for c in d["clusters"])
assert all(0 <= g["share"] <= 1 for c in d["clusters"] for g in c["genres"])
PY

# ---- project: one row per movie with >= N ratings, finite x/y ----
"$MFREC" project "$M" --min-ratings 20 --clusters 4 -o "$T/map.csv" 2>"$T/perr"
want=$(awk -F, 'NR>1{c[$2]++} END{n=0; for(i in c) if(c[i]>=20) n++; print n}' "$T/syn/ratings.csv")
got=$(($(wc -l <"$T/map.csv") - 1))
[ "$got" -eq "$want" ] && ok "project: $got rows = movies with >= 20 ratings" || fail "project: $got rows, expected $want"
head -1 "$T/map.csv" | grep -qx 'movieId,title,genres,x,y,cluster' && ok "project: CSV header" || fail "project header: $(head -1 "$T/map.csv")"
python3 - "$T/map.csv" <<'PY' && ok "project: finite coordinates, clusters 1..4" || fail "project: bad rows"
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows and all(math.isfinite(float(r["x"])) and math.isfinite(float(r["y"])) for r in rows)
assert {int(r["cluster"]) for r in rows} <= {1, 2, 3, 4}
xs = [float(r["x"]) for r in rows]
assert abs(sum(xs) / len(xs)) < 1e-3   # PCA coordinates are centred
PY
"$MFREC" project "$M" --format json --min-ratings 20 >"$T/map.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['movies'])==$want and d['explained'][0]>=d['explained'][1]>0" "$T/map.json" \
  && ok "project --format json parses, explained variance ordered" || fail "project json: $(head -c 300 "$T/map.json")"

# ---- errors ----
"$MFREC" train "$T/syn" -o "$T/knn.mfm" --algo knn-item --quiet
expect_exit 8 "cluster on a knn model" "$MFREC" cluster "$T/knn.mfm" && expect_err_has "no movie factors" "cluster says why"
expect_exit 8 "project on a knn model" "$MFREC" project "$T/knn.mfm" -o "$T/x.csv"
expect_exit 5 "cluster --k 0" "$MFREC" cluster "$M" --k 0
expect_exit 5 "cluster with more clusters than movies" "$MFREC" cluster "$M" --k 100000 && expect_err_has "movies have" "cluster names the count"
expect_exit 5 "project --format xml" "$MFREC" project "$M" --format xml
expect_exit 2 "project to an unwritable path" "$MFREC" project "$M" -o "$T/no/such/dir/map.csv"
mkdir -p "$T/outdir"
expect_exit 2 "project onto a folder" "$MFREC" project "$M" -o "$T/outdir"
left=$(find "$T" -maxdepth 1 -name 'outdir.tmp.*' | wc -l)
[ "$left" -eq 0 ] && ok "no temporary file left after a failed rename" || fail "temporary file left behind: $(find "$T" -maxdepth 1 -name 'outdir.tmp.*')"

# ---- knn-item answers similar from its neighbour lists ----
"$MFREC" similar "$T/knn.mfm" 1 -n 5 --min-ratings 0 >"$T/sim"
rows=$(awk 'NR>2' "$T/sim" | wc -l)
[ "$rows" -ge 1 ] && ok "similar on knn-item: $rows rows" || fail "similar on knn-item: $(cat "$T/sim")"

finish
