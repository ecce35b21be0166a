#!/usr/bin/env bash
# run then query: results land in results.db with sane, checked values.
. "$(dirname "$0")/lib.sh"

expect 0 --out "lstm_infer_t3_b1_i4_h8_l1" --out "lstm_infer_t3_b2_i4_h8_l2" --out " ok" \
    -- rb run --targets cpu --seq 3 --hidden 8 --input 4 --layers 1,2 --batch 1,2 "${FAST[@]}" --label t1 -q
expect 0 --out "4" -- rb query --format csv "SELECT count(*) FROM v_results WHERE status='ok'"
check "label stored" "$(rb query --format csv "SELECT label FROM runs" | tail -1)" "t1"
check "run complete" "$(rb query --format csv "SELECT status FROM runs" | tail -1)" "complete"
# every ok result is within its fp32 bound, with positive latency and consistent stats
check "sane rows" "$(rb query --format csv "SELECT count(*) FROM v_results WHERE median_ms > 0 AND p10_ms <= median_ms AND median_ms <= p90_ms AND p90_ms <= p99_ms AND err_max_rel <= err_tol AND latency_source='measured' AND energy_source IN ('rapl','model') AND energy_j > 0" | tail -1)" "4"
check "first-run and load latency" "$(rb query --format csv "SELECT count(*) FROM v_results r JOIN results x ON x.id = r.result_id WHERE r.first_ms > 0 AND x.load_ms > 0 AND x.warmup = 1" | tail -1)" "4"
check "warning stored: too few repetitions" "$(rb query --format csv "SELECT count(*) FROM runs, json_each(runs.warnings_json) WHERE json_each.value LIKE '%only 3 repetitions%'" | tail -1)" "1"
check "raw samples kept" "$(rb query --format csv "SELECT count(*) >= 12 FROM samples" | tail -1)" "1"
check "gflops follows the formula" "$(rb query --format csv "SELECT count(*) FROM v_results r JOIN workloads w ON w.key = r.workload WHERE abs(r.gflops - w.flops / (r.median_ms * 1e6)) < 1e-9 * r.gflops" | tail -1)" "4"
# flops for lstm T=3 B=2 I=4 H=8 L=2: 2*32*(4+8)*6 + 2*32*16*6 = 4608 + 6144
check "flops formula" "$(rb query --format csv "SELECT flops FROM workloads WHERE key='lstm_infer_t3_b2_i4_h8_l2'" | tail -1)" "10752"
check "host metadata" "$(rb query --format csv "SELECT json_extract(host_json, '$.num_cpus') > 0 FROM runs" | tail -1)" "1"
expect 0 --out '"target": "cpu"' -- rb query --format json "SELECT target, workload FROM v_results LIMIT 1"
expect 0 --out "lstm_infer_t3_b1_i4_h8_l1" -- rb query
expect 2 --err "read-only" -- rb query "DELETE FROM results"
expect 2 --err "syntax error" -- rb query "SELEC 1"

# all targets; one that is unavailable here is reported and the run still
# succeeds.  An empty OpenCL vendor folder is a machine without a driver.
mkdir -p no-icd
expect 0 --err "no OpenCL platform" --err "1 points x 3 targets" --out "rnn_infer" \
    -- env OCL_ICD_VENDORS="$TMP/no-icd" "$RNNBENCH" run --targets cpu,gpu,fpga,asic --cell rnn \
    --seq 2 --hidden 4 "${FAST[@]}" -q
expect 3 --err "none of the selected targets is available" \
    -- env OCL_ICD_VENDORS="$TMP/no-icd" "$RNNBENCH" run --targets gpu --seq 2 --hidden 4
# training: the cpu trains, with its first step's gradients checked; a
# target without training reports it per result, not as a failure
expect 0 --out "lstm_train_t3_b2_i4_h6_l2" --out "rnn_train_t3_b2_i4_h6_l2" --out "unsupported: target asic does not train" \
    -- rb run --targets cpu,asic --mode train --cell lstm,rnn --seq 3 --batch 2 --input 4 --hidden 6 --layers 2 "${FAST[@]}" -q
check "train results ok within the gradient bound" "$(rb query --format csv "SELECT count(*) FROM v_results WHERE mode='train' AND target='cpu' AND status='ok' AND err_max_rel > 0 AND err_max_rel <= err_tol" | tail -1)" "2"
check "train flops = 3x forward" "$(rb query --format csv "SELECT flops FROM workloads WHERE key='lstm_train_t3_b2_i4_h6_l2'" | tail -1)" "$((3 * (2*24*(4+6)*6 + 2*24*12*6)))"
check "loss and gradient norm stored" "$(rb query --format csv "SELECT count(*) FROM metrics m JOIN v_results r ON r.result_id = m.result_id WHERE r.mode='train' AND r.target='cpu' AND m.name IN ('loss','grad_norm') AND m.value > 0" | tail -1)" "4"
# a point too large for the full fp64 reference is checked on a shorter problem, and says so
expect 0 --out "gradients checked on T=4 B=2" -- rb run --targets cpu --mode train --seq 30 --batch 40 --hidden 512 --reps 1 --min-time 0 --warmup 1 -q

# a per-result time limit stops the repetitions and marks the result, keeping its
# statistics; the run exits 3 (issue 14, item 9)
expect 3 --out "timeout: stopped by --timeout-s 0.2" -- rb run --targets cpu --seq 20 --hidden 64 --reps 3 --min-time 30 --timeout-s 0.2 -q
check "timed-out result keeps its samples" "$(rb query --format csv "SELECT status, reps >= 3 FROM results ORDER BY id DESC LIMIT 1" | tail -1)" "timeout,1"

# the input projection can be excluded (DeepBench's convention)
expect 0 --out "lstm_infer_t4_b1_i8_h8_l1_noproj" -- rb run --targets cpu --seq 4 --hidden 8 --no-input-proj "${FAST[@]}" -q
check "noproj flops = 8 H^2 B T" "$(rb query --format csv "SELECT flops FROM workloads WHERE key='lstm_infer_t4_b1_i8_h8_l1_noproj'" | tail -1)" "2048"

# list and dry-run read nothing from and write nothing to the database
rm -f other.db
expect 0 --out "cpu" --out "available" --out "unavailable" --out "workload points from" \
    -- env OCL_ICD_VENDORS="$TMP/no-icd" "$RNNBENCH" list --seq 5 --hidden 8
expect 0 --out "lstm_infer_t5_b4_i8_h8_l1" --out "est. memory" --out "estimated total" -- rb run --dry-run --db other.db --seq 5 --hidden 8 --batch 4
[[ ! -e other.db ]]; check "dry run creates no database" $? 0
expect 0 --out "69 workload points" -- rb list --matrix "$RB_SRC/workloads/deepbench-infer.ini"
# how many repetitions a figure rests on: a p99 of 12 is the sample's
# maximum and says so in every output; a modeled target is evaluated once;
# the last line counts every status by name
expect 0 --out " ~max " --out "1 det" --err "complete: 2 ok" -- rb run --db n.db --targets cpu,asic --seq 3 --hidden 8 --input 4 --reps 12 --min-time 0 --warmup 1 --label n12
expect 0 --err "complete: 1 ok, 1 unsupported" -- rb run --db n.db --targets cpu,fpga --seq 3 --hidden 600 --input 4 --reps 3 --min-time 0 --warmup 1 -q
check "a modeled result is one evaluation, no warm-up" "$(rb query --db n.db --format csv "SELECT reps || ' ' || warmup FROM results r JOIN devices d ON d.id = r.device_id WHERE d.target = 'asic'" | tail -1)" "1 0"
check "the cpu repeated" "$(rb query --db n.db --format csv "SELECT reps FROM v_results WHERE target = 'cpu' AND label = 'n12'" | tail -1)" "12"
expect 0 --out "(≈ max, n = 12)" -- rb report --db n.db --label n12 --format md
expect 0 --out '"unsupported_quantiles":{"p99_ms":"≈ max, n = 12"' -- rb report --db n.db --label n12 --json
expect 0 --out "p99 " --out "(≈ max, n = 12) misses the" -- rb report --db n.db --label n12 --format md --slo-ms 0.000001
# a power a person knows (--power T=W@WHAT): energy = W x latency, source
# "user", with what it covers; every energy figure says its boundary
expect 2 --err "after '@', what the power covers" -- rb run --db e.db --targets cpu --power cpu=95W@ "${FAST[@]}"
expect 2 --err "--power asic: no target of this run is asic (it runs: cpu)" -- rb run --db e.db --targets cpu --power asic=3W "${FAST[@]}"
expect 0 --out "(user, wall)" --out "(model, chip)" --err "cpu energy: user: 95 W, given with --power" -- rb run --db e.db --targets cpu,asic --seq 3 --hidden 8 --input 4 --power cpu=95W@wall "${FAST[@]}"
check "user energy = power x median" "$(rb query --db e.db --format csv "SELECT energy_source || ' ' || energy_boundary || ' ' || (abs(energy_j - 95 * median_ms * 1e-3) <= 1e-12 * energy_j) FROM v_results WHERE target = 'cpu'" | tail -1)" "user wall 1"
check "the asic's own energy covers its chip" "$(rb query --db e.db --format csv "SELECT energy_boundary FROM results x JOIN devices d ON d.id = x.device_id WHERE d.target = 'asic'" | tail -1)" "chip"
expect 0 --out "Its energy: " --out " per sequence (modeled" --out "Energy from: " --out "Energy boundaries differ (" --out "cpu wall" --out "asic chip" -- rb report --db e.db --objective energy --format md
# a database of schema 3 takes 'user' after its migration, intact
cp "$RB_SRC/tests/fixtures/db/schema3.db" old.db
expect 0 -- rb run --db old.db --targets cpu --seq 3 --hidden 8 --input 4 --power cpu=10W "${FAST[@]}" -q
check "migrated: intact, the user's energy stored" "$(sqlite3 old.db "PRAGMA integrity_check; SELECT energy_source || ' ' || energy_boundary FROM results ORDER BY id DESC LIMIT 1")" "ok
user as given"
# peak memory: the target's own figure (gpu buffers, the asic's SRAM bytes in
# use), else the process's peak RSS while the point ran; a report constraint
expect 0 -- rb run --db mem.db --targets cpu,gpu,asic --seq 3 --hidden 64 --input 4 "${FAST[@]}" -q
qm() { rb query --db mem.db --format csv "$1" | tail -1; }
check "cpu: the process's peak RSS" "$(qm "SELECT abs(r.peak_mem_mb - m.value * 1e-6) < 1e-9 AND r.peak_mem_mb > 1 FROM v_results r JOIN metrics m ON m.result_id = r.result_id WHERE r.target = 'cpu' AND m.name = 'peak_rss_bytes'")" "1"
# the gpu holds at least its weights: 4 x 4H x (4 + H) + 2 x 4H floats
check "gpu: its buffers, at least the weights" "$(qm "SELECT peak_mem_mb * 1e6 >= 4 * (256 * 68 + 512) FROM v_results WHERE target = 'gpu'")" "1"
check "asic: its own figure" "$(qm "SELECT abs(r.peak_mem_mb - m.value * 1e-6) < 1e-12 FROM v_results r JOIN metrics m ON m.result_id = r.result_id WHERE r.target = 'asic' AND m.name = 'mem_bytes'")" "1"
expect 0 --out "peak memory" --out "over the 0.001 MB limit" -- rb report --db mem.db --max-memory 0.001 --format md
expect 2 --err "max-memory" -- rb report --db mem.db --max-memory 0
finish
