#!/usr/bin/env bash
# train and eval: the synthetic rule is learnt, the curve and the model are
# stored, the saved model reloads and predicts as it did, every target
# evaluates it, the report shows it and its accuracy constraint acts; the
# fortunes data beats its baseline; bad input and Ctrl-C lose nothing.
. "$(dirname "$0")/lib.sh"
q() { rb query --format csv "$1" | tail -1; }
SYN=(--task synthetic --tokens 24 --hidden 32 --layers 1 --embed 16 --lr 0.01 --seed 3)

expect 0 --out "--max-per-class" --out "--epochs" -- rb train --help
expect 0 --out "--model DIR" -- rb eval --help
expect 0 --out "train" --out "eval" -- rb --help

expect 0 --out "trained lstm_h32_l1_e16_t24 on cpu" --err "epoch 20/20" --err "majority-class baseline" \
    -- rb train "${SYN[@]}" --epochs 20 -o syn
check "a row per epoch and split" "$(q "SELECT count(*) FROM accuracy WHERE phase='train' AND model='lstm_h32_l1_e16_t24'")" "40"
check "baseline beside the test curve" "$(q "SELECT count(*) FROM accuracy WHERE split='test' AND phase='train' AND baseline_accuracy > 0.2 AND baseline_accuracy < 0.3")" "20"
check "the rule is learnt" "$(q "SELECT accuracy >= 0.9 AND macro_f1 >= 0.9 FROM accuracy WHERE split='test' AND epoch=20")" "1"
check "loss falls" "$(q "SELECT (SELECT loss FROM accuracy WHERE split='train' AND epoch=20) < 0.5 * (SELECT loss FROM accuracy WHERE split='train' AND epoch=1)")" "1"
check "train run recorded" "$(q "SELECT status || '/' || json_extract(config_json, '$.command') FROM runs WHERE id=1")" "complete/train"
for f in weight_ih_l0 weight_hh_l0 bias_ih_l0 bias_hh_l0 embedding head_weight head_bias; do
    [[ -f syn/$f.npy ]]; check "syn/$f.npy saved" $? 0
done
grep -q "^epoch *= *20" syn/textclass.ini; check "the saved epoch" $? 0

# the same model on every target; the cpu reproduces training's last figure exactly
expect 0 --out "cpu    fp32" --out "fpga   fixed Q3.12" --out "asic" -- rb eval --task synthetic --model syn --targets cpu,gpu,fpga,asic -q
final=$(q "SELECT accuracy FROM accuracy WHERE phase='train' AND split='test' AND epoch=20")
check "reloaded model predicts as trained" "$(q "SELECT accuracy FROM v_accuracy WHERE phase='eval' AND target='cpu'")" "$final"
check "an eval row per target" "$(q "SELECT count(*) FROM v_accuracy WHERE phase='eval'")" "4"
check "fp32 gpu agrees with the cpu" "$(q "SELECT agreement >= 0.98 FROM v_accuracy WHERE phase='eval' AND target='gpu'")" "1"
check "Q3.12 fpga agrees with the cpu" "$(q "SELECT agreement >= 0.95 FROM v_accuracy WHERE phase='eval' AND target='fpga'")" "1"
check "the number format is stored" "$(q "SELECT numerics FROM v_accuracy WHERE phase='eval' AND target='fpga'")" "fixed Q3.12"
check "each run's kind" "$(q "SELECT group_concat(kind, '/') FROM (SELECT kind FROM v_runs ORDER BY run_id)")" "train/eval"
expect 2 --err "run 2 of results.db is not a benchmark run but a run of \`rnnbench eval\`" -- rb report --run 2

# another reference: evaluated first, agreement measured against it (agreement is
# symmetric: the cpu against the fpga equals the fpga against the cpu above)
expect 0 --out "fpga   fixed Q3.12" -- rb eval --db ref.db --task synthetic --model syn --targets cpu --reference fpga -q
qr() { rb query --db ref.db --format csv "$1" | tail -1; }
check "the reference first" "$(qr "SELECT group_concat(target, ' ') FROM (SELECT target FROM v_accuracy ORDER BY id)")" "fpga cpu"
check "agreement against the reference" "$(qr "SELECT agreement FROM v_accuracy WHERE target='cpu'")" "$(q "SELECT agreement FROM v_accuracy WHERE phase='eval' AND target='fpga'")"
check "the reference's own agreement" "$(qr "SELECT agreement = 1 FROM v_accuracy WHERE target='fpga'")" "1"
check "the reference is stored" "$(qr "SELECT json_extract(config_json, '$.reference') FROM runs")" "fpga"
expect 2 --err "--reference: unknown target 'nosuch'" -- rb eval --db ref.db --model syn --reference nosuch

# the report: curves, the table, and the constraint
expect 0 -- rb run --targets cpu,fpga --seq 24 --hidden 32 --input 16 --batch 8 "${FAST[@]}" -q
expect 0 -- rb report --html -o r.html
grep -q 'id="accuracy-eval"' r.html && grep -q 'id="chart-training"' r.html && grep -q 'lstm_h32_l1_e16_t24' r.html
check "report shows the task" $? 0
expect 0 --out "accuracy drop ≤ 0.5" --out "within the 0.5 drop limit" -- rb report --md --max-accuracy-drop 0.5
expect 0 -- rb run --db other.db --targets cpu --seq 2 --hidden 4 "${FAST[@]}" -q
expect 0 --out "no evaluation of this workload's model (the 0.5 accuracy drop limit says nothing about it)" \
    -- rb report --md --max-accuracy-drop 0.5 --db other.db
# the classifier's accuracy constrains its own shapes only (h32 l1 e16), not a wider stack
expect 0 -- rb run --targets cpu --seq 24 --hidden 64 --input 16 --batch 8 "${FAST[@]}" -q --label wider
expect 0 --out "no evaluation of this workload's model" --no-out "within the 0.5 drop limit" \
    -- rb report --md --max-accuracy-drop 0.5 --label wider
expect 2 --err "max-accuracy-drop" -- rb report --md --max-accuracy-drop 2

# an RNN and the gpu train too; a GRU learns the rule as the LSTM does
expect 0 --out "trained rnn_h32_l1_e16_t24 on cpu" -- rb train "${SYN[@]}" --cell rnn --epochs 2 -o rnn -q
expect 0 --out "trained gru_h32_l1_e16_t24 on cpu" -- rb train --db gru.db "${SYN[@]}" --cell gru --epochs 8 -o gru -q
check "a GRU learns the rule" "$(rb query --db gru.db --format csv "SELECT accuracy >= 0.9 AND macro_f1 >= 0.9 FROM accuracy WHERE split='test' AND epoch=8" | tail -1)" "1"
grep -q "^cell *= *gru" gru/textclass.ini; check "the saved cell" $? 0
expect 0 --out "trained lstm_h32_l1_e16_t24 on gpu" -- rb train "${SYN[@]}" --targets gpu --epochs 2 -o g -q

# the real data (a small, fast configuration): well above the majority class
if [[ -d /usr/share/games/fortunes ]]; then
    expect 0 --out "trained lstm_h32_l1_e32_t24" -- rb train --db f.db --hidden 32 --layers 1 --embed 32 \
        --tokens 24 --epochs 8 --lr 0.005 -o fort -q
    check "fortunes: accuracy and macro-F1 beat the baseline" "$(rb query --db f.db --format csv "SELECT accuracy >= baseline_accuracy + 0.08 AND macro_f1 >= 3 * baseline_macro_f1 FROM accuracy WHERE split='test' AND epoch=8" | tail -1)" "1"
    expect 0 --out "trained gru_h32_l1_e32_t24" -- rb train --db fg.db --cell gru --hidden 32 --layers 1 \
        --embed 32 --tokens 24 --epochs 8 --lr 0.005 -o fortg -q
    check "fortunes: a GRU beats the baseline" "$(rb query --db fg.db --format csv "SELECT accuracy >= baseline_accuracy + 0.08 AND macro_f1 >= 3 * baseline_macro_f1 FROM accuracy WHERE split='test' AND epoch=8" | tail -1)" "1"
else
    echo "note: /usr/share/games/fortunes missing (apt-get install fortunes): fortunes case skipped"
fi

# bad input: a clear message, exit 2, nothing half-written
mkdir -p empty
expect 2 --err "apt-get install fortunes" -- env RB_FORTUNES_DIR="$TMP/empty" "$RNNBENCH" train -o x -q
[[ ! -e x ]]; check "no model for a missing dataset" $? 0
expect 2 --err "does not train" -- rb train "${SYN[@]}" --targets fpga -o x
expect 2 --err "one target" -- rb train "${SYN[@]}" --targets cpu,gpu -o x
expect 2 --err "expected lstm, gru or rnn" -- rb train --cell gur
expect 2 --err "expected fortunes or synthetic" -- rb train --task mnist
expect 2 --err "epochs" -- rb train --epochs 0
expect 2 --err "--model is required" -- rb eval
expect 2 --err "nope" -- rb eval --model nope
expect 2 --err "a model of the synthetic task" -- rb eval --task fortunes --model syn

# Ctrl-C: the run is marked interrupted and the last finished epoch's model is kept
"$RNNBENCH" train "${SYN[@]}" --epochs 100000 -o long >long.out 2>long.err &
pid=$!
for _ in $(seq 100); do
    grep -q "^epoch 2/" long.err 2>/dev/null && break
    sleep 0.1
done
kill -INT $pid
wait $pid
check "SIGINT exit status" $? 3
grep -q "model of the last finished epoch is saved" long.err; check "says what is kept" $? 0
check "train run interrupted" "$(q "SELECT status FROM runs WHERE json_extract(config_json, '$.output') = 'long'")" "interrupted"
expect 0 --out "cpu    fp32" -- rb eval --model long --targets cpu -q
finish
