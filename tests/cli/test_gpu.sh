#!/usr/bin/env bash
# The gpu target from the command line: side by side with cpu, honest about a
# CPU-type OpenCL device, device selection, no platform, and a broken kernel
# failing one result while the run goes on.
. "$(dirname "$0")/lib.sh"
q() { rb query --format csv "$1" | tail -1; }
RUN=(--seq 3 --hidden 8 --batch 1,2 --reps 3 --min-time 0 --warmup 1 -q)

if rb list --targets gpu --seq 1 --hidden 1 | grep -q "built without OpenCL"; then
    expect 3 --err "built without OpenCL" -- rb run --targets gpu "${RUN[@]}"
    finish
    exit
fi

expect 0 --out "gpu" --out "available" -- rb list --targets gpu --seq 1 --hidden 1
expect 0 --out "gpu    lstm_infer_t3_b1_i8_h8_l1" --out "cpu    lstm_infer_t3_b2_i8_h8_l1" \
    -- rb run --targets cpu,gpu "${RUN[@]}"
check "both targets, all ok" "$(q "SELECT count(*) FROM v_results WHERE status='ok' AND err_max_rel <= err_tol")" "4"
# a CPU behind OpenCL is stored as such
check "gpu device honestly typed" "$(q "SELECT count(*) FROM devices WHERE target='gpu' AND (type='gpu' OR (type IN ('cpu','accelerator') AND name LIKE '%not a GPU%'))")" "1"
check "peak measured, with how" "$(q "SELECT peak_flops > 0 AND json_extract(extra_json, '$.peak_flops_source') LIKE 'measured:%' FROM devices WHERE target='gpu'")" "1"
check "device time stored beside host time" "$(q "SELECT count(*) FROM metrics m JOIN v_results r ON r.result_id = m.result_id WHERE r.target='gpu' AND m.name='device_ms' AND m.value > 0 AND m.source='measured'")" "2"
check "load bytes stored" "$(q "SELECT count(*) FROM metrics m JOIN v_results r ON r.result_id = m.result_id WHERE r.target='gpu' AND m.name='load_bytes' AND m.value > 0")" "2"

# selection: by index, by name, and a selector that matches nothing (exit 2)
expect 0 --out " ok" -- rb run --targets gpu --gpu-device 0 "${RUN[@]}"
name=$(q "SELECT json_extract(extra_json, '$.device') FROM devices WHERE target='gpu' LIMIT 1")
expect 0 --out " ok" -- rb run --targets gpu --gpu-device "${name:0:12}" "${RUN[@]}"
expect 2 --err "matches no OpenCL device" --err "#0" -- rb run --targets gpu --gpu-device no-such-gpu "${RUN[@]}"
expect 2 --err "OpenCL devices" -- rb run --targets gpu --gpu-device 99 "${RUN[@]}"
check "--gpu-device stored for resume" "$(q "SELECT json_extract(config_json, '$.instances[0]') FROM runs ORDER BY id DESC LIMIT 1")" "gpu:${name:0:12}"
check "--gpu-device names the instance" "$(q "SELECT instance FROM devices ORDER BY id DESC LIMIT 1")" "gpu:${name:0:12}"
expect 0 --out "gpu:0 " --out " ok" -- rb run --targets gpu:0 "${RUN[@]}"

# no OpenCL platform at all: reported, and the other targets still run
mkdir -p noicd
expect 0 --out "no OpenCL platform found" -- env OCL_ICD_VENDORS="$TMP/noicd" "$RNNBENCH" list --seq 1 --hidden 1
expect 0 --err "no OpenCL platform found" --out "cpu    lstm" -- env OCL_ICD_VENDORS="$TMP/noicd" "$RNNBENCH" run --targets cpu,gpu "${RUN[@]}"

# a kernel source the compiler rejects fails the gpu results, with the build
# log in the stored message; the cpu results of the same run are fine
printf '__kernel void lstm_cell(__global float *p) { p[0] = no_such_symbol; }\n' >broken.cl
expect 3 --out "gpu    lstm_infer_t3_b1_i8_h8_l1" --out "failed" -- env RB_GPU_KERNELS="$TMP/broken.cl" "$RNNBENCH" run --targets cpu,gpu "${RUN[@]}"
check "failed with the build log" "$(q "SELECT count(*) FROM v_results WHERE run_id=(SELECT max(id) FROM runs) AND target='gpu' AND status='failed' AND message LIKE '%build log:%no_such_symbol%'")" "2"
check "cpu unaffected" "$(q "SELECT count(*) FROM v_results WHERE run_id=(SELECT max(id) FROM runs) AND target='cpu' AND status='ok'")" "2"

# dump includes the gpu output next to the cpu's
expect 0 --out "gpu    max abs" -- rb dump --targets cpu,gpu --seq 3 --hidden 8 -o d
[[ -f d/y_gpu.npy && -f d/y_cpu.npy ]]; check "y_gpu.npy written" $? 0
finish
