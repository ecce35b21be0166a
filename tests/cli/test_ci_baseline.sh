#!/usr/bin/env bash
# rnnbench's own regression gate: workloads/ci.ini on the deterministic
# targets (fpga cycles and latency, asic model figures, errors, statuses)
# must reproduce the committed tests/baseline/ci.jsonl.  After an intended
# change, regenerate it with scripts/ci/update-baseline.sh and commit it with
# the change.
. "$(dirname "$0")/lib.sh"

if ! "$RNNBENCH" list 2>/dev/null | grep -qE "^ *fpga +available"; then
    echo "note: fpga target unavailable in this build (no Verilator): baseline gate skipped"
    finish
    exit
fi
expect 0 -- rb run --matrix "$RB_SRC/workloads/ci.ini" --targets fpga,asic --db ci.db -q
"$RNNBENCH" compare "$RB_SRC/tests/baseline/ci.jsonl" ci.db >cmp.out 2>&1
status=$?
if [[ $status -ne 0 ]]; then
    cat cmp.out >&2
    echo "the deterministic figures of workloads/ci.ini moved; if that is intended, run" \
         "scripts/ci/update-baseline.sh and commit tests/baseline/ci.jsonl" >&2
fi
check "workloads/ci.ini reproduces tests/baseline/ci.jsonl" $status 0
grep -q "0 regressed, 0 improved, 0 changed within tolerance, [0-9]* unchanged; 0 only in base, 0 only in candidate" cmp.out
check "every figure of the baseline paired, none moved" $? 0
finish
