#!/usr/bin/env bash
# serve_ab.sh — `mfrec serve` of one model by two or more mfrec binaries in
# turn (A B A B ...), so each figure has its pair measured on the same
# machine minutes apart; the answer cache is off, so every request is scored.
#   recs:   GET /api/users/{random model user}/recommendations?n=10
#   foldin: GET recommendations of random API users with 20 stored ratings
#           each (fold-in from their ratings on every request)
#   writes: PUT ratings of random API users x popular movies, each answered
#           only after its SQLite commit (synchronous=FULL, group commit)
# First, each binary's answers to a fixed set of requests are compared with
# the first binary's, byte for byte. Each line: binary, test, requests/s, p50, p99, errors, the server's CPU time
# per request (user + system, from /proc: on a loaded machine the figure that
# moves least with the load), load average at the start of the run, and the
# spread: wrk's connections on each of the server's epoll sets (one a request
# thread), read from /proc half-way through the run (e.g. 4/4/4/4; 16/0/0/0
# means one thread serves every connection and the server uses one core).
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
  # the last server's output goes first: the shell truncates it only once the
  # new one is forked, and a look before that would read the old address
  rm -f "$T/out" "$T/err"
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

# The answers: every binary must give the first one's bytes for the same
# requests (model and API users, n, a genre, a decade, explain, similar).
AU=$(sed -n 's/^{\([0-9]*\),.*/\1/p' "$T/ids.lua" | head -1)
M1=$(sed -n 's/^movies = {\([0-9]*\),.*/\1/p' "$T/ids.lua")
ASK="/api/users/1/recommendations?n=10 /api/users/$NU/recommendations?n=100
/api/users/2/recommendations?n=20&genre=Comedy /api/users/3/recommendations?n=10&decade=1990
/api/users/4/recommendations?n=10&explain=1 /api/users/$AU/recommendations?n=10
/api/users/$AU/recommendations?n=50&explain=1 /api/movies/$M1/similar?n=10
/api/movies/$M1/similar?n=10&user=$AU"
k=0
for b in "$@"; do
  cp "$T/seed.db" "$T/run.db"
  start "$b" "$T/run.db"
  j=0
  for a in $ASK; do curl -s "$BASE$a" >"$T/ans.$k.$j"; j=$((j + 1)); done
  stop
  if [ "$k" -gt 0 ]; then
    same=yes
    for q in $(seq 0 $((j - 1))); do cmp -s "$T/ans.0.$q" "$T/ans.$k.$q" || same=no; done
    echo "answers of $b: $([ $same = yes ] && echo "the same bytes as $1's ($j requests; API user $AU, movie $M1)" || echo "DIFFER from $1's")"
  fi
  k=$((k + 1))
done

echo "model $MODEL ($NU users); $(nproc) cores; wrk 1 thread, $CONNS connections, ${DUR}s a run, cache off"
cputicks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
# Client connections in each epoll set of the server: its sockets except the
# listening ones (state 0A in /proc/net/tcp), per eventpoll descriptor.
spread() {
  local lis out="" f n t ino
  lis=$(awk '$4 == "0A" {print $10}' /proc/net/tcp /proc/net/tcp6 2>/dev/null | tr '\n' ' ')
  for f in /proc/"$PID"/fd/*; do
    [ "$(readlink "$f" 2>/dev/null)" = "anon_inode:[eventpoll]" ] || continue
    n=0
    for t in $(awk '/^tfd:/ {print $2}' "/proc/$PID/fdinfo/${f##*/}" 2>/dev/null); do
      ino=$(readlink "/proc/$PID/fd/$t" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
      [ -n "$ino" ] && [[ " $lis " != *" $ino "* ]] && n=$((n + 1))
    done
    out="$out${out:+/}$n"
  done
  echo "${out:-?}"
}
printf "%-28s %-7s %9s %9s %9s %7s %8s %5s %s\n" binary test "req/s" p50 p99 errors "cpu_us" load spread
for r in $(seq 1 "$ROUNDS"); do
  for b in "$@"; do
    cp "$T/seed.db" "$T/run.db"
    start "$b" "$T/run.db"
    for t in $TESTS; do
      L=$(cut -d' ' -f1 /proc/loadavg)
      C0=$(cputicks)
      (sleep "$(awk -v d="$DUR" 'BEGIN{print d / 2}')"; spread >"$T/spread") &
      SP=$!
      wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -s "$T/$t.lua" "$BASE" >"$T/w.txt"
      C1=$(cputicks)
      wait "$SP" || true
      NREQ=$(awk '/requests in/{print $1}' "$T/w.txt")
      CPU=$(awk -v a="$C0" -v b="$C1" -v n="$NREQ" -v hz="$(getconf CLK_TCK)" \
            'BEGIN{printf "%.1f", (n > 0 ? (b - a) / hz / n * 1e6 : 0)}')
      RPS=$(awk '/Requests\/sec/{print $2}' "$T/w.txt")
      P50=$(awk '$1=="50%"{print $2}' "$T/w.txt"); P99=$(awk '$1=="99%"{print $2}' "$T/w.txt")
      ERR=$(awk '/Non-2xx/{print $NF}' "$T/w.txt"); ERR=${ERR:-0}
      printf "%-28s %-7s %9s %9s %9s %7s %8s %5s %s\n" "$b" "$t" "$RPS" "$P50" "$P99" "$ERR" "$CPU" "$L" \
        "$(cat "$T/spread")"
    done
    stop
  done
done
