#!/usr/bin/env bash
# personas.sh — three new API users with clearly different tastes get
# clearly different lists, each in its own genres. On a model trained on
# ml-latest-small with the DEFAULT `mfrec train` (no --algo), three users
# each rate five well-known movies 5 stars:
#   horror / sci-fi   Alien, Aliens, The Thing, The Shining, The Exorcist
#   kids' animation   Toy Story, The Lion King, Aladdin, Beauty and the Beast, Finding Nemo
#   romantic comedy   When Harry Met Sally, Pretty Woman, Sleepless in Seattle,
#                     Four Weddings and a Funeral, Notting Hill
# and fetch their top 10. Checked: any two lists share at most 2 movies, and
# at least 6 of each list carry one of the persona's genres
# (Horror|Sci-Fi|Thriller; Animation|Children; Romance|Comedy). Skips (exit
# 0) when MFR_DATA_DIR does not hold ml-latest-small.
# MFR_PERSONAS_ALGO=NAME trains with --algo NAME instead, to measure another
# family; the measurements are printed either way.
source "$(dirname "$0")/lib.bash"
D=${MFR_DATA_DIR:-}
if [ -z "$D" ] || [ ! -f "$D/ratings.csv" ] || [ ! -f "$D/movies.csv" ]; then
  echo "skip: MFR_DATA_DIR does not hold ml-latest-small"
  exit 0
fi
MODEL=$T/ml.mfm
algo_args=()
[ -n "${MFR_PERSONAS_ALGO:-}" ] && algo_args=(--algo "$MFR_PERSONAS_ALGO")
"$MFREC" train "$D" -o "$MODEL" "${algo_args[@]}" -q >"$T/train.out"
pass "trained: $(head -1 "$T/train.out")"
start_server "$T/r.db"
check "health" GET /api/health "" "" 200
pass "model $(jq_body 'd["model"]["algo"]'), new users: $(jq_body 'd["routes"]["recommendations_new_users"]')"

declare -A LOVES=(
  [horror]="1214 1200 2288 1258 1997"
  [kids]="1 364 588 595 6377"
  [romcom]="1307 597 539 357 2671"
)
declare -A GENRES=([horror]="Horror|Sci-Fi|Thriller" [kids]="Animation|Children" [romcom]="Romance|Comedy")
for p in horror kids romcom; do
  new_user
  for m in ${LOVES[$p]}; do check "$p: rate $m 5 stars" PUT "/api/users/$UID_/ratings/$m" '{"rating": 5}' "$TOK" 201; done
  check "$p: top 10" GET "/api/users/$UID_/recommendations?n=10" "" "" 200
  assert_py 'd["source"]=="fold-in" and d["ratings_used"]==5 and len(d["recommendations"])==10' "$p: not a 10-row list from 5 ratings"
  cp "$BODY_FILE" "$T/$p.json"
done

python3 - "$T" <<'PY' || fail "the three personas' lists are not distinct enough or off-genre (numbers above)"
import json, sys
t = sys.argv[1]
genres = {"horror": {"Horror", "Sci-Fi", "Thriller"}, "kids": {"Animation", "Children"},
          "romcom": {"Romance", "Comedy"}}
lists = {p: json.load(open(f"{t}/{p}.json"))["recommendations"] for p in genres}
ok = True
for p, recs in lists.items():
    hit = sum(1 for m in recs if genres[p] & set(m["genres"]))
    print(f"{p}: {hit}/10 in {'|'.join(sorted(genres[p]))}")
    for m in recs:
        print(f"    {m['id']:>6}  {m['score']:>8}  {m['prediction']}  {m['title']}  [{'|'.join(m['genres'])}]")
    ok &= hit >= 6
names = list(lists)
for i in range(3):
    for j in range(i + 1, 3):
        a, b = names[i], names[j]
        common = {m["id"] for m in lists[a]} & {m["id"] for m in lists[b]}
        print(f"overlap {a}/{b}: {len(common)} {sorted(common)}")
        ok &= len(common) <= 2
sys.exit(0 if ok else 1)
PY
pass "pairwise overlap <= 2, >= 6 of 10 in the persona's genres"
echo "PASS personas"
