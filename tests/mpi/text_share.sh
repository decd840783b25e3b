#!/usr/bin/env bash
# text_share.sh — `mpirun -n P mfrec train DATA` on a CSV folder, zip or
# single file reads only each rank's share too (issue 9; docs/distributed.md,
# "Memory per rank"): the importer's two streaming passes, the model the one
# of its .mfd (als, ials, sgd at P = 1, 2: the same payload bytes, so max
# |Δfactor| <= 1e-4 and, als and sgd, the same train RMSE to 4 decimals), rank 0 keeping
# about 2N/P ratings at P = 4, not N; rank 0's seen lists from a file whose
# users' rows are not together; a file that repeats a (user, movie) pair
# read whole (the one-process model); a malformed row with --strict stops
# every rank with its file:line, printed once; a validation split read as
# shares gives the one-process model.
source "$(dirname "$0")/lib.bash"
synth "$T/d"
"$MFREC" import "$T/d" -o "$T/d.mfd" -q >/dev/null 2>&1 || { bad "import"; finish; }
payload() { "$PY" -c "import struct,sys; b=open(sys.argv[1],'rb').read(); print('%08x' % struct.unpack('<I', b[104:108])[0])" "$1"; }
trmse() { sed -n 's/.*train RMSE \([0-9.]*\).*/\1/p' "$1"; }
kept() { sed -n 's/.*rank 0 kept \([0-9]*\) ratings.*/\1/p' "$1"; }
for algo in als ials sgd; do
    a=(--algo "$algo" --epochs 4 --factors 16 --threads 1 --seed 7)
    for n in 1 2; do
        train_np "$n" "$T/d.mfd" "$algo.mfd" "${a[@]}" && train_np "$n" "$T/d" "$algo.csv" "${a[@]}" || continue
        want=$(payload "$T/$algo.mfd.$n.mfm") got=$(payload "$T/$algo.csv.$n.mfm")
        [ "$got" = "$want" ] && ok "$algo P=$n: the CSV folder's model is its .mfd's ($got)" ||
            bad "$algo P=$n: payload $got from the CSV folder, $want from its .mfd"
        d=$(same "$T/$algo.mfd.$n.mfm" "$T/$algo.csv.$n.mfm" 1e-4) && ok "$algo P=$n: $d" || bad "$algo P=$n: $d"
        w=$(trmse "$T/$algo.mfd.$n.out") g=$(trmse "$T/$algo.csv.$n.out") # ials (implicit) prints none
        [ "$algo" = ials ] || { [ -n "$g" ] && [ "$g" = "$w" ] && ok "$algo P=$n: train RMSE $g" ||
            bad "$algo P=$n: train RMSE '$g', .mfd '$w'"; }
        [ "$(kept "$T/$algo.csv.$n.out")" = "$(kept "$T/$algo.mfd.$n.out")" ] &&
            ok "$algo P=$n: rank 0 kept $(kept "$T/$algo.csv.$n.out") ratings, as from the .mfd" ||
            bad "$algo P=$n: rank 0 kept '$(kept "$T/$algo.csv.$n.out")', from the .mfd '$(kept "$T/$algo.mfd.$n.out")'"
    done
done
# a share, not the whole: rank 0 keeps about 2N/P of the 40 000 ratings
train_np 4 "$T/d" als4 --algo als --epochs 2 --factors 8 --threads 1 --seed 7 &&
    k=$(kept "$T/als4.4.out") && [ -n "$k" ] && [ "$k" -lt 25000 ] &&
    ok "als P=4 from CSV: rank 0 kept $k of 40000 ratings" || bad "als P=4 from CSV: rank 0 kept '${k:-}'"
# the zip of the folder (streamed through libarchive) and its ratings file alone
s=(--algo als --epochs 2 --factors 8 --threads 1 --seed 7)
(cd "$T/d" && "$PY" -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); [z.write(f) for f in sys.argv[2:]]" "$T/d.zip" *.csv)
train_1p "$T/d" one "${s[@]}" && train_np 2 "$T/d.zip" zip "${s[@]}" &&
    [ "$(payload "$T/zip.2.mfm")" = "$(payload "$T/one.1p.mfm")" ] && ok "zip, P=2: the folder's model" ||
    bad "zip, P=2: payload $(payload "$T/zip.2.mfm" 2>/dev/null), folder $(payload "$T/one.1p.mfm" 2>/dev/null)"
# users' rows not together: rank 0's seen lists, a band per pass, as one process sorts them
{ head -1 "$T/d/ratings.csv"; tail -n +2 "$T/d/ratings.csv" | shuf --random-source=<(yes); } >"$T/shuf.csv"
train_1p "$T/shuf.csv" shuf "${s[@]}" && train_np 3 "$T/shuf.csv" shuf "${s[@]}" &&
    [ "$(payload "$T/shuf.3.mfm")" = "$(payload "$T/shuf.1p.mfm")" ] &&
    ok "shuffled rows, P=3: the one-process payload ($(payload "$T/shuf.3.mfm"))" ||
    bad "shuffled rows, P=3: payload $(payload "$T/shuf.3.mfm" 2>/dev/null), one process $(payload "$T/shuf.1p.mfm" 2>/dev/null)"
# a repeated (user, movie) pair (the import keeps the later): read whole
mkdir -p "$T/dup" && cp "$T/d"/*.csv "$T/dup/" && sed -n 3p "$T/d/ratings.csv" | sed 's/,[0-9.]*,\([0-9]*\)$/,1.0,\1/' >>"$T/dup/ratings.csv"
for algo in als sgd; do
    train_1p "$T/dup" "dup$algo" --algo "$algo" --epochs 2 --factors 8 --threads 1 --seed 7 &&
        train_np 1 "$T/dup" "dup$algo" --algo "$algo" --epochs 2 --factors 8 --threads 1 --seed 7 -v || continue
    [ "$(payload "$T/dup$algo.1.mfm")" = "$(payload "$T/dup$algo.1p.mfm")" ] &&
        grep -q "repeats a (user, movie) pair: read whole" "$T/dup$algo.1.err" &&
        ok "$algo: repeated pair read whole, the one-process model" ||
        bad "$algo: repeated pair: $(cat "$T/dup$algo.1.err" | tail -3)"
done
run_mpi 2 train "$T/dup" --algo als --epochs 2 --factors 8 --threads 1 --seed 7 -o "$T/dup2.mfm" >/dev/null 2>&1 &&
    [ "$(payload "$T/dup2.mfm")" = "$(payload "$T/dupals.1p.mfm")" ] && ok "als P=2: repeated pair read whole" ||
    bad "als P=2: repeated pair: $(payload "$T/dup2.mfm" 2>/dev/null)"
# a validation split read as shares: the one-process holdout and model,
# the same valid RMSE, rank 0 keeping a share of the training ratings
v=(--algo als --epochs 3 --factors 8 --threads 1 --seed 7 --set valid_frac=0.1)
vr() { sed -n 's/.*valid RMSE \([0-9.]*\).*/\1/p' "$1"; }
if train_1p "$T/d" valid "${v[@]}"; then
    for n in 1 2 4; do
        train_np "$n" "$T/d" valid "${v[@]}" || continue
        k=$(kept "$T/valid.$n.out") w=$(vr "$T/valid.1p.out") g=$(vr "$T/valid.$n.out")
        [ "$(payload "$T/valid.$n.mfm")" = "$(payload "$T/valid.1p.mfm")" ] && [ -n "$g" ] && [ "$g" = "$w" ] &&
            [ "$k" -le $((72000 / n + 2000)) ] &&
            ok "valid_frac=0.1, P=$n: the one-process model, valid RMSE $g, rank 0 kept $k" ||
            bad "valid_frac=0.1, P=$n: payload $(payload "$T/valid.$n.mfm"), valid RMSE '$g' ('$w'), kept '$k'"
    done
fi
# a malformed row with --strict on every rank: one message, its file:line, exit 3
mkdir -p "$T/bad" && cp "$T/d"/*.csv "$T/bad/" && sed -i '7s/.*/3,4,x,99/' "$T/bad/ratings.csv"
run_mpi 2 train "$T/bad" --algo sgd --strict -o "$T/bad.mfm" >"$T/bad.out" 2>&1
rc=$?
[ $rc -eq 3 ] && [ "$(grep -c 'ratings.csv:7: rating "x" is not a number' "$T/bad.out")" = 1 ] && [ ! -e "$T/bad.mfm" ] &&
    ok "malformed row, strict: exit 3, $(grep -m1 'ratings.csv:7' "$T/bad.out")" || bad "malformed row: exit $rc: $(cat "$T/bad.out")"
finish
