#!/usr/bin/env bash
# The fpga target from the command line: simulated latency from counted
# cycles, sampled = full, run-time parameters vs hardware parameters, limits.
. "$(dirname "$0")/lib.sh"
q() { rb query --format csv "$1" | tail -1; }
last() { q "SELECT $1 FROM v_results WHERE run_id = (SELECT max(id) FROM runs) AND target='fpga' ${2:-}"; }
metric() { q "SELECT m.value FROM metrics m JOIN v_results r ON r.result_id = m.result_id WHERE r.run_id = (SELECT max(id) FROM runs) AND r.target='fpga' AND m.name='$1' ${2:-}"; }
RUN=(--targets fpga --reps 2 --min-time 0 --warmup 1 -q)

if rb list --targets fpga --seq 1 --hidden 1 | grep -q "built without Verilator"; then
    expect 3 --err "built without Verilator" -- rb run "${RUN[@]}" --seq 2 --hidden 4
    finish
    exit
fi

expect 0 --out "fpga" --out "simulated RTL" -- rb list --targets fpga --seq 1 --hidden 1
expect 0 --out "fpga   lstm_infer_t4_b2_i8_h16_l2" --out " ok" -- rb run "${RUN[@]}" --seq 4 --hidden 16 --input 8 --layers 2 --batch 2 --fpga-sim full
check "simulated latency, fixed point" "$(last "latency_source || ' ' || numerics")" "simulated fixed Q3.12"
clock=$(metric clock_mhz)
check "latency = cycles / clock" "$(last "abs(median_ms - $(metric cycles) / ($clock * 1e3)) < 1e-9")" "1"
check "error is a quality figure, not a bound" "$(last "err_tol IS NULL AND err_max_abs > 0 AND err_max_abs < 0.01")" "1"
check "full simulation recorded" "$(metric sim_sampled)" "0"
check "energy from the power model" "$(last "energy_source = 'model' AND energy_j > 0")" "1"
check "synthesized resources stored" "$(q "SELECT count(*) FROM resources x JOIN devices d ON d.id = x.device_id WHERE d.target = 'fpga' AND x.key IN ('LUT','FF','DSP','BRAM36') AND x.value > 0 AND x.source = 'synthesized' AND d.id = (SELECT max(id) FROM devices WHERE target='fpga')")" "4"
check "power source says model" "$(q "SELECT power_source LIKE 'model:%' FROM devices WHERE target='fpga' ORDER BY id DESC LIMIT 1")" "1"
full=$(metric cycles)

# sampled simulation extrapolates exactly the cycles of the full one
expect 0 --out " ok" -- rb run "${RUN[@]}" --seq 4 --hidden 16 --input 8 --layers 2 --batch 2 --fpga-sim sampled
check "sampled recorded" "$(metric sim_sampled)" "1"
check "sampled cycles = full cycles" "$(metric cycles)" "$full"

# ... on more shapes: an rnn, and weights that do not fit on chip (streamed, stalling)
for shape in "--cell rnn --seq 5 --hidden 24 --input 10 --layers 3 --batch 3" \
             "--seq 4 --hidden 128 --input 200 --batch 2"; do
    expect 0 --out " ok" -- rb run "${RUN[@]}" $shape --fpga-sim full
    f=$(metric cycles)
    expect 0 --out " ok" -- rb run "${RUN[@]}" $shape --fpga-sim sampled
    check "sampled = full ($shape)" "$(metric cycles)" "$f"
done
check "the second shape streams its weights" "$(metric weights_onchip)" "0"
check "and stalls" "$(metric stall_cycles "AND m.value > 0")" "$(metric stall_cycles)"

# the clock is a run-time parameter: same cycles, latency scales
expect 0 -- rb run "${RUN[@]}" --seq 4 --hidden 16 --input 8 --layers 2 --batch 2 --fpga-clock-mhz 300
check "cycles independent of the clock" "$(metric cycles)" "$full"
check "latency at 300 MHz" "$(last "abs(median_ms - $full / 300e3) < 1e-9")" "1"
printf 'base = small\nclock_mhz = 75\n' >slow.ini
expect 0 -- rb run "${RUN[@]}" --seq 4 --hidden 16 --input 8 --layers 2 --batch 2 --fpga-config slow.ini
check "clock from a config file" "$(last "abs(median_ms - $full / 75e3) < 1e-9")" "1"
check "config file recorded" "$(q "SELECT json_extract(extra_json, '$.clock_mhz') FROM devices WHERE target='fpga' ORDER BY id DESC LIMIT 1")" "75"
# hardware parameters need a rebuild, and the tool says so
printf 'base = small\nlanes = 64\n' >hw.ini
expect 2 --err "lanes is a hardware parameter" --err "Rebuild" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --fpga-config hw.ini
printf 'base = small\nspeed = 3\n' >bad.ini
expect 2 --err "bad.ini:2: speed: unknown key" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --fpga-config bad.ini
expect 2 --err "no-such.ini" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --fpga-config no-such.ini
expect 2 --err "--fpga-sim 'often'" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --fpga-sim often
expect 2 --err "--fpga-clock-mhz" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --fpga-clock-mhz -5

# what the hardware cannot do is "unsupported", with the reason, not a failure
expect 0 --out "unsupported" --out "input projection" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --no-input-proj
expect 0 --out "unsupported" --out "does not fit" -- rb run "${RUN[@]}" --seq 2 --hidden 4096
# the rnn cell, and the large configuration
expect 0 --out "fpga   rnn_infer_t3_b1_i5_h7_l1" --out " ok" -- rb run "${RUN[@]}" --cell rnn --seq 3 --hidden 7 --input 5
expect 0 --out " ok" -- rb run "${RUN[@]}" --seq 3 --hidden 32 --fpga-config large
check "large configuration recorded" "$(q "SELECT json_extract(extra_json, '$.config') FROM devices WHERE target='fpga' ORDER BY id DESC LIMIT 1")" "large"
# the 8-bit configuration: the same cycles as small, its own format, a larger error
expect 0 --out " ok" -- rb run "${RUN[@]}" --seq 4 --hidden 16 --input 8 --layers 2 --batch 2 --fpga-sim full --fpga-config small8
check "small8 computes in Q2.5" "$(last "numerics")" "fixed Q2.5"
check "small8 takes small's cycles" "$(metric cycles)" "$full"
check "small8's error is 8 bits' error" "$(last "err_max_abs > 0.01 AND err_max_abs < 0.5")" "1"
check "small8 resources and power" "$(q "SELECT count(*) FROM resources x JOIN devices d ON d.id = x.device_id WHERE x.key = 'LUT' AND x.value > 0 AND d.id = (SELECT max(id) FROM devices WHERE target='fpga') AND d.power_w > 0")" "1"
printf 'base = tiny\n' >tiny.ini
expect 2 --err "no built-in configuration 'tiny' (small, large, small8)" -- rb run "${RUN[@]}" --seq 2 --hidden 4 --fpga-config tiny.ini

finish
