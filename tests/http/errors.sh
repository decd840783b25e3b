#!/usr/bin/env bash
# errors.sh — every error path answers the right 4xx with a JSON
# {"error":{"code","message"}}, tokens only write their own user's ratings,
# and no malformed or refused request changes the stored data.
source "$(dirname "$0")/lib.bash"
make_model
start_server "$T/r.db" --max-body 1024
new_user; A=$UID_; TA=$TOK
new_user; B=$UID_; TB=$TOK
M=$(python3 -c 'print(1)')
check "seed rating" PUT "/api/users/$A/ratings/$M" '{"rating": 3}' "$TA" 201
snapshot() { sqlite3 "$T/r.db" "select * from users order by id; select * from ratings order by 1,2; select count(*) from rating_log;"; }
BEFORE=$(snapshot)

check "unknown movie" GET /api/movies/999999 "" "" 404 MFR_E_NOT_FOUND
check "unknown movie (similar)" GET /api/movies/999999/similar "" "" 404 MFR_E_NOT_FOUND
check "unknown user (recs)" GET /api/users/999999/recommendations "" "" 404 MFR_E_NOT_FOUND
check "unknown user (ratings)" GET /api/users/999999/ratings "" "" 404 MFR_E_NOT_FOUND
check "bad n" GET "/api/users/1/recommendations?n=abc" "" "" 400 MFR_E_INVALID
check "n out of range" GET "/api/users/1/recommendations?n=0" "" "" 400 MFR_E_INVALID
check "n too large" GET "/api/movies/1/similar?n=100000" "" "" 400 MFR_E_INVALID
check "bad metric" GET "/api/movies/1/similar?metric=euclid" "" "" 400 MFR_E_INVALID
check "bad limit" GET "/api/movies?limit=-1" "" "" 400 MFR_E_INVALID
check "unknown route" GET /api/nope "" "" 404 MFR_E_NOT_FOUND
check "non-numeric id" GET /api/movies/abc "" "" 404 MFR_E_NOT_FOUND
check "method not allowed" POST /api/movies/1 '{}' "" 405 MFR_E_INVALID
check "method not allowed (page)" POST /index.html '{}' "" 405 MFR_E_INVALID
check "unknown page" GET /nope.html "" "" 404 MFR_E_NOT_FOUND
# no URL path reaches the filesystem
LAST_DESC="path traversal"
CODE=$(curl -s -o "$BODY_FILE" -w '%{http_code}' --path-as-is "$BASE/../../../../etc/passwd")
[ "$CODE" = 404 ] || [ "$CODE" = 400 ] || fail "traversal answered $CODE"
grep -q root: "$BODY_FILE" && fail "traversal served /etc/passwd"
pass "path traversal -> $CODE"

# writes: auth
check "no token" PUT "/api/users/$A/ratings/$M" '{"rating": 5}' "" 401 MFR_E_AUTH
check "wrong token" PUT "/api/users/$A/ratings/$M" '{"rating": 5}' "0000$TA" 403 MFR_E_AUTH
check "another user's token" PUT "/api/users/$A/ratings/$M" '{"rating": 5}' "$TB" 403 MFR_E_AUTH
check "another user's token (delete)" DELETE "/api/users/$A/ratings/$M" "" "$TB" 403 MFR_E_AUTH
check "model user has no token" PUT "/api/users/1/ratings/$M" '{"rating": 5}' "$TA" 403 MFR_E_AUTH
check "unknown user write" PUT "/api/users/999999/ratings/$M" '{"rating": 5}' "$TA" 404 MFR_E_NOT_FOUND
check "unknown movie write" PUT "/api/users/$A/ratings/999999" '{"rating": 5}' "$TA" 404 MFR_E_NOT_FOUND
# writes: bodies
check "bad JSON" PUT "/api/users/$A/ratings/$M" '{"rating": ' "$TA" 400 MFR_E_PARSE
check "not an object" PUT "/api/users/$A/ratings/$M" '[4]' "$TA" 400 MFR_E_PARSE
check "missing field" PUT "/api/users/$A/ratings/$M" '{"score": 4}' "$TA" 400 MFR_E_PARSE
check "rating as string" PUT "/api/users/$A/ratings/$M" '{"rating": "4"}' "$TA" 400 MFR_E_PARSE
check "empty body" PUT "/api/users/$A/ratings/$M" '' "$TA" 400 MFR_E_PARSE
check "rating above scale" PUT "/api/users/$A/ratings/$M" '{"rating": 5.5}' "$TA" 400 MFR_E_RANGE
check "rating below scale" PUT "/api/users/$A/ratings/$M" '{"rating": 0}' "$TA" 400 MFR_E_RANGE
check "rating not a half step" PUT "/api/users/$A/ratings/$M" '{"rating": 3.3}' "$TA" 400 MFR_E_RANGE
check "rating NaN-ish" PUT "/api/users/$A/ratings/$M" '{"rating": 1e999}' "$TA" 400 MFR_E_RANGE
BIG=$(python3 -c 'print("{\"rating\": 4, \"pad\": \"" + "x"*5000 + "\"}")')
check "body over the limit" PUT "/api/users/$A/ratings/$M" "$BIG" "$TA" 413 MFR_E_LIMIT
check "delete missing rating" DELETE "/api/users/$A/ratings/2" "" "$TA" 404 MFR_E_NOT_FOUND
check "retrain without admin token configured" POST /api/admin/retrain "" "$TA" 403 MFR_E_AUTH

AFTER=$(snapshot)
[ "$BEFORE" = "$AFTER" ] || fail "a refused request changed the store:\n$BEFORE\n---\n$AFTER"
pass "store unchanged by refused requests"
check "own rating still 3" GET "/api/users/$A/ratings" "" "" 200
assert_py 'len(d["ratings"])==1 and d["ratings"][0]["rating"]==3' "rating changed by a refused request"

# oversized headers are refused by the server, not crashed on
LAST_DESC="huge header"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' a)" "$BASE/api/health" || true)
case "$CODE" in 413|431|400) pass "huge header -> $CODE" ;; *) fail "huge header answered $CODE" ;; esac
check "still serving" GET /api/health "" "" 200

# admin token set: wrong/missing token refused, no --data: 503
stop_server "$PID"
MFREC_ADMIN_TOKEN=adm-secret-0123456789 start_server "$T/r.db" --write-rate 0.01 --write-burst 2
check "retrain without token" POST /api/admin/retrain "" "" 401 MFR_E_AUTH
check "retrain with a user token" POST /api/admin/retrain "" "$TA" 403 MFR_E_AUTH
check "retrain without --data" POST /api/admin/retrain "" "adm-secret-0123456789" 503 MFR_E_UNSUPPORTED
grep -rq adm-secret "$T"/server.*.out* && fail "admin token appears in the server's output"
# per-client write rate limit: burst 2 then 429
check "write 1" PUT "/api/users/$A/ratings/$M" '{"rating": 4}' "$TA" 200
check "write 2" PUT "/api/users/$A/ratings/$M" '{"rating": 4}' "$TA" 200
check "write 3 (rate limited)" PUT "/api/users/$A/ratings/$M" '{"rating": 1}' "$TA" 429 MFR_E_LIMIT
[ "$(sqlite3 "$T/r.db" "select rating from ratings where user_id=$A and movie_id=$M")" = "4.0" ] || fail "rate-limited write was stored"
check "metrics count 429" GET /metrics "" "" 200
grep -q 'route="rating_put",status="429"} 1' "$BODY_FILE" || fail "429 not counted in metrics"
echo "PASS errors"
