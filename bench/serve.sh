#!/usr/bin/env bash
# serve.sh — load benchmarks of `mfrec serve` on the ml-latest-small model,
# driven by wrk from a second process on loopback:
#   1. GET /api/users/{id}/recommendations, random model users
#   2. GET /api/movies/{id}/similar, random popular movies
#   3. PUT ratings (acknowledged only after the SQLite commit), random users
#      and movies, synchronous=FULL (group commit)
#   4. soak: mixed 90% reads / 10% writes for SOAK seconds, sampling the
#      server's RSS and open file descriptors every 5 s
# usage: bench/serve.sh [MFREC] ; env DATA (ml-latest-small folder), DUR (s per
# test, 15), SOAK (s, 60), CONNS (16), WRK_THREADS (1), SERVER_THREADS (0 =
# default), CACHE (answer cache slots, 0 = off; 8192), ONLY=reads (skip the
# writes and the soak).
# Needs wrk (scripts/install-deps --bench). Prints a summary; results on a
# shared, loaded machine are noisy: report them as such.
set -euo pipefail
MFREC=${1:-${MFREC:-build/mfrec}}
DATA=${DATA:-$(cd "$(dirname "$0")/.." && pwd)/../shared/datasets/ml-latest-small}
DUR=${DUR:-15}; SOAK=${SOAK:-60}; CONNS=${CONNS:-16}; WRK_THREADS=${WRK_THREADS:-1}
SERVER_THREADS=${SERVER_THREADS:-0}; CACHE=${CACHE:-8192}; ONLY=${ONLY:-}
command -v wrk >/dev/null || { echo "serve.sh: wrk not found (scripts/install-deps --bench)"; exit 1; }
[ -f "$DATA/ratings.csv" ] || { echo "serve.sh: no ml-latest-small at $DATA (set DATA)"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/mfrec-bench-serve-XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
"$MFREC" train "$DATA" -o "$T/m.mfm" --threads 1 -q >/dev/null
"$MFREC" serve "$T/m.mfm" --port 0 --db "$T/r.db" --write-rate 0 --threads "$SERVER_THREADS" --cache "$CACHE" >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$T/out" 2>/dev/null && break; sleep 0.1; done
BASE=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$T/out")
[ -n "$BASE" ] || { echo "server did not start: $(cat "$T/err")"; exit 1; }
echo "server pid $PID at $BASE; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); wrk $WRK_THREADS thread(s), $CONNS connections, ${DUR}s per test, cache $CACHE"

# ids for the scripts
curl -s "$BASE/api/movies?limit=200" | python3 -c '
import json,sys; d=json.load(sys.stdin); print("movies = {" + ",".join(str(m["id"]) for m in d["movies"]) + "}")' >"$T/ids.lua"
echo "users = {" >>"$T/ids.lua"
for _ in $(seq 1 64); do
  curl -s -X POST "$BASE/api/users" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("{%d, \"%s\"}," % (d["id"], d["token"]))' >>"$T/ids.lua"
done
echo "}" >>"$T/ids.lua"

cat >"$T/recs.lua" <<'LUA'
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/users/" .. math.random(1, 610) .. "/recommendations?n=10")
end
LUA
cat >"$T/similar.lua" <<LUA
dofile("$T/ids.lua")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/movies/" .. movies[math.random(#movies)] .. "/similar?n=10")
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
cat >"$T/mixed.lua" <<LUA
dofile("$T/ids.lua")
math.randomseed(os.time())
request = function()
  local x = math.random()
  if x < 0.10 then
    local u = users[math.random(#users)]
    return wrk.format("PUT", "/api/users/" .. u[1] .. "/ratings/" .. movies[math.random(#movies)],
                      {["Authorization"] = "Bearer " .. u[2]}, '{"rating": ' .. (math.random(1, 10) / 2) .. '}')
  elseif x < 0.45 then
    return wrk.format("GET", "/api/users/" .. math.random(1, 610) .. "/recommendations?n=10")
  elseif x < 0.70 then
    return wrk.format("GET", "/api/users/" .. users[math.random(#users)][1] .. "/recommendations?n=10")
  elseif x < 0.90 then
    return wrk.format("GET", "/api/movies/" .. movies[math.random(#movies)] .. "/similar?n=10")
  else
    return wrk.format("GET", "/api/movies?q=the&limit=20")
  end
end
LUA

run() { # name script duration
  echo; echo "== $1"
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"$3" --latency -s "$2" "$BASE" | tee "$T/$1.txt" |
    grep -E "Requests/sec|Latency  |  50%|  99%|Non-2xx|Socket errors|requests in"
}
rss_fd() { echo "$(awk '/VmRSS/{print $2}' /proc/$PID/status) $(ls /proc/$PID/fd | wc -l)"; }

run recommendations "$T/recs.lua" "${DUR}s"
run similar "$T/similar.lua" "${DUR}s"
[ "$ONLY" = reads ] && exit 0
run writes "$T/writes.lua" "${DUR}s"
echo "stored ratings after the write test: $(sqlite3 "$T/r.db" 'select count(*) from rating_log')"
curl -s "$BASE/metrics" | grep -E '^mfrec_store_(commits|writes|max_batch)'

echo; echo "== soak ${SOAK}s mixed (RSS kB, fds every 5 s)"
read -r RSS0 FD0 < <(rss_fd)
echo "before: rss ${RSS0} kB, fds ${FD0}"
wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SOAK}s" --latency -s "$T/mixed.lua" "$BASE" >"$T/soak.txt" &
WPID=$!
MAXRSS=$RSS0
for _ in $(seq 1 $((SOAK / 5))); do
  sleep 5
  read -r RSS FD < <(rss_fd)
  [ "$RSS" -gt "$MAXRSS" ] && MAXRSS=$RSS
  echo "  rss ${RSS} kB, fds ${FD}"
done
wait "$WPID" || echo "wrk exited with $?"
sleep 1
read -r RSS1 FD1 < <(rss_fd)
grep -E "Requests/sec|Latency  |  99%|Non-2xx|Socket errors|requests in" "$T/soak.txt"
echo "after: rss ${RSS1} kB (max ${MAXRSS}), fds ${FD1} (before ${FD0})"
grep -q "Non-2xx" "$T/soak.txt" && { echo "SOAK FAIL: error responses"; exit 1; }
[ "$FD1" -le "$FD0" ] || { echo "SOAK FAIL: file descriptors grew $FD0 -> $FD1"; exit 1; }
echo "soak ok: no error responses, no fd growth, RSS growth $(( (MAXRSS - RSS0) )) kB"
