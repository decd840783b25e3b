#!/usr/bin/env bash
# web_api.sh — what the web page asks of the API beyond the basics, on a
# knn-item model (no factors: fold_dim 0) of ml-latest-small (skips without
# it): title search as people type ("The Matrix", "the godfather", a typo)
# with each row's match level; a movie's IMDb/TMDB ids and its rating
# histogram (sums to its count); recommendations with explain=1 ("because": liked movies from the
# co-occurrence signal), a decade filter (only that decade; 400 for 1985), a
# genre filter; a rating changed to a half star, cleared (DELETE), and gone.
source "$(dirname "$0")/lib.bash"
D=${MFR_DATA_DIR:-}
if [ -z "$D" ] || [ ! -f "$D/ratings.csv" ]; then echo "SKIP: no MovieLens data (MFR_DATA_DIR)"; exit 0; fi
MODEL=$T/knn.mfm
"$MFREC" train "$D" -o "$MODEL" --algo knn-item --threads 1 -q
start_server "$T/r.db"

check "search The Matrix" GET "/api/movies?q=The%20Matrix&limit=5" "" "" 200
assert_py "d['movies'][0]['id']==2571 and d['movies'][0]['match']=='exact'" "The Matrix: first row is Matrix, The (1999), exact"
check "search the godfather" GET "/api/movies?q=the%20godfather&limit=5" "" "" 200
assert_py "d['movies'][0]['id']==858 and d['movies'][0]['match']=='exact'" "the godfather: The Godfather (1972) first"
check "search a typo" GET "/api/movies?q=shawshenk&limit=5" "" "" 200
assert_py "d['movies'][0]['id']==318 and d['movies'][0]['match']=='typo'" "shawshenk: The Shawshank Redemption, marked typo"

check "movie histogram" GET /api/movies/1 "" "" 200
assert_py "len(d['histogram'])==10 and sum(d['histogram'])==d['rating_count']" "histogram: 10 half-star bins summing to rating_count"
assert_py "d['imdb_id']==114709 and d['tmdb_id']==862" "links.csv ids: Toy Story is tt0114709, TMDB 862"

new_user
for m in 1196 1198 260 1240; do check "rate $m" PUT "/api/users/$UID_/ratings/$m" '{"rating":4.5}' "$TOK" 201; done
check "recommendations explained" GET "/api/users/$UID_/recommendations?n=5&explain=1" "" "" 200
assert_py "d['source']=='fold-in' and all('because' in m for m in d['recommendations'])" "every row has a because list"
assert_py "sum(len(m['because'])>0 for m in d['recommendations'])>=3" "most rows explained"
assert_py "all(b['id'] in (1196,1198,260,1240) for m in d['recommendations'] for b in m['because'])" "explanations name only liked movies"
check "similar, explained for a user" GET "/api/movies/1210/similar?n=5&user=$UID_" "" "" 200
assert_py "all('because' in m for m in d['similar']) and any(b['id'] in (1196,260) for m in d['similar'] for b in m['because'])" "similar rows say which liked movies explain them"
check "similar for an unknown user" GET "/api/movies/1210/similar?user=99999999" "" "" 404 MFR_E_NOT_FOUND
check "decade filter" GET "/api/users/$UID_/recommendations?n=5&decade=1980&genre=Comedy" "" "" 200
assert_py "len(d['recommendations'])==5 and all(1980<=m['year']<1990 and 'Comedy' in m['genres'] for m in d['recommendations'])" "decade 1980 + Comedy: five comedies of the 80s"
check "decade 1985 refused" GET "/api/users/$UID_/recommendations?decade=1985" "" "" 400 MFR_E_RANGE

check "change to a half star" PUT "/api/users/$UID_/ratings/260" '{"rating":3.5}' "$TOK" 200
check "ratings list" GET "/api/users/$UID_/ratings" "" "" 200
assert_py "[r['rating'] for r in d['ratings'] if r['movie']==260]==[3.5] and all(r['time']>0 for r in d['ratings'])" "the half star is stored, with a time"
check "clear a rating" DELETE "/api/users/$UID_/ratings/260" "" "$TOK" 200
check "ratings after clearing" GET "/api/users/$UID_/ratings" "" "" 200
assert_py "len(d['ratings'])==3 and 260 not in [r['movie'] for r in d['ratings']]" "the cleared rating is gone"
echo "PASS web_api"
