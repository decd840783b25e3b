#!/usr/bin/env bash
# fault.sh — kill -9 the server in the middle of a write load, restart it,
# ROUNDS times (5; $MFR_FAULT_ROUNDS) on the same database: each round four
# writers PUT ratings for their own new user while a fifth creates users.
# After every kill PRAGMA integrity_check is ok; at the end every rating
# acknowledged with a 2xx in any round is stored with its value, every user
# acknowledged with a 201 exists and its token still writes, no user id was
# handed out twice, and the server serves (and writes) again.
source "$(dirname "$0")/lib.bash"
make_model
ROUNDS=${MFR_FAULT_ROUNDS:-5}
WRITERS=4
: >"$T/users" # "id token" of every user acknowledged with 201

writer() { # user token logfile: PUT movies 1..400 until the server goes away
  local u=$1 tok=$2 log=$3 m code r
  for m in $(seq 1 400); do
    r=$(( (m % 10) + 1 ))
    code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $tok" \
           --data-binary "{\"rating\": $((r / 2)).$(( (r % 2) * 5 ))}" "$BASE/api/users/$u/ratings/$m" 2>/dev/null) || code=000
    case "$code" in 2??) echo "$u $m $r" >>"$log" ;; 000) return 0 ;; esac
  done
}
creator() { # logfile: POST /api/users (at most 40) until the server goes away
  local log=$1 body
  for _ in $(seq 1 40); do
    body=$(curl -s -f -X POST "$BASE/api/users" 2>/dev/null) || return 0
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["id"], d["token"])' "$body" >>"$log"
  done
}

ACKED=0
for round in $(seq 1 "$ROUNDS"); do
  start_server "$T/r.db" --write-rate 0
  declare -a USERS TOKS WPIDS
  for w in $(seq 1 $WRITERS); do
    new_user
    USERS[$w]=$UID_
    TOKS[$w]=$TOK
    echo "$UID_ $TOK" >>"$T/users"
  done
  for w in $(seq 1 $WRITERS); do
    writer "${USERS[$w]}" "${TOKS[$w]}" "$T/acked.$round.$w" &
    WPIDS[$w]=$!
  done
  creator "$T/users.$round" &
  CPID=$!
  sleep "$(( 1 + round % 2 )).5"
  kill -9 "$PID"
  wait "$PID" 2>/dev/null || true
  for w in $(seq 1 $WRITERS); do wait "${WPIDS[$w]}" || true; done
  wait "$CPID" || true
  [ -f "$T/users.$round" ] && cat "$T/users.$round" >>"$T/users"
  N=$(cat "$T"/acked."$round".* 2>/dev/null | wc -l)
  [ "$N" -gt 0 ] || fail "round $round: no write was acknowledged before the kill"
  ACKED=$((ACKED + N))
  [ "$(sqlite3 "$T/r.db" 'PRAGMA integrity_check')" = ok ] || fail "round $round: integrity_check failed after kill -9"
  pass "round $round: killed with -9 after $N acknowledged writes, integrity_check ok"
done

start_server "$T/r.db" --write-rate 0
MISSING=0
for f in "$T"/acked.*; do
  [ -f "$f" ] || continue
  u=$(head -n1 "$f" | cut -d' ' -f1)
  req GET "/api/users/$u/ratings"
  python3 - "$BODY_FILE" "$f" <<'PY' || MISSING=1
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
pass "all $ACKED acknowledged ratings of $ROUNDS rounds present after restart"

NUSERS=$(wc -l <"$T/users")
[ "$(cut -d' ' -f1 "$T/users" | sort | uniq -d | wc -l)" = 0 ] || fail "a user id was handed out twice"
while read -r u tok; do
  LAST_DESC="user $u after the kills"
  req PUT "/api/users/$u/ratings/400" '{"rating": 1}' "$tok"
  case "$CODE" in 200|201) ;; *) fail "acknowledged user $u cannot write with its token: $CODE" ;; esac
done <"$T/users"
pass "all $NUSERS acknowledged users present, their tokens valid, ids unique"
new_user
[ "$UID_" -gt "$(cut -d' ' -f1 "$T/users" | sort -n | tail -n1)" ] || fail "user id $UID_ reissued"
pass "a new user gets id $UID_, above every acknowledged one"
check "serves after restart" GET /api/health "" "" 200
echo "PASS fault"
