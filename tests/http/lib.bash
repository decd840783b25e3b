# lib.bash — shared by the HTTP tests (tests/http/*.sh): a temporary folder,
# a small synthetic model, starting `mfrec serve` on a free loopback port
# (--port 0; the port is read from its "listening on" line), requests through
# curl with the status and body captured, and JSON checks through python3.
# Every server started here is stopped by its pid on exit.
set -euo pipefail

: "${MFREC:?MFREC must point at the mfrec binary}"
command -v curl >/dev/null || { echo "FAIL: curl is required (scripts/install-deps)"; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: python3 is required"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/mfrec-http-XXXXXX")
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  # a sanitizer build reports on the server's stderr: any report fails the test
  if grep -l -E "ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:" "$T"/server.*.err 2>/dev/null; then
    grep -h -A30 -E "ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:" "$T"/server.*.err | head -60 >&2
    echo "FAIL: sanitizer report from the server" >&2
    rc=1
  fi
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -n "${BODY_FILE:-}" ] && [ -f "$BODY_FILE" ] && echo "last body: $(head -c 600 "$BODY_FILE")" >&2; exit 1; }
pass() { echo "ok: $*"; }

# make_model [users movies ratings] -> sets DATA, MODEL
make_model() {
  DATA=$T/data
  MODEL=$T/model.mfm
  "$MFREC" synth -o "$DATA" --users "${1:-300}" --movies "${2:-400}" --ratings "${3:-15000}" --seed 7 -q
  "$MFREC" train "$DATA" -o "$MODEL" --factors 16 --epochs 20 --threads 1 -q
}

# start_server DB [extra args] -> sets PID, PORT, BASE, SERVER_ERR (its stderr)
start_server() {
  local db=$1; shift
  local out=$T/server.$RANDOM.out
  SERVER_ERR=$out.err
  "$MFREC" serve "$MODEL" --port 0 --db "$db" "$@" >"$out" 2>"$out.err" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 1 100); do
    if grep -q "listening on" "$out" 2>/dev/null; then break; fi
    kill -0 "$PID" 2>/dev/null || fail "server exited: $(cat "$out.err")"
    sleep 0.1
  done
  PORT=$(sed -n 's/^listening on http:\/\/[0-9.]*:\([0-9]*\)$/\1/p' "$out")
  [ -n "$PORT" ] || fail "server did not report its port"
  BASE=http://127.0.0.1:$PORT
}

stop_server() { # graceful (SIGTERM), waits
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

BODY_FILE=$T/body
HDR_FILE=$T/headers
# req METHOD PATH [BODY] [TOKEN] -> CODE, body in $BODY_FILE
req() {
  local args=(-s -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' -X "$1")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
  CODE=$(curl "${args[@]}" "$BASE$2") || fail "curl $1 $2 failed"
}

# expect CODE: the last request answered CODE
expect() { [ "$CODE" = "$1" ] || fail "$LAST_DESC: expected HTTP $1, got $CODE"; }

# check DESC METHOD PATH BODY TOKEN STATUS [ERRCODE]: request, status, and
# for errors the JSON error code.
check() {
  LAST_DESC=$1
  req "$2" "$3" "${4:-}" "${5:-}"
  expect "$6"
  if [ -n "${7:-}" ]; then
    local got
    got=$(jq_body 'd["error"]["code"]') || fail "$1: error body is not {\"error\":{\"code\":...}}"
    [ "$got" = "$7" ] || fail "$1: expected error code $7, got $got"
  fi
  pass "$1 -> $CODE${7:+ $7}"
}

# jq_body EXPR: evaluate a python expression on d = the parsed last body
jq_body() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); r=($1); print(r if not isinstance(r,(dict,list)) else json.dumps(r))" "$BODY_FILE"; }
# assert_py EXPR MSG: python expression on d must be true
assert_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$BODY_FILE" || fail "$2"; }

# new_user -> UID_, TOK
new_user() {
  LAST_DESC="create user"
  req POST /api/users
  expect 201
  UID_=$(jq_body 'd["id"]')
  TOK=$(jq_body 'd["token"]')
}
