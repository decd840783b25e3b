#!/usr/bin/env bash
# fault.sh — kill -9 the server in the middle of a write load, restart it:
# every rating that was acknowledged with a 2xx is stored with its value,
# PRAGMA integrity_check is ok, and the server serves (and writes) again.
source "$(dirname "$0")/lib.bash"
make_model
start_server "$T/r.db" --write-rate 0
WRITERS=4
declare -a USERS TOKS WPIDS
for w in $(seq 1 $WRITERS); do new_user; USERS[$w]=$UID_; TOKS[$w]=$TOK; done

writer() { # user token logfile: PUT movies 1..400 until the server goes away
  local u=$1 tok=$2 log=$3 m code
  for m in $(seq 1 400); do
    local r=$(( (m % 10) + 1 ))
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $tok" \
           --data-binary "{\"rating\": $((r / 2)).$(( (r % 2) * 5 ))}" "$BASE/api/users/$u/ratings/$m" 2>/dev/null) || code=000
    case "$code" in 2??) echo "$u $m $(( (m % 10) + 1 ))" >>"$log" ;; 000) return 0 ;; esac
  done
}
for w in $(seq 1 $WRITERS); do
  writer "${USERS[$w]}" "${TOKS[$w]}" "$T/acked.$w" &
  WPIDS[$w]=$!
done
sleep 3
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
for w in $(seq 1 $WRITERS); do wait "${WPIDS[$w]}" || true; done
ACKED=$(cat "$T"/acked.* 2>/dev/null | wc -l)
[ "$ACKED" -gt 0 ] || fail "no write was acknowledged before the kill"
pass "killed with -9 after $ACKED acknowledged writes"

[ "$(sqlite3 "$T/r.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check failed after kill -9"
pass "integrity_check ok"
start_server "$T/r.db" --write-rate 0
MISSING=0
for w in $(seq 1 $WRITERS); do
  [ -f "$T/acked.$w" ] || continue
  req GET "/api/users/${USERS[$w]}/ratings"
  python3 - "$BODY_FILE" "$T/acked.$w" <<'PY' || MISSING=1
import json, sys
have = {r["movie"]: r["rating"] for r in json.load(open(sys.argv[1]))["ratings"]}
bad = 0
for line in open(sys.argv[2]):
    u, m, r2 = map(int, line.split())
    if have.get(m) != r2 / 2:
        print("acknowledged rating missing: user %d movie %d rating %.1f, stored %r" % (u, m, r2 / 2, have.get(m)))
        bad += 1
sys.exit(1 if bad else 0)
PY
done
[ "$MISSING" = 0 ] || fail "acknowledged ratings lost"
pass "all $ACKED acknowledged ratings present after restart"
check "serves after restart" GET /api/health "" "" 200
LAST_DESC="writes after restart"
req PUT "/api/users/${USERS[1]}/ratings/400" '{"rating": 1}' "${TOKS[1]}"
case "$CODE" in 200|201) pass "writes after restart -> $CODE" ;; *) fail "write after restart answered $CODE" ;; esac
echo "PASS fault"
