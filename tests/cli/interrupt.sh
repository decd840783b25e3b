#!/usr/bin/env bash
# interrupt.sh — Ctrl-C (SIGINT) during `mfrec train` stops after the current
# epoch, still saves the model of the last completed epoch, says so on
# stderr, and exits 7 (MFR_E_CANCELLED); the saved model loads and answers.
source "$MFR_FIXTURES/cli/lib.bash"
"$MFREC" synth -o "$T/syn" --users 3000 --movies 2000 --ratings 300000 --seed 2 --quiet
set +e
"$MFREC" train "$T/syn" -o "$T/m.mfm" --epochs 100000 --factors 16 --threads 1 >"$T/out" 2>"$T/err" &
pid=$!
# wait until training has begun (the data is loaded in well under a second)
sleep 2
kill -INT $pid
# it must stop within a minute; never let a stuck run hang the suite
for _ in $(seq 1 120); do kill -0 $pid 2>/dev/null || break; sleep 0.5; done
if kill -0 $pid 2>/dev/null; then
  kill -KILL $pid
  fail "train still running 60 s after SIGINT"
fi
wait $pid
RC=$?
set -e
[ "$RC" -eq 7 ] && ok "exit 7 after SIGINT" || fail "exit $RC after SIGINT; stderr: $(cat "$T/err")"
expect_err_has "interrupted" "stderr says it was interrupted"
[ -s "$T/m.mfm" ] && ok "model saved" || fail "no model file after SIGINT"
"$MFREC" info "$T/m.mfm" >"$T/info"
epochs=$(awk '/^epochs run/{print $3}' "$T/info")
[ -n "$epochs" ] && [ "$epochs" -ge 1 ] && [ "$epochs" -lt 100000 ] && ok "saved after epoch $epochs of 100000" || fail "epochs run: '$epochs'"
"$MFREC" recommend "$T/m.mfm" --user 1 -n 3 >/dev/null && ok "the saved model answers" || fail "saved model does not answer"
finish
