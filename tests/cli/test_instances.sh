#!/usr/bin/env bash
# Target instances: several configurations of one target in one run, each a
# device of its own, named canonically; the shorthand flags; resume; errors.
. "$(dirname "$0")/lib.sh"
q() { rb query --format csv "$1" | tail -1; }
# fig INSTANCE EXPR [RUN]: one figure of the single workload of the newest (or given) run
fig() {
    q "SELECT $2 FROM v_results WHERE instance = '$1' AND run_id = ${3:-(SELECT max(id) FROM runs)}"
}
cycles() {
    q "SELECT m.value FROM metrics m JOIN v_results r ON r.result_id = m.result_id
        WHERE r.instance = '$1' AND r.run_id = (SELECT max(id) FROM runs) AND m.name = 'cycles'"
}
POINT=(--seq 4 --hidden 16 --batch 1 --reps 3 --min-time 0 --warmup 1 -q)

if rb list --targets fpga --seq 1 --hidden 1 | grep -q "built without Verilator"; then
    echo "fpga unavailable: instances tested on the asic only"
    expect 0 --out "asic:edge-npu" -- rb run --targets asic:tpu-v1,asic:edge-npu "${POINT[@]}"
    finish
    exit
fi

specs='fpga:small,fpga:large,fpga:small?clock_mhz=100,asic:tpu-v1,asic:edge-npu'
expect 0 --out "fpga:small?clock_mhz=100 lstm_infer_t4_b1_i16_h16_l1" --out "asic:edge-npu" \
    -- rb run --targets "$specs" "${POINT[@]}"
check "five devices, canonical names" \
    "$(q "SELECT group_concat(instance, ' ') FROM (SELECT instance FROM devices WHERE run_id = 1 ORDER BY id)")" \
    "fpga:small fpga:large fpga:small?clock_mhz=100 asic:tpu-v1 asic:edge-npu"
check "options stored with each device" \
    "$(q "SELECT json_extract(options_json, '$.config') || ' ' || json_extract(options_json, '$.clock_mhz') || ' ' || json_extract(options_json, '$.sim') FROM devices WHERE instance = 'fpga:small?clock_mhz=100'")" \
    "small 100 auto"

# the same hardware at half the clock: the same cycles, twice the simulated latency
check "cycles do not depend on the clock" "$(cycles 'fpga:small?clock_mhz=100')" "$(cycles fpga:small)"
check "latency doubles at half the clock" \
    "$(q "SELECT abs(a.median_ms - 2 * b.median_ms) < 1e-12 FROM v_results a, v_results b
           WHERE a.instance = 'fpga:small?clock_mhz=100' AND b.instance = 'fpga:small'")" "1"
check "small and large differ in cycles" \
    "$([[ "$(cycles fpga:small)" != "$(cycles fpga:large)" ]] && echo differ)" "differ"
small_ms=$(fig fpga:small median_ms)
large_ms=$(fig fpga:large median_ms)
edge_ms=$(fig asic:edge-npu median_ms)
tpu_ms=$(fig asic:tpu-v1 median_ms)
check "two asic presets, two results" "$([[ "$edge_ms" != "$tpu_ms" ]] && echo differ)" "differ"

# shorthand flags are the same instances: same names, same deterministic figures
expect 0 -- rb run --targets asic --asic-preset edge-npu "${POINT[@]}"
check "--asic-preset names the instance" "$(q "SELECT instance FROM devices WHERE run_id = 2")" "asic:edge-npu"
check "--asic-preset = asic:edge-npu" "$(fig asic:edge-npu median_ms 2)" "$edge_ms"
expect 0 -- rb run --targets fpga --fpga-config large "${POINT[@]}"
check "--fpga-config names the instance" "$(q "SELECT instance FROM devices WHERE run_id = 3")" "fpga:large"
check "--fpga-config large = fpga:large" "$(fig fpga:large median_ms 3)" "$large_ms"
# a flag does not override what an instance sets itself
expect 0 -- rb run --targets fpga,fpga:small8 --fpga-config large "${POINT[@]}"
check "flag for the bare target only" \
    "$(q "SELECT group_concat(instance, ' ') FROM (SELECT instance FROM devices WHERE run_id = 4 ORDER BY id)")" \
    "fpga:large fpga:small8"
# the simulation mode is how, not what: in the spec, not in the name; the same figures
expect 0 -- rb run --targets 'fpga:small?sim=full' "${POINT[@]}"
check "sim mode left out of the name" "$(q "SELECT instance FROM devices WHERE run_id = 5")" "fpga:small"
check "sim mode kept for resume" "$(q "SELECT json_extract(config_json, '$.instances[0]') FROM runs WHERE id = 5")" "fpga:small?sim=full"
check "sim=full = auto on a small point" "$(fig fpga:small median_ms 5)" "$small_ms"
# the same instance twice is one device
expect 0 -- rb run --targets 'fpga:small,fpga?config=small' "${POINT[@]}"
check "duplicates are one" "$(q "SELECT count(*) FROM devices WHERE run_id = 6")" "1"

# compare, export and history pair by instance: fpga:large with fpga:large only
expect 0 --out "5 unchanged; 0 only in base" -- rb compare 3 1
rb compare 3 1 --all >cmp.txt
check "the paired rows are fpga:large's" "$(awk '$1 == "same" {print $2}' cmp.txt | sort -u)" "fpga:large"
check "others only on one side" "$(grep -c '^cand only fpga:small ' cmp.txt)" "5"
expect 0 -- rb export --baseline b.jsonl --run 1 -q
check "baseline keyed by instance" "$(grep -c '"target":"fpga:small?clock_mhz=100"' b.jsonl)" "5"
expect 0 --out "cycles of fpga:large" --out "3 runs" -- rb history --target fpga:large --workload lstm_infer_t4_b1_i16_h16_l1 --metric cycles

# resume: an interrupted instance run finishes with the same instances
sqlite3 results.db "UPDATE runs SET status = 'interrupted', finished_at = NULL WHERE id = 1;
    DELETE FROM results WHERE device_id IN (SELECT id FROM devices WHERE run_id = 1 AND instance IN ('fpga:large', 'asic:edge-npu'))"
expect 0 --err "resumed" -- rb run --resume 1 -q
check "resumed run complete" "$(q "SELECT status FROM runs WHERE id = 1")" "complete"
check "no new devices" "$(q "SELECT count(*) FROM devices WHERE run_id = 1")" "5"
check "resumed fpga:large as before" "$(fig fpga:large median_ms 1)" "$large_ms"
check "resumed asic:edge-npu as before" "$(fig asic:edge-npu median_ms 1)" "$edge_ms"

# list shows each target's options and what it offers
expect 0 --out "config=CONFIG" --out "instances: fpga:{small, large, small8}" \
    --out "instances: asic:{dc-bf16, edge-npu, tpu-v1}" --out "fpga:large" \
    -- rb list --targets fpga:large,asic --seq 1 --hidden 1

# bad specs: exit 2, nothing run, the message names the spec
expect 2 --err "'fpga:': empty config" -- rb run --targets 'fpga:' "${POINT[@]}"
expect 2 --err "fpga config nope: not small, large, small8 or a readable file" -- rb run --targets 'fpga:nope' "${POINT[@]}"
expect 2 --err "'fpga?bogus=1': target fpga has no option 'bogus'" -- rb run --targets 'fpga?bogus=1' "${POINT[@]}"
expect 2 --err "'fpga?clock_mhz=-3'" --err "out of range" -- rb run --targets 'fpga?clock_mhz=-3' "${POINT[@]}"
expect 2 --err "unknown target 'nosuch'" -- rb run --targets 'cpu,nosuch:x' "${POINT[@]}"
expect 2 --err "--fpga-sim 'often': expected auto, full or sampled" -- rb run --targets fpga --fpga-sim often "${POINT[@]}"
check "bad specs store nothing" "$(q "SELECT count(*) FROM runs")" "6"
finish
