#!/usr/bin/env bash
# Quick start, step 1: install what is needed, build, run the default job
# (workloads/default.ini on every available target) into ./results.db, train
# the text classifier (LSTM and RNN, on the cpu) and evaluate it on every
# target, and write the HTML report to ./report.html.
# Extra arguments go to `rnnbench run`, e.g. scripts/run-default.sh --targets cpu
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
status=0
build/rnnbench run "$@" || status=$?
# A run that stored results (exit 0, or 3 when a target failed or disagreed
# with the reference) still gets its report; usage errors (2) do not.
if [[ $status -eq 0 || $status -eq 3 ]]; then
    db=results.db
    for ((i = 1; i <= $#; i++)); do
        if [[ ${!i} == --db ]]; then
            j=$((i + 1))
            db=${!j}
        elif [[ ${!i} == --db=* ]]; then
            db=${!i#--db=}
        fi
    done
    # What each target's number format does to accuracy: the fortunes task,
    # trained on the cpu, then the LSTM evaluated on every target (~1 min).
    task=0
    for cell in lstm rnn; do
        build/rnnbench train --db "$db" --cell "$cell" -o "models/fortunes_$cell" -q || task=$?
    done
    if [[ $task -eq 0 ]]; then
        build/rnnbench eval --db "$db" --model models/fortunes_lstm -q || task=$?
    fi
    if [[ $task -ne 0 && $status -eq 0 ]]; then
        echo "run-default: the text-classification task failed (exit $task); the report" \
             "has the benchmark without it" >&2
        status=3
    fi
    build/rnnbench report --html --db "$db" -o report.html
    echo "report: $(pwd)/report.html"
fi
exit "$status"
