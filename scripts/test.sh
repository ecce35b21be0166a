#!/usr/bin/env bash
# Quick start, step 2: install what is needed, build, and run the whole test
# suite twice: the optimised build, then the ASan+UBSan build; then a short
# run of each libFuzzer harness (scripts/fuzz.sh --smoke).
# Usage: scripts/test.sh [--no-asan]
set -euo pipefail
cd "$(dirname "$0")/.."
asan=1
if [[ "${1:-}" == "--no-asan" ]]; then
    asan=0
elif [[ $# -gt 0 ]]; then
    echo "usage: scripts/test.sh [--no-asan]" >&2
    exit 2
fi
jobs=$(nproc)
scripts/setup.sh --slurm  # tests/cli/test_slurm.sh starts a real one-node cluster
scripts/build.sh
ctest --test-dir build --output-on-failure -j "$jobs"
if [[ $asan -eq 1 ]]; then
    # the Verilated models are generated code, never instrumented: the
    # release build's, just made from this tree, serve this one too
    RB_FPGA_MODELS_FROM="$PWD/build" scripts/build.sh --asan
    # explore's confirming builds (Release, not instrumented) are the first pass's
    # (the OpenCL driver's own leaks are suppressed: tests/lsan.supp says which)
    RB_FPGA_CONFIRM_CACHE="$PWD/build/fpga-confirm" LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build-asan --output-on-failure -j "$jobs"
    # every reader of untrusted input under libFuzzer: 5,000 inputs each
    scripts/fuzz.sh --smoke
fi
