#!/usr/bin/env bash
# serve_ab.sh — `mfrec serve` of one model by two or more mfrec binaries in
# turn (A B A B ...), so each figure has its pair measured on the same
# machine minutes apart; the answer cache is off, so every request is scored.
#   recs:   GET /api/users/{random model user}/recommendations?n=10
#   foldin: GET recommendations of random API users with 20 stored ratings
#           each (fold-in from their ratings on every request)
#   writes: PUT ratings of random API users x popular movies, each answered
#           only after its SQLite commit (synchronous=FULL, group commit)
# Each line: binary, test, requests/s, p50, p99, errors, load average at the
# start of the run.
# usage: bench/serve_ab.sh MODEL.mfm MFREC_A [MFREC_B ...]
# env: ROUNDS (3), DUR (s a run, 10), CONNS (16), TESTS ("recs foldin writes"),
#      SERVER_THREADS (0 = default)
# Needs wrk, curl, python3 (scripts/install-deps --bench).
set -euo pipefail
MODEL=$1; shift
ROUNDS=${ROUNDS:-3}; DUR=${DUR:-10}; CONNS=${CONNS:-16}; TESTS=${TESTS:-recs foldin writes}
SERVER_THREADS=${SERVER_THREADS:-0}
command -v wrk >/dev/null || { echo "serve_ab.sh: wrk not found (scripts/install-deps --bench)"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/mfrec-serve-ab-XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

start() { # binary db
  "$1" serve "$MODEL" --port 0 --db "$2" --write-rate 0 --cache 0 --threads "$SERVER_THREADS" \
    >"$T/out" 2>"$T/err" &
  PID=$!
  for _ in $(seq 1 600); do grep -q "listening on" "$T/out" 2>/dev/null && break; sleep 0.1; done
  BASE=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$T/out")
  [ -n "$BASE" ] || { echo "server did not start: $(cat "$T/err")"; exit 1; }
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

# The ids: model users' range, popular movies, API users with 20 ratings each
# (made once, through the first binary, into a database every run copies).
start "$1" "$T/seed.db"
NU=$(curl -s "$BASE/api/health" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("users") or d.get("model",{}).get("users"))')
curl -s "$BASE/api/movies?limit=200" | python3 -c '
import json,sys; d=json.load(sys.stdin); print("movies = {" + ",".join(str(m["id"]) for m in d["movies"]) + "}")' >"$T/ids.lua"
echo "users = {" >>"$T/ids.lua"
for u in $(seq 1 64); do
  read -r ID TOK < <(curl -s -X POST "$BASE/api/users" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["id"], d["token"])')
  echo "{$ID, \"$TOK\"}," >>"$T/ids.lua"
  python3 - "$T/ids.lua" "$u" <<'PY' | while read -r MOV; do
import re, sys, random
movies = [int(x) for x in re.search(r"movies = \{([^}]*)\}", open(sys.argv[1]).read()).group(1).split(",")]
random.seed(int(sys.argv[2]))
for m in random.sample(movies, 20): print(m)
PY
    curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
      -d "{\"rating\": $(( (RANDOM % 9) + 2 )).0}" "$BASE/api/users/$ID/ratings/$MOV"
  done
done
echo "}" >>"$T/ids.lua"
stop
cat >"$T/recs.lua" <<LUA
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/users/" .. math.random(1, $NU) .. "/recommendations?n=10")
end
LUA
cat >"$T/foldin.lua" <<LUA
dofile("$T/ids.lua")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/users/" .. users[math.random(#users)][1] .. "/recommendations?n=10")
end
LUA
cat >"$T/writes.lua" <<LUA
dofile("$T/ids.lua")
math.randomseed(os.time())
request = function()
  local u = users[math.random(#users)]
  local body = '{"rating": ' .. (math.random(1, 10) / 2) .. '}'
  return wrk.format("PUT", "/api/users/" .. u[1] .. "/ratings/" .. movies[math.random(#movies)],
                    {["Authorization"] = "Bearer " .. u[2], ["Content-Type"] = "application/json"}, body)
end
LUA

echo "model $MODEL ($NU users); $(nproc) cores; wrk 1 thread, $CONNS connections, ${DUR}s a run, cache off"
printf "%-28s %-7s %9s %9s %9s %7s %s\n" binary test "req/s" p50 p99 errors load
for r in $(seq 1 "$ROUNDS"); do
  for b in "$@"; do
    cp "$T/seed.db" "$T/run.db"
    start "$b" "$T/run.db"
    for t in $TESTS; do
      L=$(cut -d' ' -f1 /proc/loadavg)
      wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -s "$T/$t.lua" "$BASE" >"$T/w.txt"
      RPS=$(awk '/Requests\/sec/{print $2}' "$T/w.txt")
      P50=$(awk '$1=="50%"{print $2}' "$T/w.txt"); P99=$(awk '$1=="99%"{print $2}' "$T/w.txt")
      ERR=$(awk '/Non-2xx/{print $NF}' "$T/w.txt"); ERR=${ERR:-0}
      printf "%-28s %-7s %9s %9s %9s %7s %s\n" "$b" "$t" "$RPS" "$P50" "$P99" "$ERR" "$L"
    done
    stop
  done
done
