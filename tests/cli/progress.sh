#!/usr/bin/env bash
# progress.sh — train's progress line: drawn (one line redrawn with \r) only
# when stderr is a terminal and --quiet is absent; never in a file or pipe.
# The terminal is a pty from script(1); skipped when script is absent.
source "$MFR_FIXTURES/cli/lib.bash"
"$MFREC" synth -o "$T/syn" --users 100 --movies 150 --ratings 4000 --seed 4 --quiet
train=("$MFREC" train "$T/syn" -o "$T/m.mfm" --epochs 5 --valid-frac 0.1 --threads 1)

"${train[@]}" >"$T/out" 2>"$T/err"
[ ! -s "$T/err" ] && ok "no progress when stderr is a file" || fail "stderr not empty: $(cat "$T/err")"
grep -q "^trained auto: .* 5 epochs .*valid RMSE [0-9.]*$" "$T/out" && ok "summary line" || fail "summary: $(cat "$T/out")"

if ! command -v script >/dev/null; then
  echo "skip: script(1) absent, cannot give train a terminal"
  finish; exit 0
fi
script -qec "${train[*]} >/dev/null" /dev/null >"$T/tty" </dev/null
tr '\r' '\n' <"$T/tty" | grep -c "^epoch [1-5]/5  train [0-9.]*  valid [0-9.]*  .*ETA" >"$T/n" || true
[ "$(cat "$T/n")" -eq 5 ] && ok "5 progress updates on a terminal" || fail "progress on a tty: $(od -c "$T/tty" | head -5)"
grep -q $'\r' "$T/tty" && ok "updated in place with \\r" || fail "no carriage return"
script -qec "${train[*]} --quiet >/dev/null" /dev/null >"$T/tty2" </dev/null
grep -q "epoch" "$T/tty2" && fail "--quiet still drew progress" || ok "--quiet draws nothing"
finish
