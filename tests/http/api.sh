#!/usr/bin/env bash
# api.sh — every route of `mfrec serve` answers, with bodies checked against
# what the model and the requests imply (not against canned outputs).
source "$(dirname "$0")/lib.bash"
make_model
start_server "$T/r.db"

# start-up: one line per model-dependent route on stderr, also in /api/health
for want in "mfrec serve: recommendations for training users: " "mfrec serve: recommendations for new users: " "fold-in of their ratings (k=16)" "mfrec serve: similar: cooccurrence by default" "?metric=pearson|cosine: of the item factors (k=16)" "mfrec serve: map: " "mfrec serve: retrain: off"; do
  grep -qF "$want" "$SERVER_ERR" || fail "start-up lines lack \"$want\": $(cat "$SERVER_ERR")"
done
pass "start-up says what each route does"
check "health" GET /api/health "" "" 200
assert_py 'd["model"]["fold_dim"]==17 and "fold-in of their ratings (k=16)" in d["routes"]["recommendations_new_users"] and set(d["routes"])=={"recommendations","recommendations_new_users","similar","map","retrain"}' "health: routes / fold_dim wrong"
assert_py 'd["status"]=="ok" and d["model"]["movies"]==400 and d["model"]["users"]==300 and d["model"]["factors"]==16 and d["model"]["version"]==1' "health: model summary wrong"
assert_py 'd["uptime_s"] >= 0' "health: uptime missing"

# popular list: sorted by rating count
check "movies (popular)" GET "/api/movies?limit=15" "" "" 200
assert_py 'len(d["movies"])==15 and all(a["rating_count"]>=b["rating_count"] for a,b in zip(d["movies"],d["movies"][1:]))' "popular movies not sorted by count"
FIRST_ID=$(jq_body 'd["movies"][0]["id"]')
FIRST_TITLE=$(jq_body 'd["movies"][0]["title"]')

# search: a title fragment in upper case finds the movie (case-insensitive)
Q=$(python3 -c 'import sys,urllib.parse; t=sys.argv[1]; print(urllib.parse.quote(t.split(" (")[0].upper()))' "$FIRST_TITLE")
check "movies?q= search" GET "/api/movies?q=$Q&limit=50" "" "" 200
assert_py "any(m['id']==$FIRST_ID for m in d['movies'])" "search for the title did not find movie $FIRST_ID"
check "movies?q=nomatch" GET "/api/movies?q=zzqqxx-no-such-title" "" "" 200
assert_py 'd["total"]==0 and d["movies"]==[]' "search with no match returned movies"

check "movie by id" GET "/api/movies/$FIRST_ID" "" "" 200
assert_py "d['id']==$FIRST_ID" "movie id mismatch"
assert_py 'isinstance(d["genres"],list) and d["rating_count"]>0 and 0.5<=d["rating_mean"]<=5 and (d["year"] is None or d["year"]>1800)' "movie fields wrong"

for metric in pearson cosine; do
  check "similar $metric" GET "/api/movies/$FIRST_ID/similar?n=7&metric=$metric" "" "" 200
  assert_py "len(d['similar'])==7 and all(m['id']!=$FIRST_ID for m in d['similar']) and d['metric']=='$metric'" "similar ($metric): wrong count or includes itself"
  assert_py 'all(a["score"]>=b["score"] for a,b in zip(d["similar"],d["similar"][1:])) and all(-1.0001<=m["score"]<=1.0001 for m in d["similar"])' "similar ($metric): scores unsorted or outside -1..1"
done

# a model user: recommendations exclude what they rated in training
check "ratings of a model user" GET /api/users/1/ratings "" "" 200
SEEN=$(jq_body '[r["movie"] for r in d["ratings"]]')
assert_py 'd["source"]=="training" and len(d["ratings"])>0' "model user has no training ratings listed"
check "recommendations (model user)" GET "/api/users/1/recommendations?n=20" "" "" 200
assert_py "len(d['recommendations'])==20 and d['source']=='model' and not (set(m['id'] for m in d['recommendations']) & set($SEEN))" "recommendations include seen movies"
assert_py 'all(a["score"]>=b["score"] for a,b in zip(d["recommendations"],d["recommendations"][1:]))' "recommendations not sorted by score"
assert_py 'all(0.5<=m["prediction"]<=5 and abs(m["prediction"]*10-round(m["prediction"]*10))<1e-9 for m in d["recommendations"])' "rows lack a one-decimal prediction on the scale"
assert_py 'all(m["rating_count"]>=3 for m in d["recommendations"])' "default min_ratings is not 3"
FIRST_ANSWER=$(cat "$BODY_FILE")
check "recommendations again (cached)" GET "/api/users/1/recommendations?n=20" "" "" 200
[ "$(cat "$BODY_FILE")" = "$FIRST_ANSWER" ] || fail "cached answer differs from the computed one"
check "recommendations n=3 (not the n=20 answer)" GET "/api/users/1/recommendations?n=3" "" "" 200
assert_py 'len(d["recommendations"])==3' "cache returned an answer for other parameters"
GENRE=$(jq_body 'd["recommendations"][0]["genres"][0]')
check "recommendations ?genre=" GET "/api/users/1/recommendations?n=5&genre=$(echo "$GENRE" | tr 'A-Z' 'a-z')" "" "" 200
assert_py "len(d['recommendations'])>0 and all('$GENRE' in m['genres'] for m in d['recommendations'])" "genre filter let other genres through"

# API user: create, write, read, delete
new_user
pass "create user -> 201 id=$UID_"
check "recommendations (API user, no ratings)" GET "/api/users/$UID_/recommendations?n=10" "" "" 200
assert_py 'd["source"]=="popular" and d["ratings_used"]==0 and len(d["recommendations"])==10' "a user without ratings does not get the popular list"
check "popular movies" GET "/api/movies?limit=10" "" "" 200
POP=$(jq_body '[m["id"] for m in d["movies"]]')
check "recommendations (API user, no ratings) again" GET "/api/users/$UID_/recommendations?n=10" "" "" 200
assert_py "[m['id'] for m in d['recommendations']]==$POP" "no-ratings list is not /api/movies' popular list"
[ ${#TOK} -eq 64 ] || fail "token is not 256 bits in hex: ${#TOK} chars"
python3 -c 'import sys; sys.exit(0 if int(sys.argv[1])>300 else 1)' "$UID_" || fail "API user id $UID_ not above the model's users"
check "put rating (new)" PUT "/api/users/$UID_/ratings/$FIRST_ID" '{"rating": 4.5}' "$TOK" 201
assert_py "d['rating']==4.5 and d['movie']==$FIRST_ID and d['created']==True" "put answer wrong"
check "put rating (replace)" PUT "/api/users/$UID_/ratings/$FIRST_ID" '{"rating": 2}' "$TOK" 200
check "list ratings" GET "/api/users/$UID_/ratings" "" "" 200
assert_py "d['source']=='api' and len(d['ratings'])==1 and d['ratings'][0]['rating']==2 and d['ratings'][0]['movie']==$FIRST_ID" "stored rating not listed"
[ "$(sqlite3 "$T/r.db" "select rating from ratings where user_id=$UID_ and movie_id=$FIRST_ID")" = "2.0" ] || fail "rating not in SQLite"
[ "$(sqlite3 "$T/r.db" "select count(*) from rating_log where user_id=$UID_")" = "2" ] || fail "rating log does not hold both writes"
check "recommendations (API user)" GET "/api/users/$UID_/recommendations?n=10" "" "" 200
assert_py "d['source']=='fold-in' and d['ratings_used']==1 and len(d['recommendations'])==10 and all(m['id']!=$FIRST_ID for m in d['recommendations'])" "fold-in recommendations include the rated movie"
check "delete rating" DELETE "/api/users/$UID_/ratings/$FIRST_ID" "" "$TOK" 200
check "list after delete" GET "/api/users/$UID_/ratings" "" "" 200
assert_py 'd["ratings"]==[]' "deleted rating still listed"
[ "$(sqlite3 "$T/r.db" "select count(*) from ratings where user_id=$UID_")" = "0" ] || fail "deleted rating still in SQLite"

check "map" GET "/api/map?limit=50" "" "" 200
assert_py 'len(d["points"])==50 and all(isinstance(p["x"],(int,float)) and isinstance(p["y"],(int,float)) for p in d["points"]) and len(set((p["x"],p["y"]) for p in d["points"]))>40' "map points wrong"

check "metrics" GET /metrics "" "" 200
grep -q 'mfrec_http_requests_total{route="rating_put",status="201"} 1' "$BODY_FILE" || fail "metrics: rating_put 201 not counted"
grep -q 'mfrec_http_requests_total{route="similar",status="200"} 2' "$BODY_FILE" || fail "metrics: similar not counted"
grep -q '^mfrec_http_request_duration_seconds_bucket{le="+Inf"} ' "$BODY_FILE" || fail "metrics: no latency histogram"
grep -q '^mfrec_ratings_stored 0$' "$BODY_FILE" || fail "metrics: ratings_stored should be 0 after the delete"
grep -q '^mfrec_model_version 1$' "$BODY_FILE" || fail "metrics: model version"
grep -q '^mfrec_cache_hits_total [1-9]' "$BODY_FILE" || fail "metrics: the repeated request was not a cache hit"

# the page, from the embedded assets, with security headers
check "index page" GET / "" "" 200
grep -qi '^content-security-policy: default-src' "$HDR_FILE" || fail "no CSP header"
grep -qi '^x-content-type-options: nosniff' "$HDR_FILE" || fail "no nosniff header"
grep -q '<title>mfrec' "$BODY_FILE" || fail "index.html not served"
check "app.js" GET /app.js "" "" 200
grep -qi '^content-type: text/javascript' "$HDR_FILE" || fail "app.js content type"
check "style.css" GET /style.css "" "" 200
echo "PASS api"
