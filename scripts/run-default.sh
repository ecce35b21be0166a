#!/usr/bin/env bash
# Quick start, step 1: install what is needed, build, run the default job
# (workloads/default.ini on every available target) into ./results.db, train
# the text classifier (LSTM, GRU and RNN, on the cpu) and evaluate it on every
# target, and write the HTML report to ./report.html.
# Extra arguments go to `rnnbench run`, e.g. scripts/run-default.sh --targets cpu
set -euo pipefail
cd "$(dirname "$0")/.."
# what it is doing, and for how long, on stderr (measured from a clean clone
# on 2 cores, packages installed: 1 min build, 2-4 min run, 15 s task — the
# report at 3.3-5.1 min — then 2 min building the other fpga models)
step() { echo "run-default: [$1/6] $2 (${SECONDS}s so far)" >&2; }
step 1 "installing what is missing (scripts/setup.sh; nothing to do when installed)"
scripts/setup.sh
# The default job uses the fpga's small configuration only: its model is
# built first, the others (the large one is most of a first build) after
# the report, so the first results come sooner.
step 2 "building into build/ with the default job's fpga configuration (a first build takes ~1 min on 2 cores; later ones are incremental)"
scripts/build.sh --fpga small
step 3 "running workloads/default.ini on every available target into results.db (2-4 min on 2 cores, a third or more of it the serving point on the cpu and gpu)"
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
    step 4 "training the text classifier on the cpu and evaluating it on every target (under a minute)"
    task=0
    for cell in lstm gru rnn; do
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
    step 5 "writing the report"
    build/rnnbench report --html --db "$db" -o report.html
    echo "report: $(pwd)/report.html (${SECONDS}s so far)"
fi
step 6 "building the other fpga configurations (large, small8) into build/ (~2 min the first time)"
scripts/build.sh
echo "run-default: done in ${SECONDS}s" >&2
exit "$status"
