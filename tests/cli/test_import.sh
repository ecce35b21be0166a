#!/usr/bin/env bash
# Imported models: inspect, run, dump and eval an ONNX file or a PyTorch
# state_dict; identity by name and content hash; every kind of bad file
# refused with its reason (exit 2); a trained classifier exported as ONNX
# scores the same imported back, and ONNX's own checker accepts the file.
. "$(dirname "$0")/lib.sh"
q() { rb query --db "${DB:-results.db}" --format csv "$1" | tail -1; }
FX="$RB_FIXTURES/onnx"
BI="$FX/lstm_l2_bi_bf_emb_head"
L3="$FX/lstm_l3_head"
NODE=/usr/share/libonnx-testdata/data/node

expect 0 --out "Usage: rnnbench inspect MODEL" -- rb inspect --help
expect 2 --err "which model?" -- rb inspect
expect 0 --out "--model LIST" --out "--weights DIR" -- rb run --help
expect 0 --out "--inputs DIR" --out "--labels FILE" -- rb eval --help
expect 0 --out "--onnx DIR -o FILE" -- rb export --help

# what a model is, before anything runs
expect 0 --out "LSTM, 2 layers, bidirectional, hidden 7, input 8" --out "needs      bidirectional" \
    --out "seq free" --out "batch free" --out "before the stack: " --out "Gather" \
    --out "after the stack: " --out "Gemm" --out "cpu    runs it" \
    --out "lstm_infer_t1_b1_i8_h7_l2_bi_lstm_l2_bi_bf_emb_head-" -- rb inspect "$BI/model.onnx"
expect 0 --out "PyTorch state_dict" --out "ignored    emb.weight.npy" \
    --out "LSTM, 2 layers, bidirectional, hidden 7, input 8" -- rb inspect "$BI/state_dict"
expect 0 --out "needs      peepholes" --out "batch 3 (fixed by the file)" \
    -- rb inspect "$FX/lstm_peepholes_onnxref/model.onnx"

expect 0 --out "RNN (tanh), 1 layer, forward, hidden 5, input 3" -- rb inspect "$FX/constant_weights.onnx"
# ONNX's default GRU (linear_before_reset = 0): the cpu runs it, the asic refuses it by
# name (the fpga too, where it is built), in a run and in explore alike
expect 0 --out "stack      GRU, 1 layer, forward, hidden 6, input 4" \
    --out "needs      linear_before_reset=0" --out "cpu    runs it" \
    --out "asic   unsupported: linear_before_reset=0" -- rb inspect "$FX/gru_lbr0.onnx"
expect 0 --out "unsupported: linear_before_reset=0" -- rb run --db lbr.db --model "$FX/gru_lbr0.onnx" \
    --seq 5 --targets cpu,asic --reps 3 --min-time 0 --warmup 1 -q
check "lbr=0: the cpu's result" "$(DB=lbr.db q "SELECT status FROM v_results WHERE target='cpu'")" "ok"
expect 1 --out "refused (1): unsupported: linear_before_reset=0" \
    -- rb explore --target asic --model "$FX/gru_lbr0.onnx" --seq 5 --no-store

# refused, each for its reason, naming it
expect 0 --out "stack      GRU, 1 layer, forward" --out "needs      linear_before_reset=0" -- rb inspect "$NODE/test_gru_defaults/model.onnx"
expect 2 --err "HardSigmoid node 'squash' (node 2 of 2, after LSTM node 'lstm'): unsupported operator" \
    -- rb inspect "$FX/bad/unsupported_op.onnx"
expect 2 --err "unsupported: activation Relu" -- rb inspect "$FX/bad/activation_relu.onnx"
expect 2 --err "opset 6 is outside the range rnnbench reads (7..17)" -- rb inspect "$FX/bad/opset6.onnx"
expect 2 --err "unsupported: Y_c" -- rb inspect "$FX/bad/uses_y_c.onnx"
expect 2 --err "weights.bin: cannot open" -- rb inspect "$FX/bad/external_missing.onnx"
expect 2 --err "60 bytes of data, but FLOAT of 16 elements needs 64" -- rb inspect "$FX/bad/short_weights.onnx"
# external data: read from beside the model, never from outside its directory
mkdir -p ext/in
/usr/bin/python3 - "$L3/model.onnx" <<'PY'
import sys, onnx
m = onnx.load(sys.argv[1])
onnx.save_model(m, "ext/in/model.onnx", save_as_external_data=True,
                all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
for t in m.graph.initializer:
    for kv in t.external_data:
        if kv.key == "location":
            kv.value = "../weights.bin"
onnx.save_model(m, "ext/escape.onnx")
PY
expect 0 --out "LSTM, 3 layers, forward, hidden 6, input 5" -- rb inspect ext/in/model.onnx
check "external data gives the same weights" \
    "$(rb inspect ext/in/model.onnx | grep -c "lstm_infer_t1_b1_i5_h6_l3_in-")" "1"
expect 0 --out "within" -- rb eval --model ext/in/model.onnx --inputs "$L3/inputs" --targets cpu
expect 2 --err "is not a relative path beside the model" -- rb inspect ext/escape.onnx
expect 2 --err "no LSTM, GRU or RNN node" -- rb inspect "$FX/bad/no_recurrent.onnx"
head -c 300 "$BI/model.onnx" >truncated.onnx
expect 2 --err "the protobuf does not parse" -- rb inspect truncated.onnx
: >empty.onnx
expect 2 --err "no graph" -- rb inspect empty.onnx
expect 2 --err "not a regular file" -- rb inspect /dev/zero
mkdir nothing
expect 2 --err "no PyTorch LSTM/GRU/RNN parameters" -- rb inspect nothing
expect 2 --err "cannot open" -- rb inspect missing.onnx
expect 2 --err "its weights are graph inputs" -- rb run --model "$NODE/test_lstm_defaults/model.onnx" -q

# a benchmark of an imported model: its dimensions, free axes, identity
expect 0 --out "cpu    lstm_infer_t6_b1_i8_h7_l2_bi_lstm_l2_bi_bf_emb_head-" \
    --out "asic   lstm_infer_t6_b2_i8_h7_l2_bi_lstm_l2_bi_bf_emb_head-" \
    -- rb run --model "$BI/model.onnx" --seq 6 --batch 1,2 --targets cpu,asic "${FAST[@]}" -q
check "two points, each ok on cpu" "$(q "SELECT count(*) FROM v_results WHERE target='cpu' AND status='ok' AND model LIKE 'lstm_l2_bi_bf_emb_head-%' AND dirs=2")" "2"
check "the stored features" "$(q "SELECT DISTINCT features FROM workloads")" "bidirectional"
check "bidirectional FLOPs: 2 directions, 2H into layer 2" \
    "$(q "SELECT flops FROM workloads WHERE batch=1")" \
    "$(awk 'BEGIN { H=7; I=8; T=6; printf "%.0f", 2*2*4*H*(I+H)*T + 2*2*4*H*(2*H+H)*T }')"
expect 0 -- rb run --model "$BI/model.onnx" --seq 6 --batch 1 --targets cpu "${FAST[@]}" -q
check "the same file pairs with the first run" "$(q "SELECT count(*) FROM workloads")" "2"
cp "$L3/model.onnx" other.onnx
expect 0 -- rb run --model other.onnx --seq 6 --targets cpu "${FAST[@]}" -q
cp "$BI/model.onnx" other.onnx
expect 0 -- rb run --model other.onnx --seq 6 --targets cpu "${FAST[@]}" -q
check "another content under one name is another model" \
    "$(q "SELECT count(DISTINCT model) FROM workloads WHERE model LIKE 'other-%'")" "2"
expect 0 --out "state_dict-" -- rb run --weights "$L3/state_dict" --seq 4 --targets cpu "${FAST[@]}" -q
expect 2 --err "hidden: set by the model" -- rb run --model "$BI/model.onnx" --hidden 8 -q
expect 2 --err "fixes batch = 3" -- rb run --model "$FX/lstm_peepholes_onnxref/model.onnx" --batch 2 -q
expect 2 --err "not a directory" -- rb run --weights "$BI/model.onnx" -q
expect 0 --out "unsupported: peepholes" --out "cpu    lstm_infer_t5_b3_i4_h6_l1" \
    -- rb run --model "$FX/lstm_peepholes_onnxref/model.onnx" --seq 5 --targets cpu,fpga "${FAST[@]}" -q

# training: a plain imported stack trains from its weights; more than that is refused per point
expect 0 --out "cpu    lstm_train_t4_b2_i5_h6_l3_lstm_l3_head-" --no-out "failed" \
    -- rb run --model "$L3/model.onnx" --mode train --seq 4 --batch 2 --targets cpu "${FAST[@]}" --db tr.db -q
expect 0 --out "unsupported: bidirectional (training covers the plain stack)" \
    -- rb run --model "$FX/lstm_l2_bi/model.onnx" --mode train --seq 4 --targets cpu "${FAST[@]}" --db tr.db -q

# a matrix file names models relative to itself
mkdir -p mx
cp "$L3/model.onnx" mx/l3.onnx
printf '[imported]\nmodel = l3.onnx\nseq = 3 5\n' >mx/m.ini
expect 0 --out "lstm_infer_t3_b1_i5_h6_l3_l3-" --out "lstm_infer_t5_b1_i5_h6_l3_l3-" \
    -- rb run --matrix mx/m.ini --targets cpu "${FAST[@]}" --db m.db -q
printf '[imported]\nmodel = l3.onnx\nhidden = 8\n' >mx/bad.ini
expect 2 --err "hidden: set by the model" -- rb list --matrix mx/bad.ini

# resume: the same model again, and a changed file refused
expect 0 -- rb run --model other.onnx --seq 6,7 --targets cpu "${FAST[@]}" --db r.db -q
sqlite3 r.db "PRAGMA foreign_keys = ON; UPDATE runs SET status='interrupted';
    DELETE FROM results WHERE workload_id = (SELECT id FROM workloads WHERE seq = 7)"
cp "$L3/model.onnx" other.onnx
expect 2 --err "has changed since the run began" -- rb run --resume 1 --db r.db -q
cp "$BI/model.onnx" other.onnx
expect 0 --err "resumed" -- rb run --resume 1 --db r.db
DB=r.db check "resumed to both points" "$(DB=r.db q "SELECT count(*) FROM results")" "2"

# dump: the stack of an imported model under PyTorch's names
expect 0 --out "wrote dumped" -- rb dump --model "$BI/model.onnx" --seq 4 --batch 2 -o dumped
for f in weight_ih_l0 weight_ih_l0_reverse weight_hh_l1_reverse bias_hh_l1; do
    [[ -f dumped/$f.npy ]]; check "dumped/$f.npy" $? 0
done
expect 2 --err "training covers the plain stack" -- rb dump --model "$BI/model.onnx" --mode train -o dumped_t
check "y_ref of both directions" "$(python3 -c "import struct,sys; d=open('dumped/y_ref.npy','rb').read(); print(d[10:10+d[8]].decode().split('shape')[1].strip())" 2>/dev/null | tr -d ' ')" "':(4,2,14),}"

# eval on the user's inputs: every target against the reference, labels scored
expect 0 --out "1 input set" --out "cpu      fp32" --out "within" \
    -- rb eval --model "$L3/model.onnx" --inputs "$L3/inputs" --targets cpu,asic
expect 0 --out "the reference against the 2 expected outputs" --out "max_rel 0 " \
    -- rb eval --model "$FX/lstm_peepholes_onnxref/model.onnx" --inputs "$FX/lstm_peepholes_onnxref" --targets cpu
expect 0 --out "the reference against the 2 expected outputs" \
    -- rb eval --model "$NODE/test_lstm_batchwise/model.onnx" --inputs "$NODE/test_lstm_batchwise" --targets cpu
expect 0 --out "state_dict-" --out "cpu      fp32" --out "within" \
    -- rb eval --weights "$L3/state_dict" --inputs "$L3/inputs" --targets cpu,asic
expect 2 --err "neither x.npy nor input_0.pb" -- rb eval --model "$L3/model.onnx" --inputs nothing
printf '0\n1\n2\n' >three.txt
expect 2 --err "3 labels, but the model's first output has 2 rows" \
    -- rb eval --model "$L3/model.onnx" --inputs "$L3/inputs" --labels three.txt
expect 2 --err "an imported model needs --inputs" -- rb eval --model "$L3/model.onnx"
expect 2 --err "--inputs and --labels are for an imported model" -- rb eval --model nothing --inputs x

# a trained classifier as ONNX and back: the same accuracy on every target
expect 0 -- rb train --task synthetic --tokens 16 --hidden 16 --embed 8 --epochs 6 --lr 0.02 --seed 2 \
    -o syn --db t.db -q
expect 0 -- rb eval --model syn --targets cpu,fpga --db t.db -q
expect 0 --err "test split into td" -- rb export --onnx syn -o syn.onnx --test-data td
expect 0 --out "syn-" --out "labels" -- rb eval --model syn.onnx --inputs td --labels td/labels.npy \
    --targets cpu,fpga --db t.db -q
for t in cpu fpga; do
    check "the $t scores the same imported back" \
        "$(DB=t.db q "SELECT count(DISTINCT round(accuracy, 9)) FROM v_accuracy WHERE phase='eval' AND target='$t'")" "1"
done
expect 2 --err "fixes seq = 16" -- rb run --model syn.onnx --seq 8 -q
# the fortunes classifier too (a small, quick configuration of it)
expect 0 -- rb train --max-per-class 60 --epochs 6 --hidden 16 --embed 16 --layers 1 -o fm --db f.db -q
expect 0 -- rb eval --model fm --targets cpu,fpga,asic --db f.db -q
expect 0 -- rb export --onnx fm -o fm.onnx --test-data ftd -q
expect 0 -- rb eval --model fm.onnx --inputs ftd --labels ftd/labels.npy --targets cpu,fpga,asic --db f.db -q
for t in cpu fpga asic; do
    check "fortunes on the $t scores the same imported back" \
        "$(DB=f.db q "SELECT count(*) || '/' || count(DISTINCT round(accuracy, 9)) FROM v_accuracy WHERE phase='eval' AND target='$t'")" "2/1"
done
# a GRU classifier: exported with linear_before_reset = 1 (PyTorch's GRU), which
# every target runs
expect 0 -- rb train --task synthetic --cell gru --tokens 16 --hidden 16 --embed 8 --epochs 6 \
    --lr 0.02 --seed 2 -o gsyn --db g.db -q
expect 0 -- rb eval --model gsyn --targets cpu,fpga,asic --db g.db -q
expect 0 -- rb export --onnx gsyn -o gsyn.onnx --test-data gtd -q
expect 0 --out "stack      GRU, 2 layers, forward, hidden 16" --out "needs      nothing beyond a plain stack" -- rb inspect gsyn.onnx
expect 0 -- rb eval --model gsyn.onnx --inputs gtd --labels gtd/labels.npy --targets cpu,fpga,asic \
    --db g.db -q
for t in cpu fpga asic; do
    check "a GRU on the $t scores the same imported back" \
        "$(DB=g.db q "SELECT count(*) || '/' || count(DISTINCT round(accuracy, 9)) FROM v_accuracy WHERE phase='eval' AND target='$t'")" "2/1"
done
if /usr/bin/python3 -c "import onnx" 2>/dev/null; then
    /usr/bin/python3 -c "import onnx; onnx.checker.check_model(onnx.load('syn.onnx'), full_check=True)"
    check "onnx.checker accepts the exported model" $? 0
    /usr/bin/python3 -c "import onnx; onnx.checker.check_model(onnx.load('gsyn.onnx'), full_check=True)"
    check "onnx.checker accepts the exported GRU" $? 0
else
    check "python3-onnx for onnx.checker (scripts/setup.sh installs it)" "missing" "installed"
fi
finish
