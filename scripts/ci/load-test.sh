#!/usr/bin/env bash
# Prove the test suite does not depend on timing luck: run it N times in a
# row with more test jobs than cores and CPU hogs competing for them.
# Usage: scripts/ci/load-test.sh [--asan] [--rounds N] [--jobs J] [--hogs K]
#   --asan      the ASan+UBSan build (build-asan/) instead of build/
#   --rounds N  how many times the whole suite runs (default 5)
#   --jobs J    ctest -j J (default 8)
#   --hogs K    busy-looping processes started for the whole time (default 2)
# Builds first (scripts/build.sh).  Prints each round's result and the tests
# that failed; exits 1 if any round failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
asan=0 rounds=5 jobs=8 hogs=2
while [[ $# -gt 0 ]]; do
    case $1 in
    --asan) asan=1; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --hogs) hogs=$2; shift 2 ;;
    *) echo "usage: scripts/ci/load-test.sh [--asan] [--rounds N] [--jobs J] [--hogs K]" >&2; exit 2 ;;
    esac
done
dir=build
if [[ $asan -eq 1 ]]; then
    dir=build-asan
    scripts/build.sh --asan
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
else
    scripts/build.sh
fi

pids=()
stop_hogs() { [[ ${#pids[@]} -eq 0 ]] || kill "${pids[@]}" 2>/dev/null || true; }
trap stop_hogs EXIT
for ((i = 0; i < hogs; i++)); do
    sh -c 'while :; do :; done' &
    pids+=($!)
done

failed=0
for ((r = 1; r <= rounds; r++)); do
    start=$(date +%s)
    log=$(mktemp)
    if ctest --test-dir "$dir" -j "$jobs" --output-on-failure >"$log" 2>&1; then
        echo "round $r/$rounds: passed ($(($(date +%s) - start)) s, $(nproc) cores, -j$jobs, $hogs hogs)"
    else
        failed=$((failed + 1))
        echo "round $r/$rounds: FAILED ($(($(date +%s) - start)) s):"
        sed -n '/The following tests FAILED/,$p' "$log"
        grep -E "^FAIL|CHECK failed" "$log" | head -20 || true
    fi
    rm -f "$log"
done
echo "$((rounds - failed)) passed, $failed failed"
[[ $failed -eq 0 ]]
