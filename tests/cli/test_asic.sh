#!/usr/bin/env bash
# The asic target from the command line: modeled latency and energy with
# their breakdown, outputs in the preset's datatype, presets by name or file,
# and bad presets refused before anything runs.
. "$(dirname "$0")/lib.sh"
q() { rb query --format csv "$1" | tail -1; }
last() { q "SELECT $1 FROM v_results WHERE run_id = (SELECT max(id) FROM runs) AND target='asic' ${2:-}"; }
metric() { q "SELECT m.value FROM metrics m JOIN v_results r ON r.result_id = m.result_id WHERE r.run_id = (SELECT max(id) FROM runs) AND r.target='asic' AND m.name='$1' ${2:-}"; }
RUN=(--targets asic --reps 2 --min-time 0 --warmup 1 -q)

expect 0 --out "asic" --out "analytical model" -- rb list --targets asic --seq 1 --hidden 1
# tpu-v1 by default: modeled latency, energy from the model with its breakdown
expect 0 --out "asic   lstm_infer_t4_b2_i32_h256_l1" --out " ok" -- rb run "${RUN[@]}" --seq 4 --hidden 256 --input 32 --batch 2
check "modeled latency, int8" "$(last "latency_source = 'modeled' AND numerics = 'int8 per-tensor, int32 acc'")" "1"
check "latency = cycles / clock" "$(last "abs(median_ms - $(metric cycles) / ($(metric clock_mhz) * 1e3)) < 1e-9")" "1"
check "energy from the model" "$(last "energy_source")" "model"
parts=$(q "SELECT sum(m.value) FROM metrics m JOIN v_results r ON r.result_id = m.result_id WHERE r.run_id = (SELECT max(id) FROM runs) AND r.target='asic' AND m.name LIKE 'energy_%_j'")
check "energy = sum of its parts" "$(last "abs(energy_j - $parts) <= 1e-12 * energy_j")" "1"
check "bound fractions sum to 1" "$(q "SELECT abs(sum(m.value) - 1) < 1e-9 FROM metrics m JOIN v_results r ON r.result_id = m.result_id WHERE r.run_id = (SELECT max(id) FROM runs) AND r.target='asic' AND m.name LIKE 'bound_%_frac'")" "1"
check "tpu-v1 streams its weights" "$(metric weights_resident)" "0"
check "and is weight-bound at batch 2" "$(metric bound_weights_frac "AND m.value > 0.9")" "$(metric bound_weights_frac)"
check "int8 error is a quality figure" "$(last "err_tol IS NULL AND err_max_abs > 0 AND err_max_abs < 0.2")" "1"
check "preset recorded" "$(q "SELECT json_extract(extra_json, '$.preset') || ' ' || json_extract(extra_json, '$.energy.mac_pj.from') FROM devices WHERE target='asic' ORDER BY id DESC LIMIT 1")" "tpu-v1 horowitz45 x0.622"
check "peak FLOP/s of the array" "$(q "SELECT peak_flops = 2 * 256 * 256 * 700e6 FROM devices WHERE target='asic' ORDER BY id DESC LIMIT 1")" "1"

# the other presets: bf16 and the edge part; an fp32 preset is checked like the cpu
expect 0 --out " ok" -- rb run "${RUN[@]}" --seq 3 --hidden 32 --asic-preset dc-bf16
check "bf16 numerics" "$(last "numerics = 'bf16, fp32 acc'")" "1"
check "dc-bf16 keeps small weights on chip" "$(metric weights_resident)" "1"
expect 0 --out " ok" -- rb run "${RUN[@]}" --seq 3 --hidden 32 --cell rnn --asic-preset edge-npu
check "edge-npu per-channel" "$(last "numerics = 'int8 per-channel, int32 acc'")" "1"
sed -e 's/^datatype = bf16.*/datatype = fp32/' -e 's/^name = dc-bf16/name = dc-fp32/' \
    "$RB_SRC/targets/asic/presets/dc-bf16.ini" >fp32.ini
expect 0 --out " ok" -- rb run "${RUN[@]}" --seq 3 --hidden 32 --asic-preset fp32.ini
check "an fp32 preset is checked against the fp32 bound" "$(last "numerics || ' ' || (err_tol > 0) || ' ' || status")" "fp32 1 ok"
check "a file preset records its path" "$(q "SELECT json_extract(extra_json, '$.source') FROM devices WHERE target='asic' ORDER BY id DESC LIMIT 1")" "fp32.ini"

# the schedule (MODEL.md "Schedules"): the preset's, or the instance's; tpu-v1 is
# weight-bound at batch 1, so hoisting W_ih (streamed once instead of 10 times)
# takes (1 + 10) / (10 * 2) of the weight cycles, and auto picks it
expect 0 --out " ok" -- rb run "${RUN[@]}" --seq 10 --hidden 256 --input 256 --batch 1 \
    --targets 'asic,asic?schedule=hoisted,asic:tpu-v1?schedule=auto'
cyc() { q "SELECT m.value FROM metrics m JOIN v_results r ON r.result_id = m.result_id WHERE r.run_id = (SELECT max(id) FROM runs) AND r.instance='$1' AND m.name='$2'"; }
check "tpu-v1 is fused" "$(cyc asic schedule_hoisted)" "0"
check "the instance hoists" "$(cyc 'asic?schedule=hoisted' schedule_hoisted)" "1"
check "hoisted is about 11/20 of fused" "$(q "SELECT abs($(cyc 'asic?schedule=hoisted' cycles) / $(cyc asic cycles) - 0.55) < 0.01")" "1"
check "auto picks hoisted and keeps fused's cycles" "$(q "SELECT $(cyc 'asic:tpu-v1?schedule=auto' schedule_hoisted) = 1 AND $(cyc 'asic:tpu-v1?schedule=auto' schedule_auto_other_cycles) = $(cyc asic cycles)")" "1"
check "the device says the schedule" "$(q "SELECT json_extract(extra_json, '$.schedule') FROM devices WHERE instance='asic?schedule=hoisted' ORDER BY id DESC LIMIT 1")" "hoisted"
expect 2 --err "asic option schedule 'lazy': expected fused, hoisted or auto" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --targets 'asic?schedule=lazy'

# an accumulator too narrow for the dot product is unsupported, with the reason
sed -e 's/^datatype = int8.*/datatype = int16/' "$RB_SRC/targets/asic/presets/tpu-v1.ini" >int16.ini
expect 0 --out "unsupported" --out "accumulator" -- rb run "${RUN[@]}" --seq 2 --hidden 16 --asic-preset int16.ini

# bad presets: named, with the line and key, exit 2, nothing run
expect 2 --err "no such preset (built in: dc-bf16, edge-npu, tpu-v1)" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --asic-preset tpu-v9
grep -v '^clock_mhz' "$RB_SRC/targets/asic/presets/tpu-v1.ini" >noclock.ini
expect 2 --err "noclock.ini: missing [array] clock_mhz" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --asic-preset noclock.ini
sed -e 's/^rows = 256.*/rows = -3/' "$RB_SRC/targets/asic/presets/tpu-v1.ini" >neg.ini
expect 2 --err "neg.ini:16: [array] rows = '-3'" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --asic-preset neg.ini
printf '[array]\nspeed = fast\n' >unknown.ini
expect 2 --err "unknown.ini:2: [array] speed: unknown key" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --asic-preset unknown.ini
check "nothing was stored for the bad presets" "$(q "SELECT count(*) FROM runs WHERE status='running'")" "0"
finish
