#!/usr/bin/env bash
# dump writes PyTorch-named .npy files with the right shapes, reproducibly.
. "$(dirname "$0")/lib.sh"

expect 0 --out "cpu" --out "max rel" --out "wrote d1" -- rb dump --seq 5 --hidden 8 --batch 2 --seed 7 -o d1
for f in weight_ih_l0 weight_hh_l0 bias_ih_l0 bias_hh_l0 x y_ref h_n_ref c_n_ref y_cpu; do
    [[ -f d1/$f.npy ]]; check "d1/$f.npy exists" $? 0
done
[[ -f d1/meta.json ]]; check "meta.json exists" $? 0
# .npy v1.0: 128-byte header for these, then the data
check "x.npy size (5*2*8 f4)" "$(stat -c %s d1/x.npy)" $((128 + 5 * 2 * 8 * 4))
check "y_ref.npy size (5*2*8 f8)" "$(stat -c %s d1/y_ref.npy)" $((128 + 5 * 2 * 8 * 8))
check "weight_ih shape" "$(head -c 128 d1/weight_ih_l0.npy | tr -d '\0' | grep -o "'shape': ([0-9, ]*)")" "'shape': (32, 8)"
check "y_ref dtype" "$(head -c 128 d1/y_ref.npy | grep -ao "'descr': '<f8'")" "'descr': '<f8'"

# same seed, same files; another seed, other weights
expect 0 -- rb dump --seq 5 --hidden 8 --batch 2 --seed 7 -o d2
cmp -s d1/weight_hh_l0.npy d2/weight_hh_l0.npy && cmp -s d1/y_ref.npy d2/y_ref.npy
check "reproducible" $? 0
expect 0 -- rb dump --seq 5 --hidden 8 --batch 2 --seed 8 -o d3
cmp -s d1/weight_hh_l0.npy d3/weight_hh_l0.npy
check "seed changes weights" $? 1

expect 0 --out "wrote r" -- rb dump --cell rnn --seq 3 --hidden 4 --input 6 --layers 2 -o r
check "rnn has no c_n" "$([[ -e r/c_n_ref.npy ]] && echo yes || echo no)" "no"
check "layer 1 input is H" "$(head -c 128 r/weight_ih_l1.npy | tr -d '\0' | grep -o "'shape': ([0-9, ]*)")" "'shape': (4, 4)"
# --mode train adds the training target, the reference gradients and the target's
expect 0 --out "cpu    gradients: worst tensor" --out "wrote t (lstm_train_t4_b2_i3_h5_l2)" \
    -- rb dump --mode train --seq 4 --batch 2 --input 3 --hidden 5 --layers 2 -o t
for f in y_target dx_ref dx_cpu grad_ref/weight_ih_l1 grad_ref/bias_hh_l0 grad_cpu/weight_hh_l1 grad_cpu/bias_ih_l1; do
    [[ -f t/$f.npy ]]; check "t/$f.npy exists" $? 0
done
check "gradient shape = parameter shape" "$(head -c 128 t/grad_cpu/weight_ih_l0.npy | tr -d '\0' | grep -o "'shape': ([0-9, ]*)")" "'shape': (20, 3)"
check "reference gradients are fp64" "$(head -c 128 t/grad_ref/weight_hh_l0.npy | grep -ao "'descr': '<f8'")" "'descr': '<f8'"
check "dx is [T,B,I]" "$(head -c 128 t/dx_cpu.npy | tr -d '\0' | grep -o "'shape': ([0-9, ]*)")" "'shape': (4, 2, 3)"
check "meta says train" "$(grep -c '"mode":.*"train"' t/meta.json)" "1"
expect 0 --out "does not train" -- rb dump --mode train --seq 2 --hidden 4 --targets asic -o t2
finish
