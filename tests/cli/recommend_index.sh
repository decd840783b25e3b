#!/usr/bin/env bash
# recommend_index.sh — `mfrec recommend --index exact|approx [--nprobe N]` on a
# small synthetic sgd model: approx with nprobe at or above the number of
# clusters prints the exact lists, for one user and for --all; a few clusters
# still give full lists; a ranking model (auto) is refused with exit 8, a bad
# value or --nprobe without --index approx with exit 5.
source "$MFR_FIXTURES/cli/lib.bash"
"$MFREC" synth -o "$T/syn" --users 300 --movies 900 --ratings 20000 --seed 4 >/dev/null
"$MFREC" train "$T/syn" --algo sgd --factors 16 --epochs 5 -o "$T/s.mfm" --quiet
"$MFREC" train "$T/syn" --algo auto --factors 8 --epochs 2 -o "$T/a.mfm" --quiet

expect_exit 0 "recommend exact" "$MFREC" recommend "$T/s.mfm" --user 7 -n 20
cp "$T/out" "$T/exact"
expect_exit 0 "recommend approx, every cluster" "$MFREC" recommend "$T/s.mfm" --user 7 -n 20 --index approx --nprobe 1000
cmp -s "$T/out" "$T/exact" && ok "approx with every cluster = exact" || fail "approx differs: $(diff "$T/exact" "$T/out" | head -5)"
expect_exit 0 "recommend --all exact" "$MFREC" recommend "$T/s.mfm" --all -n 10 -o "$T/all_exact.csv"
expect_exit 0 "recommend --all approx, every cluster" "$MFREC" recommend "$T/s.mfm" --all -n 10 --index approx --nprobe 30 -o "$T/all_approx.csv"
cmp -s "$T/all_exact.csv" "$T/all_approx.csv" && ok "--all approx with every cluster = exact" || fail "--all approx differs"
expect_exit 0 "recommend approx, 2 clusters" "$MFREC" recommend "$T/s.mfm" --user 7 -n 20 --index approx --nprobe 2
[ "$(grep -c . "$T/out")" = 21 ] && ok "2 clusters: a full list of 20" || fail "2 clusters: $(cat "$T/out")"
expect_exit 8 "approx on auto is refused" "$MFREC" recommend "$T/a.mfm" --user 7 --index approx
expect_err_has "does not order its lists by the factor score" "says why"
expect_exit 5 "--index fast" "$MFREC" recommend "$T/s.mfm" --user 7 --index fast
expect_exit 5 "--nprobe alone" "$MFREC" recommend "$T/s.mfm" --user 7 --nprobe 3
expect_err_has "--nprobe applies to --index approx only" "says what --nprobe needs"
expect_exit 5 "--nprobe 0" "$MFREC" recommend "$T/s.mfm" --user 7 --index approx --nprobe 0
finish
