#!/usr/bin/env bash
# The libFuzzer harnesses of tests/fuzz (one per reader of untrusted input),
# built with clang, coverage, ASan and UBSan in build-fuzz/.
# Usage: scripts/fuzz.sh [--smoke | --minutes N]
#   --smoke      (default) the ctest fuzz/ tests: 5,000 inputs (at most 20 s) each from its
#                seed corpus, as scripts/test.sh runs them
#   --minutes N  N minutes each; what it finds new is kept in
#                build-fuzz/corpus/READER (the committed seeds are not
#                written), a crash in build-fuzz/findings/READER/.  Prints the
#                executions and findings per harness (the README's table).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=0
case "${1:-}" in
"" | --smoke) ;;
--minutes) minutes=${2:?--minutes N}; [[ $minutes =~ ^[0-9]+$ && $minutes -gt 0 ]] || { echo "fuzz.sh: --minutes takes a whole number > 0" >&2; exit 2; } ;;
*) echo "usage: scripts/fuzz.sh [--smoke | --minutes N]" >&2; exit 2 ;;
esac
command -v clang >/dev/null || { echo "fuzz.sh: needs clang (scripts/setup.sh installs it)" >&2; exit 2; }
CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRB_FUZZ=ON \
    -DRB_WITH_VERILATOR=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" >/dev/null
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
if [[ $minutes -eq 0 ]]; then
    exec ctest --test-dir build-fuzz -R '^fuzz/' --output-on-failure -j "$(nproc)"
fi
status=0
printf '%-12s %12s %10s  %s\n' harness executions exec/s findings
for h in build-fuzz/tests/fuzz_*; do
    reader=${h##*/fuzz_}
    work=build-fuzz/corpus/$reader found=build-fuzz/findings/$reader
    mkdir -p "$work" "$found"
    log=build-fuzz/fuzz-$reader.log
    "$h" -max_total_time=$((minutes * 60)) -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
        -artifact_prefix="$found/" -print_final_stats=1 "$work" "tests/fuzz/corpus/$reader" \
        >"$log" 2>&1 || status=1
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    n=$(find "$found" -type f | wc -l)
    printf '%-12s %12s %10s  %s\n' "$reader" "${execs:-?}" "${rate:-?}" "$n"
done
exit $status
