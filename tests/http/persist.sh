#!/usr/bin/env bash
# persist.sh — users, tokens and ratings survive a restart of the server on
# the same SQLite file; fold-in recommendations come back identical.
source "$(dirname "$0")/lib.bash"
make_model
start_server "$T/r.db"
new_user
for m in 1 2 3 4 5; do
  check "rate $m" PUT "/api/users/$UID_/ratings/$m" "{\"rating\": $((m % 5 + 1))}" "$TOK" 201
done
check "delete 5" DELETE "/api/users/$UID_/ratings/5" "" "$TOK" 200
check "ratings before" GET "/api/users/$UID_/ratings" "" "" 200
R1=$(jq_body 'sorted((r["movie"], r["rating"]) for r in d["ratings"])')
check "recs before" GET "/api/users/$UID_/recommendations?n=15" "" "" 200
C1=$(jq_body '[m["id"] for m in d["recommendations"]]')
stop_server "$PID"
[ "$(sqlite3 "$T/r.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after a clean stop"

start_server "$T/r.db"
check "ratings after restart" GET "/api/users/$UID_/ratings" "" "" 200
R2=$(jq_body 'sorted((r["movie"], r["rating"]) for r in d["ratings"])')
[ "$R1" = "$R2" ] || fail "ratings changed across restart: $R1 vs $R2"
[ "$(jq_body 'len(d["ratings"])')" = 4 ] || fail "expected 4 ratings after restart"
check "recs after restart" GET "/api/users/$UID_/recommendations?n=15" "" "" 200
C2=$(jq_body '[m["id"] for m in d["recommendations"]]')
[ "$C1" = "$C2" ] || fail "recommendations changed across restart"
check "token still valid" PUT "/api/users/$UID_/ratings/6" '{"rating": 4}' "$TOK" 201
new_user
[ "$UID_" -gt 301 ] || fail "user id reused after restart: $UID_"
pass "new user after restart gets id $UID_"
check "health counts" GET /api/health "" "" 200
assert_py 'd["store"]["users"]==2 and d["store"]["ratings"]==5' "store counts after restart wrong"
echo "PASS persist"
