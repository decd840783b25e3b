#!/usr/bin/env bash
# retrain.sh — POST /api/admin/retrain with the admin token (from a file)
# retrains in the background on the original data plus the API ratings and
# swaps the model in: reads during the retrain all succeed, the model version
# goes to 2, the new model counts the API ratings, and API users keep working.
# The retrained model is saved beside the database (r.db.model.N.mfm) and a
# restart serves it, not the original file (issue 11, defect 15); at most 3
# are kept; a MODEL newer than the saved ones is served instead.
source "$(dirname "$0")/lib.bash"
make_model
printf 'admin-token-for-tests-0123456789\n' >"$T/admin"
start_server "$T/r.db" --data "$DATA" --admin-token-file "$T/admin" --write-rate 0
check "health before" GET /api/health "" "" 200
N0=$(jq_body 'd["model"]["ratings"]')
assert_py 'd["retrain"]["available"]==True and d["model"]["version"]==1' "retrain not available"
new_user
for m in 1 2 3 4 5 6 7; do check "rate $m" PUT "/api/users/$UID_/ratings/$m" '{"rating": 4}' "$TOK" 201; done

# reads in flight during the retrain: none may fail
reader() {
  local bad=0 code
  for _ in $(seq 1 150); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/users/1/recommendations?n=10")
    [ "$code" = 200 ] || bad=$((bad + 1))
    code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/users/$UID_/recommendations?n=10")
    [ "$code" = 200 ] || bad=$((bad + 1))
  done
  echo "$bad" >"$T/reader.bad"
}
reader &
RPID=$!
check "retrain wrong token" POST /api/admin/retrain "" "not-the-admin-token" 403 MFR_E_AUTH
check "retrain" POST /api/admin/retrain "" "admin-token-for-tests-0123456789" 202
for _ in $(seq 1 300); do
  req GET /api/health
  [ "$(jq_body 'd["model"]["version"]==2 and not d["retrain"]["running"]')" = True ] && break
  [ "$(jq_body 'd["retrain"].get("last_ok", True)')" = False ] && fail "retrain failed: $(jq_body 'd["retrain"]["last_message"]')"
  sleep 0.1
done
wait "$RPID"
assert_py 'd["model"]["version"]==2 and d["retrain"]["last_ok"]==True and d["retrain"]["running"]==False' "model not swapped"
N1=$(jq_body 'd["model"]["ratings"]')
[ "$N1" = $((N0 + 7)) ] || fail "new model trained on $N1 ratings, expected $N0 + 7"
pass "model v2 trained on $N1 ratings (original $N0 + 7 from the API)"
[ "$(cat "$T/reader.bad")" = 0 ] || fail "$(cat "$T/reader.bad") reads failed during the retrain"
pass "300 reads during the retrain, none failed"
check "API user after swap" GET "/api/users/$UID_/recommendations?n=5" "" "" 200
assert_py 'd["model_version"]==2 and d["ratings_used"]==7' "API user not served from the new model"
check "write after swap" PUT "/api/users/$UID_/ratings/8" '{"rating": 2.5}' "$TOK" 201
check "metrics version" GET /metrics "" "" 200
grep -q '^mfrec_model_version 2$' "$BODY_FILE" || fail "metrics: model version not 2"
ls -a "$(dirname "$T/r.db")" | grep -q mfrec-retrain && fail "staging folder left behind"
[ -f "$T/r.db.model.1.mfm" ] || fail "retrained model not saved as r.db.model.1.mfm"
ls "$T" | grep -q 'tmp-' && fail "temporary model file left behind"
pass "retrained model saved as r.db.model.1.mfm"

ADMIN=admin-token-for-tests-0123456789
restart() {
  stop_server "$PID"
  start_server "$T/r.db" --data "$DATA" --admin-token-file "$T/admin" --write-rate 0
}
# retrain_to VERSION: ask for a retrain, wait until VERSION is served
retrain_to() {
  check "retrain to v$1" POST /api/admin/retrain "" "$ADMIN" 202
  for _ in $(seq 1 300); do
    req GET /api/health
    [ "$(jq_body 'd["model"]["version"]=='"$1"' and not d["retrain"]["running"]')" = True ] && return 0
    [ "$(jq_body 'd["retrain"].get("last_ok", True)')" = False ] && fail "retrain failed: $(jq_body 'd["retrain"]["last_message"]')"
    sleep 0.1
  done
  fail "retrain to v$1 did not finish"
}

restart
grep -q "serving the retrained model $T/r.db.model.1.mfm" "$SERVER_ERR" || fail "no start-up line for the retrained model: $(cat "$SERVER_ERR")"
check "health after restart" GET /api/health "" "" 200
assert_py 'd["model"]["version"]==1 and d["model"]["ratings"]=='"$((N0 + 7))" "restart did not serve the retrained model"
pass "restart serves the retrained model ($((N0 + 7)) ratings), not the original ($N0)"

check "rate 9" PUT "/api/users/$UID_/ratings/9" '{"rating": 3}' "$TOK" 201
for v in 2 3 4; do retrain_to $v; done
SAVED=$(ls "$T" | grep -c '^r\.db\.model\.[0-9]*\.mfm$')
[ "$SAVED" = 3 ] || fail "expected 3 saved models, found $SAVED: $(ls "$T")"
[ -f "$T/r.db.model.4.mfm" ] && [ ! -f "$T/r.db.model.1.mfm" ] || fail "not the newest 3 kept: $(ls "$T")"
pass "4 retrains: the newest 3 saved models kept (2, 3, 4)"
restart
grep -q "serving the retrained model $T/r.db.model.4.mfm" "$SERVER_ERR" || fail "restart did not pick the newest saved model"
check "health after the 4th" GET /api/health "" "" 200
assert_py 'd["model"]["ratings"]=='"$((N0 + 9))" "newest saved model not served"
pass "restart serves generation 4 ($((N0 + 9)) ratings)"

touch "$MODEL"
restart
check "health after a newer MODEL" GET /api/health "" "" 200
assert_py 'd["model"]["ratings"]=='"$N0" "a MODEL newer than the saved models was not served"
grep -q "is newer than the retrained model" "$SERVER_ERR" || fail "no line saying MODEL is newer"
pass "a MODEL newer than the saved models is served ($N0 ratings)"
echo "PASS retrain"
