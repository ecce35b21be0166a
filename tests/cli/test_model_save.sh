#!/usr/bin/env bash
# A saved model is replaced all together or not at all (issue 14, item 5: a
# SIGKILL while `train` rewrote embedding.npy left it at 0 bytes and the last
# finished epoch's model was gone).  Every epoch's files go to DIR/.saving,
# are marked complete, then moved in; a reader finishes or drops an
# interrupted save.  RB_KILL_TRIALS=60 runs the long version of the last part.
. "$(dirname "$0")/lib.sh"
SYN=(--task synthetic --tokens 24 --hidden 32 --layers 1 --embed 16 --lr 0.01 -q)
sums() { (cd "$1" && cksum -- *) ; }

expect 0 -- rb train "${SYN[@]}" --seed 3 --epochs 2 -o m --db t.db
expect 0 -- rb train "${SYN[@]}" --seed 4 --epochs 1 -o other --db o.db
before=$(sums m)
[[ ! -e m/.saving ]]; check "no stage left after a save" $? 0

# killed while writing the stage: the stage is dropped, the model is the old one
mkdir m/.saving && : >m/.saving/embedding.npy
expect 0 -- rb eval --model m --targets cpu --db t.db
[[ ! -e m/.saving ]]; check "an incomplete stage is dropped" $? 0
check "the old model is whole" "$(sums m)" "$before"

# killed while moving a complete stage in: the reader finishes the move
mkdir m/.saving && cp other/* m/.saving/ && touch m/.saving/.complete
mv m/.saving/embedding.npy m/.saving/vocab.txt m/
expect 0 -- rb eval --model m --targets cpu --db t.db
check "a complete stage is moved in whole" "$(sums m)" "$(sums other)"

# real kills at random moments (seeded): after each, the model on disk is one
# finished epoch's, whole: the cpu reproduces that epoch's stored test accuracy
trials=${RB_KILL_TRIALS:-6}
RANDOM=14
ok=0
for ((i = 0; i < trials; i++)); do
    rm -rf k k.db
    "$RNNBENCH" train "${SYN[@]}" --seed 5 --epochs 2000 -o k --db k.db 2>/dev/null &
    pid=$!
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
    kill -KILL $pid
    wait $pid 2>/dev/null
    [[ -f k/textclass.ini ]] || { ok=$((ok + 1)); continue; } # killed before the first epoch ended
    # eval first: it finishes an interrupted save, which may be the next epoch's
    "$RNNBENCH" eval --model k --targets cpu --db k.db -q >/dev/null 2>&1 || { echo "trial $i: eval failed" >&2; continue; }
    epoch=$(sed -n 's/^epoch = //p' k/textclass.ini)
    want=$("$RNNBENCH" query --db k.db --format csv "SELECT accuracy FROM accuracy WHERE phase = 'train' AND split = 'test' AND epoch = $epoch" | tail -1)
    got=$("$RNNBENCH" query --db k.db --format csv "SELECT accuracy FROM accuracy WHERE phase = 'eval'" | tail -1)
    if [[ -n $want && $got == "$want" && -z $(find k -size 0) && ! -e k/.saving ]]; then
        ok=$((ok + 1))
    else
        echo "trial $i: epoch $epoch: eval accuracy '$got', training's '$want'" >&2
    fi
done
check "every killed training left a whole model ($trials trials)" "$ok" "$trials"
finish
