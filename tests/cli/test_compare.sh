#!/usr/bin/env bash
# compare, export and history: identical runs are no change, a real slowdown
# is a regression (exit 1), a deterministic change beyond its tolerance is
# one and a change within it is not, a result that stopped working is one,
# unmatched points are listed, steps across runs are named, bad references
# exit 2 with a message.
. "$(dirname "$0")/lib.sh"
q() { rb query --format csv "$1" | tail -1; }
CI=(--matrix "$RB_SRC/workloads/ci.ini" --targets fpga,asic -q)

# deterministic targets: two runs are identical
expect 0 -- rb run "${CI[@]}" --label d1
expect 0 -- rb run "${CI[@]}" --label d2
expect 0 --out "0 regressed, 0 improved, 0 changed within tolerance, 50 unchanged; 0 only in base, 0 only in candidate" -- rb compare d1 d2
expect 0 --out "unchanged" -- rb compare 1 1

# the baseline file: sorted one-figure lines, a stable header, numbers exact
expect 0 --err "50 figures of run 1" -- rb export --baseline base.jsonl --run 1
check "header" "$(head -1 base.jsonl)" '{"rnnbench_baseline":1,"from":"run 1, label d1","metrics":"deterministic","update":"after an intended change: run the same matrix, then rnnbench export --baseline FILE"}'
check "one line per figure" "$(wc -l <base.jsonl)" "51"
expect 0 -- rb export --baseline again.jsonl --label d2
cmp -s <(tail -n +2 base.jsonl) <(tail -n +2 again.jsonl); check "identical runs, identical baselines" $? 0
expect 0 --out "0 regressed" --out "50 unchanged" -- rb compare base.jsonl results.db

# a deterministic change: the baseline said 1% fewer cycles -> the candidate regressed
awk '/"metric":"cycles"/ && /"target":"fpga"/ && !done {sub(/"value":[0-9]+/, "\"value\":" int(0 + substr($0, index($0, "\"value\":") + 8) * 0.99)); done = 1} {print}' base.jsonl >fewer.jsonl
expect 1 --out "REGRESSED fpga" --out "cycles" --out "1 regressed" -- rb compare fewer.jsonl results.db
# ... and the other way round it is an improvement
expect 0 --out "improved  fpga" -- rb compare results.db fewer.jsonl
# an error 1% larger than the baseline's is within the 10% tolerance: changed, not regressed
awk '/"metric":"err_max_abs"/ && /"target":"asic"/ && !done {match($0, /"value":[0-9.e+-]+/); v = substr($0, RSTART + 8, RLENGTH - 8); sub(/"value":[0-9.e+-]+/, sprintf("\"value\":%.17g", v / 1.01)); done = 1} {print}' base.jsonl >err.jsonl
expect 0 --out "changed   asic" --out "within its tolerance (10%)" --out "0 regressed, 0 improved, 1 changed" -- rb compare err.jsonl results.db
expect 1 --out "REGRESSED asic" -- rb compare err.jsonl results.db --tolerance err_max_abs=0
# a result that ran ok and does not any more
expect 0 -- rb run --targets fpga --seq 3 --hidden 8 --batch 32 --db big.db -q
expect 0 -- rb export --baseline big.jsonl --db big.db
sed 's/"text":"unsupported"/"text":"ok"/' big.jsonl >wasok.jsonl
expect 1 --out "status ok -> unsupported" -- rb compare wasok.jsonl big.db

# points on one side only are listed, not dropped
expect 0 -- rb run --targets asic --seq 3 --hidden 8 --batch 1,2 --db other.db -q
expect 0 --out "base only" --out "cand only" --out "only in base" -- rb compare base.jsonl other.db

# formats
expect 1 --out "## rnnbench compare: regressions found" --out "| **regressed** | fpga |" -- rb compare fewer.jsonl results.db --format md
flat() { "$RNNBENCH" "$@" | tr -d ' \t\n'; }
check "json: a regression" "$(flat compare fewer.jsonl results.db --format json | grep -o '"regressed":1,.*"regression":true' | wc -l)" "1"
check "json: none, every row listed with --all" "$(flat compare d1 d2 --format json --all | grep -o '"regression":false' | wc -l)/$(flat compare d1 d2 --format json --all | grep -o '"verdict":"same"' | wc -l)" "1/50"

# measured figures: a real slowdown is a regression, the same configuration
# is not.  The slowdown is injected (RB_INJECT_DELAY_MS: every call 50 ms
# slower) because a configuration change (fewer threads) is hidden by the
# load of tests running beside this one; 50 ms, not 1: on a loaded machine
# (ctest -j8 on 2 cores beside CPU hogs, ASan) the medians of this small
# point wander by milliseconds from run to run, which hid a 1 ms step from
# history's step detection once in 5 rounds.
SHAPE=(--targets cpu --seq 4 --hidden 32 --batch 2 --reps 12 --min-time 0 --warmup 1 -q --db m.db)
slow() { env RB_INJECT_DELAY_MS=cpu:50 "$RNNBENCH" run "${SHAPE[@]}" "$@"; }
expect 0 -- rb run "${SHAPE[@]}" --label fast
expect 0 --out "RB_INJECT_DELAY_MS added 50 ms to every call" -- slow --label slow
# (on a loaded machine the verdicts carry a '?': suspect, below)
expect 1 --out "REGRESSED" --out "median_ms" -- rb compare --db m.db fast slow
expect 0 --out "improved" -- rb compare --db m.db slow fast
# a run that warned of load makes its measured verdicts suspect: marked,
# its warning printed; the gate still fails unless --noisy warn
cp m.db loaded.db
sqlite3 loaded.db "UPDATE runs SET warnings_json = '[\"load average 2.39 on 2 CPUs: other processes compete for the CPU\"]' WHERE label = 'slow'; UPDATE runs SET warnings_json = '[]' WHERE label = 'fast'"
expect 1 --out "REGRESSED? cpu" --out "candidate run loaded" --out "candidate run warned: load average 2.39" --out "of the regressions suspect" -- rb compare --db loaded.db fast slow
expect 0 --err "suspect regression not failing the gate (--noisy warn)" -- rb compare --db loaded.db fast slow --noisy warn
expect 0 -- rb compare --db loaded.db fast slow --noisy warn --format json
check "json: the row suspect, counted" "$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["summary"]["suspect_regressed"], [r.get("suspect") for r in d["rows"] if r["metric"] == "median_ms"])' "$OUT")" "1 [True]"
expect 1 --out "| **regressed?** | cpu |" --out "> **Warning:** candidate run warned" -- rb compare --db loaded.db fast slow --format md
expect 2 --err "--noisy 'maybe': expected fail or warn" -- rb compare --db loaded.db fast slow --noisy maybe
expect 0 -- rb run "${SHAPE[@]}" --label fast2
expect 0 --out "0 regressed" -- rb compare --db m.db fast fast2 --threshold 1000%
# a real configuration change pairs, and the devices' difference is said
expect 0 -- rb run "${SHAPE[@]}" --threads 1 --label one
expect 0 --out "the devices differ for cpu fp32" -- rb compare --db m.db fast one --threshold 1000%
# history: three runs, then three slow ones: one step, named at run 4, the first slow one
SHAPE=(--targets cpu --seq 4 --hidden 32 --batch 2 --reps 12 --min-time 0 --warmup 1 -q --db h.db)
for i in 1 2 3; do rb run "${SHAPE[@]}" >/dev/null 2>&1; done
for i in 1 2 3; do slow >/dev/null 2>&1; done
expect 0 --out "median_ms of cpu (fp32) on lstm_infer_t4_b2_i32_h32_l1: 6 runs" --out "1 step" --out ": worse" \
    -- rb history --db h.db --target cpu --workload lstm_infer_t4_b2_i32_h32_l1
rb history --db h.db --target cpu --workload lstm_infer_t4_b2_i32_h32_l1 --format json >h.json
check "the step is at run 4" "$(tr -d ' \n\t' <h.json | grep -o '"steps":\[{"run":[0-9]*' | grep -o '[0-9]*$')" "4"
expect 0 -- rb report --db h.db --html -o hist.html
grep -q 'id="chart-history"' hist.html; check "report has the history chart" $? 0
expect 0 --out "2 runs" --out "0 steps" -- rb history --target fpga --workload lstm_infer_t3_b1_i5_h8_l1 --metric cycles
# any figure of the table, by its column: the first call of each run
expect 0 --out "first_ms of cpu (fp32) on lstm_infer_t4_b2_i32_h32_l1: 6 runs" -- rb history --db h.db --target cpu --workload lstm_infer_t4_b2_i32_h32_l1 --metric first_ms

# the CI example: run, compare with a reference, the Markdown summary, exit 1 only on a regression
mkdir -p gate
expect 0 --out "## rnnbench compare: no regression" -- env RB_GATE_DB=gate/g.db GITHUB_STEP_SUMMARY="$TMP/summary.md" \
    bash "$RB_SRC/scripts/ci/regression-gate.sh" base.jsonl "${CI[@]}"
grep -q "no regression" summary.md && [[ -s gate/compare.md ]]; check "summary written" $? 0
expect 1 --out "regressions found" -- env RB_GATE_DB=gate/g2.db bash "$RB_SRC/scripts/ci/regression-gate.sh" fewer.jsonl "${CI[@]}"

# bad references and usage: exit 2, a message
expect 2 --err "has no run 99" -- rb compare 99 1
expect 2 --err "no run labelled 'nope'" -- rb compare nope 1
expect 2 --err "nothere.jsonl: no such file" -- rb compare nothere.jsonl 1
echo 'garbage' >bad.jsonl
expect 2 --err "bad.jsonl:1: not a JSON object" -- rb compare bad.jsonl 1
echo '{"x": 1}' >bad2.jsonl
expect 2 --err "not an rnnbench baseline" -- rb compare bad2.jsonl 1
{ head -1 base.jsonl; echo '{"target":"fpga"}'; } >bad3.jsonl
expect 2 --err "bad3.jsonl:2: missing or bad \"config\"" -- rb compare bad3.jsonl 1
expect 2 --err "expected BASE and CAND" -- rb compare 1
expect 2 --err "--threshold 'abc'" -- rb compare 1 2 --threshold abc
expect 2 --err "--format 'xml'" -- rb compare 1 2 --format xml
expect 2 --err "--tolerance" -- rb compare 1 2 --tolerance cycles
expect 2 --err "no database nodb.db" -- rb compare 1 2 --db nodb.db
expect 2 --err "--baseline FILE is required" -- rb export
expect 2 --err "--target and --workload are required" -- rb history --target cpu
expect 2 --err "has no ok result of cpu on nope" -- rb history --target cpu --workload nope
expect 2 --err "--metric 'speed'" -- rb history --target cpu --workload x --metric speed
# a label is the newest run with it in --db, never the candidate itself:
# right after a nightly run, `compare nightly nightly.db` takes the one before
for i in 1 2; do rb run --db nightly.db --targets asic --seq 2 --hidden 4 -q --label nightly >/dev/null 2>&1; done
expect 0 --out "base:      run 1 (nightly" --out "candidate: run 2 (nightly" -- rb compare --db nightly.db nightly nightly.db
expect 0 --out "base:      run 2 (nightly" --out "candidate: run 2 (nightly" -- rb compare --db nightly.db nightly 2
rb run --db first.db --targets asic --seq 2 --hidden 4 -q --label nightly >/dev/null 2>&1
expect 2 --err "has no run labelled 'nightly' before run 1" -- rb compare --db first.db nightly first.db
finish
