#!/usr/bin/env bash
# share.sh — `mpirun -n P mfrec train DATA.mfd` reads only each rank's share
# of the ratings (issue 9; docs/distributed.md, "Memory per rank"): the model
# is still one process's (als: the same payload bytes at P = 1, 2, 4, seen
# lists and item statistics included; ials: max |Δfactor| <= 1e-4, P = 1 the
# same bytes; sgd: P = 1 the same bytes, P = 2, 4 train RMSE within 0.002),
# rank 0's seen lists streamed into the model file in bands (rows stored out
# of order too), an unwritable model path refused, a damaged file stops
# every rank with one message, and a validation split (one process's
# holdout, drawn by every rank from the count) gives the one-process model.
source "$(dirname "$0")/lib.bash"
synth "$T/d"
"$MFREC" import "$T/d" -o "$T/d.mfd" -q >/dev/null 2>&1 || { bad "import"; finish; }
payload() { "$PY" -c "import struct,sys; b=open(sys.argv[1],'rb').read(); print('%08x' % struct.unpack('<I', b[104:108])[0])" "$1"; }
trmse() { sed -n 's/.*train RMSE \([0-9.]*\).*/\1/p' "$1"; }
field() { "$MFREC" info "$1" | sed -n "s/^$2 *//p"; }
for algo in als ials sgd; do
    common=(--algo "$algo" --epochs 4 --factors 16 --threads 1 --seed 7)
    [ "$algo" = sgd ] && common=(--algo sgd --epochs 60 --factors 16 --threads 1 --seed 7)
    train_1p "$T/d.mfd" "$algo" "${common[@]}" || continue
    want=$(payload "$T/$algo.1p.mfm")
    for n in 1 2 4; do
        train_np "$n" "$T/d.mfd" "$algo" "${common[@]}" || continue
        [ "$(grep -c '^trained ' "$T/$algo.$n.out")" = 1 ] && ok "$algo P=$n: one summary" ||
            bad "$algo P=$n: $(cat "$T/$algo.$n.out")"
        # rank 0's seen lists and the statistics summed over the ranks
        for f in "trained on" "mean (mu)"; do
            a=$(field "$T/$algo.1p.mfm" "$f") b=$(field "$T/$algo.$n.mfm" "$f")
            [ -n "$a" ] && [ "$a" = "$b" ] && ok "$algo P=$n: $f $b" || bad "$algo P=$n: $f '$b', one process '$a'"
        done
        got=$(payload "$T/$algo.$n.mfm")
        if [ "$algo" = als ] || [ "$n" = 1 ]; then
            [ "$got" = "$want" ] && ok "$algo P=$n: the same payload as one process ($got)" ||
                bad "$algo P=$n: payload $got, one process $want"
        elif [ "$algo" = ials ]; then
            d=$(same "$T/ials.1p.mfm" "$T/ials.$n.mfm" 1e-4) && ok "ials P=$n: $d" || bad "ials P=$n: $d"
        else
            g=$(trmse "$T/sgd.$n.out") w=$(trmse "$T/sgd.1p.out")
            "$PY" -c "import sys; sys.exit(not (abs(float('$g') - float('$w')) <= 0.002))" 2>/dev/null &&
                ok "sgd P=$n: train RMSE $g, one process $w (within 0.002)" ||
                bad "sgd P=$n: train RMSE '$g', one process '$w'"
        fi
    done
    # each rank kept about its share (users' + items' ratings: 2N/P), not N
    k=$(sed -n 's/.*rank 0 kept \([0-9]*\) ratings.*/\1/p' "$T/$algo.4.out")
    [ -n "$k" ] && [ "$k" -lt 25000 ] && ok "$algo P=4: rank 0 kept $k of 40000 ratings" ||
        bad "$algo P=4: rank 0 kept '$k'"
done
# the share path recommends what the one-process model recommends
"$MFREC" recommend "$T/als.1p.mfm" --user 5 -n 10 >"$T/r1" 2>&1
"$MFREC" recommend "$T/als.4.mfm" --user 5 -n 10 >"$T/r4" 2>&1
[ -s "$T/r1" ] && cmp -s "$T/r1" "$T/r4" && ok "als P=4: the same top 10 for user 5" || bad "als P=4 recommends: $(diff "$T/r1" "$T/r4" | head -3)"
# rank 0 writes the seen lists into the model file a band of users at a time
# (P bands, one pass over the file each): ratings stored in no order of user
# or item come out as one process sorts them, the same payload at P = 3
mkdir -p "$T/shuf" && cp "$T/d/movies.csv" "$T/shuf/" &&
    { head -1 "$T/d/ratings.csv"; tail -n +2 "$T/d/ratings.csv" | shuf --random-source=<(yes); } >"$T/shuf/ratings.csv" &&
    "$MFREC" import "$T/shuf" -o "$T/shuf.mfd" -q >/dev/null 2>&1 || bad "shuffled import"
s=(--algo als --epochs 2 --factors 8 --threads 1 --seed 7)
if train_1p "$T/shuf.mfd" shuf "${s[@]}" && train_np 3 "$T/shuf.mfd" shuf "${s[@]}"; then
    [ "$(payload "$T/shuf.1p.mfm")" = "$(payload "$T/shuf.3.mfm")" ] &&
        ok "rows out of order, P=3: the one-process payload ($(payload "$T/shuf.3.mfm"))" ||
        bad "rows out of order, P=3: payload $(payload "$T/shuf.3.mfm"), one process $(payload "$T/shuf.1p.mfm")"
fi
# the model file cannot be written: rank 0 says so, nothing left behind
run_mpi 2 train "$T/d.mfd" "${s[@]}" -o "$T/nodir/m.mfm" >"$T/nodir.out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "nodir/m.mfm: cannot create a temporary file" "$T/nodir.out" && [ ! -e "$T/nodir" ] &&
    ok "unwritable -o refused by rank 0 (exit $rc)" || bad "unwritable -o: exit $rc: $(cat "$T/nodir.out")"
# a damaged file: every rank stops, the message printed once, exit 4 (format)
cp "$T/d.mfd" "$T/bad.mfd"
printf '\377' | dd of="$T/bad.mfd" bs=1 seek=100000 conv=notrunc 2>/dev/null
run_mpi 2 train "$T/bad.mfd" --algo als --epochs 2 -o "$T/bad.mfm" >"$T/bad.out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ "$(grep -c 'checksum mismatch' "$T/bad.out")" = 1 ] && [ ! -e "$T/bad.mfm" ] &&
    ok "damaged .mfd refused on every rank (exit $rc): $(grep -m1 checksum "$T/bad.out")" ||
    bad "damaged .mfd: exit $rc: $(cat "$T/bad.out")"
head -c 50000 "$T/d.mfd" >"$T/short.mfd"
run_mpi 2 train "$T/short.mfd" --algo sgd --epochs 2 -o "$T/short.mfm" >"$T/short.out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'truncated' "$T/short.out" && ok "truncated .mfd refused (exit $rc)" ||
    bad "truncated .mfd: exit $rc: $(cat "$T/short.out")"
# a validation split: the one-process holdout, drawn from the count, same model
v=(--algo als --epochs 3 --factors 8 --threads 1 --seed 7 --set valid_frac=0.1)
"$MFREC" train "$T/d.mfd" "${v[@]}" -o "$T/v1.mfm" >"$T/v1.out" 2>&1
run_mpi 2 train "$T/d.mfd" "${v[@]}" -o "$T/v2.mfm" >"$T/v2.out" 2>&1 &&
    [ "$(payload "$T/v1.mfm")" = "$(payload "$T/v2.mfm")" ] && ok "valid_frac=0.1 on 2 ranks: the one-process model" ||
    bad "valid_frac=0.1 on 2 ranks: $(cat "$T/v2.out")"
finish
