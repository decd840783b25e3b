#!/usr/bin/env bash
# same_result.sh — `mpirun -n P mfrec train` for P = 1, 2, 4 trains the model
# one process trains (issue 9): als and ials, max |Δfactor| <= 1e-4 and the
# same RMSE to 4 decimals; rank 0 alone prints and writes the model.
source "$(dirname "$0")/lib.bash"
synth "$T/d"
rmse() { sed -n 's/.*valid RMSE \([0-9.]*\).*/\1/p' "$1"; }
for algo in als ials; do
    common=(--algo "$algo" --epochs 4 --factors 16 --threads 1 --set valid_frac=0.1 --seed 7)
    "$MFREC" train "$T/d" "${common[@]}" -o "$T/$algo.1p.mfm" >"$T/$algo.1p.out" 2>&1 ||
        { bad "$algo: one process: $(cat "$T/$algo.1p.out")"; continue; }
    want=$(rmse "$T/$algo.1p.out")
    for n in 1 2 4; do
        if ! run_mpi "$n" train "$T/d" "${common[@]}" -o "$T/$algo.$n.mfm" >"$T/$algo.$n.out" 2>"$T/$algo.$n.err"; then
            bad "$algo P=$n: exit $?: $(cat "$T/$algo.$n.err")"
            continue
        fi
        got=$(rmse "$T/$algo.$n.out")
        [ -n "$want" ] && [ "$got" = "$want" ] && ok "$algo P=$n: valid RMSE $got as one process" ||
            bad "$algo P=$n: valid RMSE '$got', one process '$want'"
        d=$(same "$T/$algo.1p.mfm" "$T/$algo.$n.mfm" 1e-4) && ok "$algo P=$n: $d" || bad "$algo P=$n: $d"
        c=$(grep -c '^trained ' "$T/$algo.$n.out")
        [ "$c" = 1 ] && ok "$algo P=$n: one summary (rank 0)" || bad "$algo P=$n: $c summaries"
        grep -q "^distributed: $n rank" "$T/$algo.$n.out" && ok "$algo P=$n: ran on $n ranks" ||
            bad "$algo P=$n: $(grep distributed "$T/$algo.$n.out")"
    done
done
# ALS rows are solved by the same solver in the same order: no rounding at all
d=$(same "$T/als.1p.mfm" "$T/als.4.mfm" 0) && ok "als P=4: bit-identical ($d)" || bad "als P=4 not bit-identical: $d"
# a family without a distributed fit is refused by name, on one line (rank 0)
run_mpi 2 train "$T/d" --algo sgd -o "$T/sgd.mfm" >"$T/sgd.out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "sgd has no distributed fit" "$T/sgd.out" && ok "sgd refused (exit $rc)" ||
    bad "sgd: exit $rc: $(cat "$T/sgd.out")"
finish
