#!/usr/bin/env bash
# A regression gate for your own CI: run a workload matrix, compare it with
# the reference results of your main branch, write the Markdown summary, and
# fail (exit 1) only on a real regression.
#
#   scripts/ci/regression-gate.sh REFERENCE [rnnbench run options...]
#
# REFERENCE is what `rnnbench compare` accepts as BASE: the main branch's
# results.db (e.g. downloaded as a CI artifact: its newest benchmark run is
# used), or a committed baseline file (`rnnbench export --baseline`).  Run
# options default to `--matrix workloads/ci.ini`; pass your own (--matrix,
# --targets, --reps ...).  Environment:
#   RNNBENCH        the binary (default build/rnnbench)
#   RB_GATE_DB      where this run's results go (default gate.db; keep it as
#                   an artifact: on the main branch it is the next REFERENCE)
#   RB_GATE_ARGS    extra `rnnbench compare` options, e.g. "--threshold 10%"
#   GITHUB_STEP_SUMMARY  when set (GitHub Actions), the summary is appended there
# Writes compare.md (the summary) beside the database; exit status: 0 no
# regression, 1 regression, 2 bad input, 3 the run failed.
set -uo pipefail
if [[ $# -lt 1 ]]; then
    echo "usage: $0 REFERENCE [rnnbench run options...]" >&2
    exit 2
fi
ref=$1
shift
exe=${RNNBENCH:-build/rnnbench}
db=${RB_GATE_DB:-gate.db}
run_args=("$@")
[[ ${#run_args[@]} -eq 0 ]] && run_args=(--matrix workloads/ci.ini)
label="gate-$(git rev-parse --short HEAD 2>/dev/null || date +%s)"

"$exe" run "${run_args[@]}" --db "$db" --label "$label" -q
status=$?
if [[ $status -ne 0 && $status -ne 3 ]]; then
    echo "regression-gate: rnnbench run failed (exit $status)" >&2
    exit "$status"
fi
# shellcheck disable=SC2086  # RB_GATE_ARGS is a list of options
"$exe" compare "$ref" "$db" --format md ${RB_GATE_ARGS:-} >"$(dirname "$db")/compare.md"
verdict=$?
cat "$(dirname "$db")/compare.md"
if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    cat "$(dirname "$db")/compare.md" >>"$GITHUB_STEP_SUMMARY"
fi
# a result that failed outright in this run (exit 3) is a failure even where
# the reference has no such point
[[ $verdict -eq 0 && $status -eq 3 ]] && verdict=3
exit "$verdict"
