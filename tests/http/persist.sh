#!/usr/bin/env bash
# persist.sh — users, tokens and ratings survive a restart of the server on
# the same SQLite file; fold-in recommendations come back identical. Then the
# database file deleted, or replaced by a rename, or its write-ahead log
# deleted, while the server runs
# (issue 11, defect 5): no write is acknowledged after that (503, MFR_E_IO),
# one line on stderr names the file, and reads keep being served.
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
stop_server "$PID"

for how in deleted replaced wal; do
  DB=$T/$how.db
  start_server "$DB" --write-rate 0
  new_user
  check "$how: rate before" PUT "/api/users/$UID_/ratings/1" '{"rating": 4}' "$TOK" 201
  check "$how: health before" GET /api/health "" "" 200
  assert_py 'd["store"]["writable"] is True' "$how: store not writable at start"
  if [ $how = deleted ]; then
    rm -f "$DB"
    expect_log="$how.db: the database file was deleted"
  elif [ $how = wal ]; then
    rm "$DB-wal"
    expect_log="$how.db-wal: the write-ahead log was deleted"
  else
    sqlite3 "$T/other.db" 'PRAGMA journal_mode=WAL; CREATE TABLE t(x);' >/dev/null
    mv "$T/other.db" "$DB"
    expect_log="$how.db: the database file was replaced by another file"
  fi
  check "$how: write after" PUT "/api/users/$UID_/ratings/2" '{"rating": 3}' "$TOK" 503 MFR_E_IO
  check "$how: user after" POST /api/users "" "" 503 MFR_E_IO
  check "$how: later writes too" PUT "/api/users/$UID_/ratings/3" '{"rating": 3}' "$TOK" 503 MFR_E_IO
  check "$how: reads still served" GET "/api/users/$UID_/ratings" "" "" 200
  assert_py '[r["movie"] for r in d["ratings"]]==[1]' "$how: a refused write reached memory"
  check "$how: health after" GET /api/health "" "" 200
  assert_py 'd["store"]["writable"] is False' "$how: /api/health does not say writes are refused"
  grep -q "$expect_log" "$SERVER_ERR" || fail "$how: no log line '$expect_log' on stderr"
  [ "$(grep -c 'while the server ran' "$SERVER_ERR")" = 1 ] || fail "$how: expected one log line"
  pass "$how: one log line: $(grep 'while the server ran' "$SERVER_ERR")"
  stop_server "$PID"
done
echo "PASS persist"
