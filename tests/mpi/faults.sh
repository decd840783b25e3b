#!/usr/bin/env bash
# faults.sh — failures in a distributed run (issue 9): bad input on one rank
# stops every rank with that rank's file:line error; data that differs
# between ranks is refused; a rank killed mid-training makes mpirun and all
# ranks exit non-zero within a bound (no hang), and so does a rank that
# stops answering (the others' --rank-timeout); --resume from the last
# checkpoint then gives the model an uninterrupted run gives.
source "$(dirname "$0")/lib.bash"
synth "$T/d"
mkdir -p "$T/bad"
cp "$T/d"/*.csv "$T/bad/"
sed -i '5s/.*/1,abc,4.0,99/' "$T/bad/ratings.csv" # a malformed row on line 5
mpmd() { # rank 0 reads $1, rank 1 reads $2
    local a=$1 b=$2; shift 2
    timeout 60 mpirun --oversubscribe --bind-to none -n 1 "$MFREC" train "$a" "$@" : -n 1 "$MFREC" train "$b" "$@"
}

# 1. a malformed row on rank 1 (--strict): rank 1's file:line message, exit 3 (MFR_E_PARSE)
mpmd "$T/d" "$T/bad" --algo als --strict -o "$T/x.mfm" >"$T/1.out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q '^mfrec train: rank 1: ratings.csv:5: movie id "abc"' "$T/1.out" &&
    ok "malformed row on rank 1: exit 3, rank 1's ratings.csv:5 error" || bad "malformed row: exit $rc: $(head -3 "$T/1.out")"
[ ! -e "$T/x.mfm" ] && ok "no model written" || bad "a model was written"

# 2. a missing file on rank 1 only: rank 1's message, exit 2 (MFR_E_IO)
mpmd "$T/d" "$T/none" --algo als -o "$T/x.mfm" >"$T/2.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "^mfrec train: rank 1: .*none" "$T/2.out" && ok "missing file on rank 1: exit 2, named" ||
    bad "missing file: exit $rc: $(head -3 "$T/2.out")"

# 3. the row skipped on rank 1 only (not --strict): the data differ, refused
mpmd "$T/d" "$T/bad" --algo als -o "$T/x.mfm" >"$T/3.out" 2>&1
rc=$?
[ $rc -eq 5 ] && grep -q "rank 1: its data differs from rank 0's (39999 ratings" "$T/3.out" &&
    ok "different data on rank 1 refused (exit 5)" || bad "different data: exit $rc: $(head -3 "$T/3.out")"

# 4. the uninterrupted reference, with checkpoints every 2 epochs. 400
# epochs: the run of step 5 must still be training when its rank is killed
# (60 epochs took 0.16 s on a quiet 2-core machine, less than the wait below)
args=(--algo als --epochs 400 --factors 16 --threads 1 --seed 5)
run_mpi 2 train "$T/d" "${args[@]}" -o "$T/ref.mfm" -q >"$T/4.out" 2>&1 && ok "reference run" ||
    bad "reference run: $(cat "$T/4.out")"

# 5. kill rank 1 once a checkpoint exists: everything ends, non-zero, within 60 s
mkdir -p "$T/ck"
timeout 90 mpirun --oversubscribe --bind-to none -n 2 "$MFREC" train "$T/d" "${args[@]}" \
    --checkpoint "$T/ck" --checkpoint-every 2 -o "$T/cut.mfm" -q >"$T/5.out" 2>&1 &
job=$!
for _ in $(seq 300); do [ -s "$T/ck/checkpoint.mfc" ] && break; sleep 0.1; done
sleep 0.3
victim=""
for pid in $(pgrep -P "$job" -x mpirun 2>/dev/null) $job; do
    for c in $(pgrep -P "$pid" 2>/dev/null); do
        [ "$(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | grep -c -- "--checkpoint $T/ck")" = 1 ] && victim="$victim $c"
    done
done
set -- $victim
if [ $# -lt 2 ]; then
    bad "did not find the 2 ranks (found: $victim); $(cat "$T/5.out")"
    kill "$job" 2>/dev/null
else
    t0=$(date +%s)
    kill -9 "$2"
    wait "$job"
    rc=$?
    t1=$(date +%s)
    [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $((t1 - t0)) -le 60 ] &&
        ok "rank killed: mpirun exit $rc after $((t1 - t0)) s" || bad "rank killed: exit $rc after $((t1 - t0)) s"
    for _ in $(seq 100); do # the other rank goes too (mpirun's SIGTERM), within 10 s
        alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
    [ $alive -eq 0 ] && ok "no rank left running" || bad "$alive ranks still running"
    [ ! -e "$T/cut.mfm" ] && ok "the killed run wrote no model" || bad "the killed run wrote a model"
fi

# 5b. a rank that stops answering (SIGSTOP: alive, its connections open, so
# neither Open MPI nor TCP notices): the other ranks wait --rank-timeout for
# it, name it, and the run ends with exit 15 (MFR_E_TIMEOUT)
# (10 s: with 3 s the name check failed twice in this project's full suites
# at a load of 17 on 2 cores, and passed when rerun alone; a live rank that is
# off the CPU must not look like the stopped one)
timeout 120 mpirun --oversubscribe --bind-to none -n 3 "$MFREC" train "$T/d" --algo als --epochs 1000000 \
    --factors 16 --threads 1 --seed 5 -q --rank-timeout 10 --checkpoint "$T/ckstop" --checkpoint-every 20 \
    -o "$T/stop.mfm" >"$T/5b.out" 2>&1 &
job=$!
for _ in $(seq 600); do [ -s "$T/ckstop/checkpoint.mfc" ] && break; sleep 0.1; done
stopped=""
for pid in $(pgrep -P "$job" -x mpirun 2>/dev/null) $job; do
    for c in $(pgrep -P "$pid" 2>/dev/null); do
        [ "$(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | grep -c -- "--checkpoint $T/ckstop")" = 1 ] &&
            [ "$(tr '\0' '\n' <"/proc/$c/environ" 2>/dev/null | grep -c '^OMPI_COMM_WORLD_RANK=2$')" = 1 ] && stopped=$c
    done
done
if [ -z "$stopped" ]; then
    bad "did not find rank 2 to stop; $(cat "$T/5b.out")"
    kill "$job" 2>/dev/null
else
    t0=$(date +%s)
    kill -STOP "$stopped"
    wait "$job"
    rc=$?
    t1=$(date +%s)
    [ $rc -eq 15 ] && [ $((t1 - t0)) -le 40 ] && ok "rank 2 stopped: mpirun exit 15 after $((t1 - t0)) s" ||
        bad "rank 2 stopped: exit $rc after $((t1 - t0)) s: $(head -5 "$T/5b.out")"
    grep -Eq "mfrec train: rank [01]: on host [^ ]+, waited 10 s \(--rank-timeout\) for (any of .*)?rank 2 \(host [^)]+\).* of epoch [0-9]+: no answer" "$T/5b.out" &&
        ok "the others named rank 2, the operation and the epoch" || bad "no timeout message: $(head -5 "$T/5b.out")"
    for _ in $(seq 100); do kill -0 "$stopped" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$stopped" 2>/dev/null && { bad "the stopped rank is still there"; kill -9 "$stopped"; } || ok "the stopped rank is gone too"
fi
run_one train "$T/d" --algo als --rank-timeout 0 -o "$T/z.mfm" >"$T/5c.out" 2>&1
[ $? -eq 5 ] && grep -q "rank-timeout" "$T/5c.out" && ok "--rank-timeout 0 refused (exit 5)" || bad "--rank-timeout 0: $(cat "$T/5c.out")"

# 6. resume: completes, and equals the uninterrupted model exactly (als is deterministic)
run_mpi 2 train "$T/d" "${args[@]}" --resume "$T/ck" --checkpoint "$T/ck" -o "$T/res.mfm" -q >"$T/6.out" 2>&1 &&
    ok "resumed run completed" || bad "resume: $(cat "$T/6.out")"
d=$(same "$T/ref.mfm" "$T/res.mfm" 0) && ok "resumed model = uninterrupted model ($d)" || bad "resumed model differs: $d"
# the same checkpoint resumed on another rank count: the same model too
run_mpi 1 train "$T/d" "${args[@]}" --resume "$T/ck" -o "$T/res1.mfm" -q >"$T/6b.out" 2>&1
d=$(same "$T/ref.mfm" "$T/res1.mfm" 0) && ok "resumed on 1 rank: same model ($d)" || bad "resumed on 1 rank: $d $(cat "$T/6b.out")"

# 6c. one process without mpirun (MPI not started; leak-checked under ASan):
# the checkpoint of epoch 200 resumed gives the uninterrupted model
one=(--algo als --epochs 400 --factors 16 --threads 1 --seed 5 -q)
run_one train "$T/d" "${one[@]/400/200}" --checkpoint "$T/ck1" -o "$T/half.mfm" >"$T/6c.out" 2>&1 &&
    run_one train "$T/d" "${one[@]}" --resume "$T/ck1" -o "$T/full1.mfm" >>"$T/6c.out" 2>&1 &&
    grep -q "^distributed: 1 rank;" "$T/6c.out" && ok "one process: checkpoint, resume" || bad "one process: $(cat "$T/6c.out")"
d=$(same "$T/ref.mfm" "$T/full1.mfm" 0) && ok "one process resumed = uninterrupted ($d)" || bad "one process resumed: $d"

# 6d. a checkpoint folder that cannot be made is an error before the first epoch
run_one train "$T/d" "${one[@]}" --checkpoint "$T/no/such/dir" -o "$T/z.mfm" >"$T/6d.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "cannot create the checkpoint folder $T/no/such/dir" "$T/6d.out" && ! grep -q "^distributed" "$T/6d.out" &&
    ok "unmakeable checkpoint folder: exit 2 before training" || bad "checkpoint folder: exit $rc: $(cat "$T/6d.out")"

# 7. a checkpoint of another run is refused by name
run_mpi 2 train "$T/d" --algo als --epochs 60 --factors 8 --threads 1 --seed 5 --resume "$T/ck" -o "$T/y.mfm" >"$T/7.out" 2>&1
rc=$?
[ $rc -eq 5 ] && grep -q "checkpoint.mfc: a checkpoint of another run" "$T/7.out" && [ "$(grep -c 'another run' "$T/7.out")" = 1 ] &&
    ok "foreign checkpoint refused once (exit 5)" || bad "foreign checkpoint: exit $rc: $(head -3 "$T/7.out")"

# 8. sgd (DSGD): the checkpoint of epoch 20 on 2 ranks, resumed to 40, gives
# the uninterrupted 40-epoch model exactly (the learning rate continues
# where it was; the strata and shuffles depend on the seed and P alone)
sg=(--algo sgd --factors 16 --threads 1 --seed 5 -q)
run_mpi 2 train "$T/d" "${sg[@]}" --epochs 40 -o "$T/sref.mfm" >"$T/8.out" 2>&1 &&
    run_mpi 2 train "$T/d" "${sg[@]}" --epochs 20 --checkpoint "$T/sck" -o "$T/shalf.mfm" >>"$T/8.out" 2>&1 &&
    run_mpi 2 train "$T/d" "${sg[@]}" --epochs 40 --resume "$T/sck" -o "$T/sres.mfm" >>"$T/8.out" 2>&1 &&
    ok "sgd: reference, checkpoint and resumed runs" || bad "sgd resume: $(cat "$T/8.out")"
d=$(same "$T/sref.mfm" "$T/sres.mfm" 0) && ok "sgd resumed = uninterrupted ($d)" || bad "sgd resumed differs: $d"
d=$(same "$T/sref.mfm" "$T/shalf.mfm" 0) && bad "sgd: the 20-epoch model equals the 40-epoch one ($d)" ||
    ok "sgd: the checkpointed run stopped at 20 epochs (its model differs)"
# a checkpoint of another learning rate is another run
run_mpi 2 train "$T/d" "${sg[@]}" --epochs 40 --lr 0.01 --resume "$T/sck" -o "$T/sy.mfm" >"$T/8b.out" 2>&1
rc=$?
[ $rc -eq 5 ] && grep -q "a checkpoint of another run" "$T/8b.out" && ok "sgd: checkpoint of another lr refused (exit 5)" ||
    bad "sgd other lr: exit $rc: $(head -3 "$T/8b.out")"
finish
