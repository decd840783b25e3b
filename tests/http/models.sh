#!/usr/bin/env bash
# models.sh — every kind of model answers API users from their ratings, with
# no error after a rating write: factor models (sgd) by fold-in, models with
# mfr_model_fold_dim 0 (ease, knn-item, content) by their rated movies. For
# each: the start-up lines and /api/health say which; a user with no ratings
# gets the popularity list ("source": "popular"); after three ratings the
# list is "fold-in", uses the 3 ratings, leaves the rated movies out, carries
# a one-decimal prediction, and differs from the cold start; deleting the
# ratings brings back the popular list. The ratings shape the list beyond
# leaving the rated movies out: two users who rated different movies get
# lists that differ by more than those movies.
source "$(dirname "$0")/lib.bash"
make_model
for a in sgd knn-item content ease; do
  MODEL=$T/$a.mfm
  k=(); [ "$a" = sgd ] && k=(--factors 16) # a parameter the family does not use is an error
  if ! "$MFREC" train "$DATA" -o "$MODEL" --algo "$a" "${k[@]}" --threads 1 -q >/dev/null 2>"$T/train.err"; then
    [ "$a" = ease ] && { echo "skip: this build has no ease ($(cat "$T/train.err"))"; continue; }
    fail "$a: train failed: $(cat "$T/train.err")"
  fi
  start_server "$T/$a.db"
  if [ "$a" = sgd ]; then want="fold-in of their ratings (k=16)"; dim=17
  else want="from their rated movies"; dim=0; fi
  grep -qF "mfrec serve: recommendations for new users: $want" "$SERVER_ERR" || fail "$a: start-up lines: $(cat "$SERVER_ERR")"
  check "$a: health" GET /api/health "" "" 200
  assert_py "d['model']['algo']=='$a' and d['model']['fold_dim']==$dim and '$want' in d['routes']['recommendations_new_users']" "$a: health routes/fold_dim"
  check "$a: popular movies" GET "/api/movies?limit=30" "" "" 200
  POP=$(jq_body '[m["id"] for m in d["movies"]]')
  R1=$(jq_body '" ".join(str(m["id"]) for m in d["movies"][0:3])')
  R2=$(jq_body '" ".join(str(m["id"]) for m in d["movies"][20:23])')
  new_user; U1=$UID_; T1=$TOK
  new_user; U2=$UID_; T2=$TOK
  check "$a: cold start" GET "/api/users/$U1/recommendations?n=20" "" "" 200
  assert_py "d['source']=='popular' and d['ratings_used']==0 and [m['id'] for m in d['recommendations']]==$POP[:20]" "$a: cold start is not the popular list"
  COLD=$(jq_body '[m["id"] for m in d["recommendations"]]')
  for m in $R1; do check "$a: user 1 rates $m" PUT "/api/users/$U1/ratings/$m" '{"rating": 5}' "$T1" 201; done
  for m in $R2; do check "$a: user 2 rates $m" PUT "/api/users/$U2/ratings/$m" '{"rating": 4.5}' "$T2" 201; done
  check "$a: user 1 after 3 ratings" GET "/api/users/$U1/recommendations?n=20" "" "" 200
  assert_py "d['source']=='fold-in' and d['ratings_used']==3 and len(d['recommendations'])==20" "$a: not a 20-row list from 3 ratings"
  assert_py "not set([m['id'] for m in d['recommendations']]) & set(int(x) for x in '$R1'.split())" "$a: a rated movie is recommended"
  assert_py 'all(m["prediction"] is not None and 0.5<=m["prediction"]<=5 and abs(m["prediction"]*10-round(m["prediction"]*10))<1e-9 for m in d["recommendations"])' "$a: prediction missing, off the scale or not one decimal"
  L1=$(jq_body '[m["id"] for m in d["recommendations"]]')
  [ "$L1" != "$COLD" ] || fail "$a: ratings did not change the list"
  check "$a: user 2 after 3 ratings" GET "/api/users/$U2/recommendations?n=20" "" "" 200
  L2=$(jq_body '[m["id"] for m in d["recommendations"]]')
  # lists with both users' rated movies removed: equal means the ratings only excluded movies
  same=$(python3 -c 'import json,sys
rated = set(int(x) for x in (sys.argv[3] + " " + sys.argv[4]).split())
a = [i for i in json.loads(sys.argv[1]) if i not in rated][:12]
b = [i for i in json.loads(sys.argv[2]) if i not in rated][:12]
print(int(a == b))' "$L1" "$L2" "$R1" "$R2")
  [ "$same" = 0 ] || fail "$a: two users with different ratings get the same list (apart from the rated movies)"
  pass "$a: the ratings reorder the list, not only exclude"
  for m in $R1; do check "$a: delete $m" DELETE "/api/users/$U1/ratings/$m" "" "$T1" 200; done
  check "$a: no ratings again" GET "/api/users/$U1/recommendations?n=20" "" "" 200
  assert_py "d['source']=='popular' and [m['id'] for m in d['recommendations']]==$COLD" "$a: without ratings the list is not popular again"
  stop_server "$PID"
done
# vae ranks by its decoder's multinomial scores, not by the stars it shows:
# /api/health says so
MODEL=$T/vae.mfm
"$MFREC" train "$DATA" -o "$MODEL" --algo vae --epochs 2 --threads 1 -q >/dev/null 2>"$T/train.err" ||
  fail "vae: train failed: $(cat "$T/train.err")"
start_server "$T/vae.db"
check "vae: health" GET /api/health "" "" 200
assert_py "'multinomial scores' in d['routes']['recommendations'] and 'predicted rating' not in d['routes']['recommendations'] and 'multinomial scores' in d['routes']['recommendations_new_users']" "vae: health routes do not say how vae ranks"
stop_server "$PID"
echo "PASS models"
