#!/usr/bin/env bash
# attack.sh — the HTTP attack set (issue 11): malformed, oversized and slow
# requests, tokens, path traversal and the rate limit, each answered 4xx/5xx
# (with the security headers, libmicrohttpd's own answers included) or cut,
# never a crash, a hang or an acknowledged write lost. Raw requests go
# through the python client written below ($T/atk.py); clients on other
# loopback addresses (127.0.0.2, ...) bind their source address.
source "$(dirname "$0")/lib.bash"
ulimit -n 8192 2>/dev/null || true
make_model

cat >"$T/atk.py" <<'PY'
import json, socket, sys, threading, time, http.client

PORT = int(sys.argv[1])
CMD = sys.argv[2]
ARGS = sys.argv[3:]
SECURITY = (b"content-security-policy:", b"x-content-type-options: nosniff", b"x-frame-options: deny")

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

def raw(data, src="127.0.0.1", wait=5.0):
    """Send data, read until the server closes (or wait s); (answer, seconds)."""
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(wait)
    s.connect(("127.0.0.1", PORT))
    t0 = time.time()
    out = b""
    try:
        s.sendall(data)
    except OSError:
        pass
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, OSError):
        pass
    s.close()
    return out, time.time() - t0

def status(out):
    line = out.split(b"\r\n", 1)[0].decode("latin1")
    return int(line.split()[1]) if line.startswith("HTTP/1.") and len(line.split()) > 1 else 0

def head(out):
    return out.split(b"\r\n\r\n", 1)[0].lower()

def request(method, path, body=None, token=None, src="127.0.0.1", timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout, source_address=(src, 0))
    h = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        h["Authorization"] = "Bearer " + token
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data

def malformed():
    big_line = b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    cases = [
        ("HTTP/3.0", b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
        ("HTTP/0.9", b"GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505),
        ("header without a colon", b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
        ("bad Content-Length", b"PUT /api/users/1/ratings/1 HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}", 400),
        ("bad chunk size", b"PUT /api/users/1/ratings/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
        ("70 kB request line", big_line, 414),
        ("40 kB header", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 40000 + b"\r\n\r\n", 431),
        ("3000 headers", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(3000)) + b"\r\n", 431),
        ("3000 cookies", b"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + b"; ".join(b"c%d=1" % i for i in range(3000)) + b"\r\n\r\n", 431),
    ]
    for name, data, want in cases:
        out, dt = raw(data)
        if status(out) != want:
            fail("%s: expected %d, got %r" % (name, want, out[:120]))
        for h in SECURITY:
            if h not in head(out):
                fail("%s: libmicrohttpd's %d lacks %s" % (name, want, h.decode()))
        print("ok: %s -> %d with the security headers" % (name, want))
    out, _ = raw(b"GARBAGE\r\n\r\n")
    print("ok: a request line without a method or version -> %s" % (status(out) or "closed"))

def oversized():
    limit = int(ARGS[0])
    # Expect: 100-continue with a huge Content-Length: 413 at once, never "100 Continue"
    out, dt = raw(b"PUT /api/users/1/ratings/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000000\r\nExpect: 100-continue\r\n\r\n", wait=5)
    if status(out) != 413 or b"100 continue" in out.lower() or dt > 2:
        fail("Expect: 100-continue + huge Content-Length: %r after %.1f s" % (out[:80], dt))
    print("ok: Expect: 100-continue, Content-Length 1e8 -> 413 in %.2f s, no 100 Continue" % dt)
    out, dt = raw(b"PUT /api/users/1/ratings/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{\"rating\":4}", wait=5)
    if status(out) != 413 or dt > 2:
        fail("huge Content-Length, short body: %r after %.1f s" % (out[:80], dt))
    print("ok: Content-Length 1e8 with a short body -> 413 in %.2f s" % dt)
    chunk = b"%x\r\n%s\r\n" % (limit, b"a" * limit)
    out, dt = raw(b"PUT /api/users/1/ratings/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 2 + b"0\r\n\r\n")
    if status(out) != 413:
        fail("chunked body of twice the limit: %r" % out[:80])
    out, dt = raw(b"PUT /api/users/1/ratings/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 64 + b"0\r\n\r\n")
    if status(out) not in (0, 413) or dt > 4:
        fail("chunked body of 64 times the limit: %r after %.1f s" % (out[:80], dt))
    print("ok: chunked bodies over the limit -> 413 (2x), %s (64x)" % (status(out) or "closed"))

def params():
    for n, want in ((60, 200), (500, 414), (5000, 414)):
        q = "&".join("p%d=1" % i for i in range(n))
        out, dt = raw(("GET /api/movies?%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % q).encode(), wait=5)
        if status(out) != want or dt > 2:
            fail("%d query parameters: expected %d, got %r after %.1f s" % (n, want, out[:80], dt))
        print("ok: %d query parameters -> %d in %.2f s" % (n, want, dt))
    # few parameters in a long query string: libmicrohttpd's memory runs out
    # beside the long request line just the same
    for size, want in ((6000, 200), (30000, 414)):
        q = "&".join("p%d=%s" % (i, "x" * (size // 60)) for i in range(60))
        out, dt = raw(("GET /api/movies?%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % q).encode(), wait=5)
        if status(out) != want or dt > 2:
            fail("60 parameters in %d bytes: expected %d, got %r after %.1f s" % (len(q), want, out[:80], dt))
        print("ok: 60 query parameters in %d bytes -> %d in %.2f s" % (len(q), want, dt))

def utf8():
    paths = ["/api/movies?q=%ff%fe", "/api/movies?q=caf%c3", "/api/movies?q=%ed%a0%80",
             "/api/movies/1/similar?metric=%c3%28", "/api/users/1/recommendations?genre=%e2%82",
             "/api/movies?q=%c0%af", "/api/nope%ff", "/page%fe.html", "/api/movies?q=a%00b",
             "/api/movies?%ff=1", "/api/movies?limit=1%ff"]
    for p in paths:
        st, data = request("GET", p)
        try:
            d = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            fail("%s: answer %d is not valid JSON text (%s): %r" % (p, st, e, data[:100]))
        if not (400 <= st < 500) or "error" not in d:
            fail("%s: expected a 4xx error, got %d %r" % (p, st, data[:100]))
    print("ok: %d requests with invalid UTF-8 or NUL -> 4xx, every answer valid JSON" % len(paths))

def slow_one():
    """Trickles that each keep the idle timeout from firing: headers, the
    request line itself, and a body; each connection is cut at the deadline."""
    deadline = float(ARGS[0])
    cases = [
        ("header lines", b"GET /api/health HTTP/1.1\r\nHost: x\r\n", b"X-Trickle: a\r\n"),
        ("the request line", b"GET /api/heal", b"t"),
        ("a body", b"PUT /api/users/1/ratings/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", b"{"),
    ]
    for name, start, trickle in cases:
        s = socket.socket()
        s.connect(("127.0.0.1", PORT))
        s.sendall(start)
        t0 = time.time()
        s.settimeout(0.05)
        while time.time() - t0 < deadline + 5:
            try:
                s.sendall(trickle)
            except OSError:
                break
            try:
                if s.recv(100) == b"":
                    break
            except socket.timeout:
                pass
            except OSError:
                break
            time.sleep(0.3)
        dt = time.time() - t0
        s.close()
        if dt > deadline + 2:
            fail("%s trickled every 0.3 s kept its connection %.1f s (deadline %g s)" % (name, dt, deadline))
        print("ok: slowloris (%s) cut after %.1f s (deadline %g s)" % (name, dt, deadline))

def slow_many():
    deadline, per_addr, addrs = float(ARGS[0]), int(ARGS[1]), int(ARGS[2])
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = per_addr * addrs + 64
    if soft < want and (hard == resource.RLIM_INFINITY or hard >= want):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    elif soft < want: # a small hard limit: fewer connections, same check
        per_addr = max(1, (soft - 64) // addrs)
    socks = []
    for a in range(addrs):
        for _ in range(per_addr):
            s = socket.socket()
            s.bind(("127.0.0.%d" % (10 + a), 0))
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", PORT))
            except BlockingIOError:
                pass
            socks.append(s)
    time.sleep(0.3)
    for s in socks:
        try:
            s.send(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            pass
    stop = time.time() + deadline + 6

    def trickle():
        while time.time() < stop:
            for s in socks:
                try:
                    s.send(b"X-T: a\r\n")
                except OSError:
                    pass
            time.sleep(0.5)
    th = threading.Thread(target=trickle, daemon=True)
    th.start()
    t0 = time.time()
    served = None
    while time.time() - t0 < deadline + 5:
        try:
            st, _ = request("GET", "/api/health", src="127.0.0.9", timeout=1)
            if st == 200:
                served = time.time() - t0
                break
        except OSError:
            time.sleep(0.2)
    for s in socks:
        s.close()
    if served is None:
        fail("%d trickling connections kept a new client out for %.0f s (deadline %g s)" %
             (len(socks), deadline + 5, deadline))
    print("ok: %d slowloris connections from %d addresses; a new client served after %.1f s" %
          (len(socks), addrs, served))

def alternate():
    """Two or more addresses writing alternately: each is limited to its own
    bucket (burst + rate x time); with the old 12-bit slots they were never."""
    uid, tok, rate, burst, n = ARGS[0], ARGS[1], float(ARGS[2]), float(ARGS[3]), int(ARGS[4])
    srcs = ["127.0.0.%d" % (2 + i) for i in range(int(ARGS[5]))]
    ok = {s: 0 for s in srcs}
    limited = {s: 0 for s in srcs}
    acked = []
    t0 = time.time()
    for i in range(n):
        for j, s in enumerate(srcs):
            movie = MOVIES[(i * len(srcs) + j) % len(MOVIES)]
            st, data = request("PUT", "/api/users/%s/ratings/%s" % (uid, movie), '{"rating": 4}', tok, src=s)
            if st in (200, 201):
                ok[s] += 1
                acked.append(movie)
            elif st == 429:
                limited[s] += 1
            else:
                fail("write from %s answered %d %r" % (s, st, data[:100]))
    dt = time.time() - t0
    for s in srcs:
        allowed = burst + rate * dt + 1
        if limited[s] == 0 or ok[s] > allowed:
            fail("%s: %d writes accepted, %d limited in %.1f s (bucket allows %.0f)" % (s, ok[s], limited[s], dt, allowed))
    print("ok: %d addresses writing alternately: accepted %s, limited %s in %.1f s" %
          (len(srcs), list(ok.values()), list(limited.values()), dt))
    with open(ARGS[6], "w") as f:
        f.write("\n".join(str(m) for m in sorted(set(acked))))

def sigterm_writers():
    """Writers keep writing; the caller stops the server. Every answer is an
    acknowledgement (kept in a file), a 503, or a closed connection."""
    uid, tok, out = ARGS[0], ARGS[1], ARGS[2]
    acked, seen = [], {}
    lock = threading.Lock()
    stop = time.time() + 8

    def writer(k):
        # one keep-alive connection each: requests keep arriving on it after
        # the server has stopped listening (the 503 case)
        i = refused = 0
        c = None
        while time.time() < stop and refused < 20:
            movie = MOVIES[(k * 7 + i) % len(MOVIES)]
            i += 1
            try:
                if c is None:
                    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
                c.request("PUT", "/api/users/%s/ratings/%s" % (uid, movie), body='{"rating": 3.5}',
                          headers={"Content-Type": "application/json", "Authorization": "Bearer " + tok})
                r = c.getresponse()
                st, data = r.status, r.read()
                if r.will_close:
                    c.close()
                    c = None
            except (OSError, http.client.HTTPException):
                refused += 1 # the server is gone (or going)
                if c:
                    c.close()
                c = None
                time.sleep(0.05)
                continue
            with lock:
                seen[st] = seen.get(st, 0) + 1
                if st in (200, 201):
                    acked.append(movie)
            if st not in (200, 201, 503):
                fail("write during shutdown answered %d %r" % (st, data[:100]))
    th = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in th:
        t.start()
    open(out + ".started", "w").close()
    for t in th:
        t.join()
    with open(out, "w") as f:
        f.write("\n".join(str(m) for m in sorted(set(acked))))
    print("ok: writes during SIGTERM answered %s" % dict(sorted(seen.items())))

MOVIES = [int(x) for x in open(sys.argv[0] + ".movies").read().split()] if CMD in ("alternate", "sigterm_writers") else []
globals()[CMD]()
PY
atk() { python3 "$T/atk.py" "$PORT" "$@" || fail "attack client: $1"; }
check_security_headers() {
  for h in content-security-policy x-content-type-options x-frame-options referrer-policy; do
    grep -qi "^$h:" "$HDR_FILE" || fail "$LAST_DESC: no $h header"
  done
}

# ---- a short deadline and a small body limit ----
start_server "$T/r.db" --head-timeout 2 --max-body 1024
python3 -c 'import csv,sys; print(" ".join(r[0] for r in list(csv.reader(open(sys.argv[1])))[1:41]))' \
  "$DATA/movies.csv" > "$T/atk.py.movies"

atk malformed
atk oversized 1024
atk params
atk utf8

# bodies: trailing garbage and NUL bytes are refused, white space is not
new_user; A=$UID_; TA=$TOK
M=$(cut -d' ' -f1 "$T/atk.py.movies")
check "trailing garbage after the JSON" PUT "/api/users/$A/ratings/$M" '{"rating":4}garbage' "$TA" 400 MFR_E_PARSE
assert_py 'd["error"]["message"]=="body: bytes after the JSON value, at byte 12"' "trailing garbage: message does not say where"
check "a second JSON value" PUT "/api/users/$A/ratings/$M" '{"rating":4}{"rating":5}' "$TA" 400 MFR_E_PARSE
LAST_DESC="NUL byte in the body"
CODE=$(printf '{"rating":4}\0x' | curl -s -o "$BODY_FILE" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TA" \
  -H 'Content-Type: application/json' --data-binary @- "$BASE/api/users/$A/ratings/$M")
expect 400
[ "$(jq_body 'd["error"]["code"]')" = MFR_E_PARSE ] || fail "NUL byte: not MFR_E_PARSE"
pass "NUL byte after the JSON -> 400"
LAST_DESC="NUL byte inside a string"
CODE=$(printf '{"rating":4,"x":"a\0b"}' | curl -s -o "$BODY_FILE" -w '%{http_code}' -X PUT -H "Authorization: Bearer $TA" \
  -H 'Content-Type: application/json' --data-binary @- "$BASE/api/users/$A/ratings/$M")
expect 400
pass "NUL byte inside a string -> 400"
[ "$(sqlite3 "$T/r.db" "select count(*) from ratings where user_id=$A")" = 0 ] || fail "a refused body was stored"
check "trailing white space is fine" PUT "/api/users/$A/ratings/$M" $'{"rating":4} \n' "$TA" 201
# under the limit, Expect: 100-continue still gets "100 Continue", then the answer
M2=$(cut -d' ' -f2 "$T/atk.py.movies")
PAD=$(python3 -c 'print("{\"rating\": 3, \"pad\": \"" + "x"*900 + "\"}")')
LAST_DESC="Expect: 100-continue under the limit"
CODE=$(curl -s -v -o "$BODY_FILE" -w '%{http_code}' -X PUT -H "Expect: 100-continue" -H "Authorization: Bearer $TA" \
  -H 'Content-Type: application/json' --data-binary "$PAD" "$BASE/api/users/$A/ratings/$M2" 2>"$T/expect.log")
expect 201
grep -q "< HTTP/1.1 100 Continue" "$T/expect.log" || fail "no 100 Continue for a body under the limit"
pass "Expect: 100-continue, 920-byte body -> 100 Continue, 201"

# HEAD on GET routes: the headers, no body
for p in /api/health "/api/movies?limit=3" "/api/movies/$M" "/api/users/$A/ratings" /; do
  LAST_DESC="HEAD $p"
  CODE=$(curl -s -I -o "$HDR_FILE" -w '%{http_code}' "$BASE$p")
  expect 200
  check_security_headers
  pass "HEAD $p -> 200, no body"
done
LAST_DESC="HEAD on a write route"
CODE=$(curl -s -I -o /dev/null -w '%{http_code}' "$BASE/api/users/$A/ratings/$M")
expect 405
pass "HEAD on PUT-only route -> 405"

# tokens
check "token of 300 characters" PUT "/api/users/$A/ratings/$M" '{"rating": 2}' "$(head -c 300 /dev/zero | tr '\0' a)" 403 MFR_E_AUTH
LAST_DESC="Basic instead of Bearer"
CODE=$(curl -s -o "$BODY_FILE" -w '%{http_code}' -X PUT -H "Authorization: Basic $TA" --data-binary '{"rating": 2}' "$BASE/api/users/$A/ratings/$M")
expect 403
pass "Authorization: Basic -> 403"
LAST_DESC="empty Bearer"
CODE=$(curl -s -o "$BODY_FILE" -w '%{http_code}' -X PUT -H "Authorization: Bearer " --data-binary '{"rating": 2}' "$BASE/api/users/$A/ratings/$M")
expect 403
pass "Authorization: Bearer (empty) -> 403"
[ "$(sqlite3 "$T/r.db" "select rating from ratings where user_id=$A and movie_id=$M")" = 4.0 ] || fail "a refused token changed a rating"

# path traversal: no URL reaches the filesystem
for p in "/../../../../etc/passwd" "/%2e%2e/%2e%2e/%2e%2e/etc/passwd" "/api/../../../etc/passwd" "//etc/passwd" \
         "/index.html/../../../etc/passwd" "/..%2f..%2f..%2fetc%2fpasswd" "/%252e%252e/etc/passwd" "/.%00./etc/passwd"; do
  CODE=$(curl -s -o "$BODY_FILE" -w '%{http_code}' --path-as-is "$BASE$p")
  case "$CODE" in 400|404) ;; *) fail "traversal $p answered $CODE" ;; esac
  grep -q "root:" "$BODY_FILE" && fail "traversal $p served /etc/passwd"
done
pass "8 traversal paths -> 400/404, nothing from the disk"

# slow: one trickling connection, then a crowd of them from four addresses
atk slow_one 2
atk slow_many 2 250 4
check "metrics count the cut connections" GET /metrics "" "" 200
grep -q '^mfrec_http_deadline_cuts_total [1-9]' "$BODY_FILE" || fail "no deadline cuts counted"

# rate limit: addresses writing alternately are each held to their own
# bucket (the old table kept 12 bits of the address: all of 127.0.0.x shared
# one slot, and each switch reset it to full)
stop_server "$PID"
start_server "$T/r.db" --write-rate 0.2 --write-burst 5
new_user; W=$UID_; TW=$TOK
atk alternate "$W" "$TW" 0.2 5 12 2 "$T/acked.alt"
atk alternate "$W" "$TW" 0.2 5 10 8 "$T/acked.alt8"
for f in "$T/acked.alt" "$T/acked.alt8"; do
  for m in $(cat "$f"); do
    [ "$(sqlite3 "$T/r.db" "select count(*) from ratings where user_id=$W and movie_id=$m")" = 1 ] || fail "acknowledged write $W/$m lost"
  done
done
pass "every acknowledged write of the rate-limit rounds is stored"
kill -0 "$PID" || fail "the server died during the attack set"
check "still serving after the attack set" GET /api/health "" "" 200

# writes in flight at SIGTERM: acknowledged (and stored), 503, or cut; never 500
new_user; S=$UID_; TS=$TOK
stop_server "$PID"
start_server "$T/r.db" --write-rate 0
python3 "$T/atk.py" "$PORT" sigterm_writers "$S" "$TS" "$T/acked.term" > "$T/term.log" 2>&1 &
WPID=$!
for _ in $(seq 1 50); do [ -f "$T/acked.term.started" ] && break; sleep 0.1; done
sleep 1
stop_server "$PID"
wait "$WPID" || fail "writers during SIGTERM: $(cat "$T/term.log")"
cat "$T/term.log"
for m in $(cat "$T/acked.term"); do
  [ "$(sqlite3 "$T/r.db" "select count(*) from ratings where user_id=$S and movie_id=$m")" = 1 ] || fail "write $S/$m acknowledged at SIGTERM but lost"
done
pass "every write acknowledged around SIGTERM is stored"

# admin: $MFREC_ADMIN_TOKEN needs 16 characters; the admin route is rate-limited
LAST_DESC="short admin token"
if MFREC_ADMIN_TOKEN=short-token "$MFREC" serve "$MODEL" --port 0 --db "$T/r.db" >"$T/short.out" 2>"$T/short.err"; then
  fail "a 11-character \$MFREC_ADMIN_TOKEN was accepted"
fi
grep -q 'MFREC_ADMIN_TOKEN: admin token shorter than 16 characters' "$T/short.err" || fail "short token: $(cat "$T/short.err")"
pass "\$MFREC_ADMIN_TOKEN of 11 characters refused at start"
MFREC_ADMIN_TOKEN=adm-secret-0123456789 start_server "$T/r.db"
codes=""
for _ in $(seq 1 8); do
  req POST /api/admin/retrain "" "not-the-admin-token-at-all"
  codes="$codes $CODE"
done
case "$codes" in *429*) ;; *) fail "8 admin requests in a row were never limited:$codes" ;; esac
pass "admin guesses rate-limited:$codes"

# /metrics: loopback only by default, off on request
check "metrics from loopback" GET /metrics "" "" 200
IP=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | head -1 || true)
stop_server "$PID"
if [ -n "$IP" ]; then
  start_server "$T/r.db" --bind 0.0.0.0
  LAST_DESC="metrics from $IP"
  CODE=$(curl -s -o "$BODY_FILE" -w '%{http_code}' "http://$IP:$PORT/metrics")
  expect 403
  CODE=$(curl -s -o "$BODY_FILE" -w '%{http_code}' "http://$IP:$PORT/api/health")
  expect 200
  pass "metrics refused to a non-loopback client ($IP), other routes served"
  stop_server "$PID"
else
  echo "skip: no non-loopback address to test the refusal from"
fi
start_server "$T/r.db" --metrics off
check "metrics off" GET /metrics "" "" 404 MFR_E_NOT_FOUND
echo "PASS attack"
