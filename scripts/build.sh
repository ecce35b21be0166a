#!/usr/bin/env bash
# Configure and build, warnings as errors.
# Usage: scripts/build.sh [--asan] [--fpga CONFIGS]
#   (default)       build/       Release (-O3)
#   --asan          build-asan/  Debug + AddressSanitizer + UndefinedBehaviorSanitizer
#   --fpga CONFIGS  verilate only these fpga configurations ("small", "small;large");
#                   default all (the large model is most of a first build)
#   RB_FPGA_MODELS_FROM=DIR: link DIR's Verilated fpga models (a build of
#   this same tree, the same configurations) instead of making them again
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
args=(-DCMAKE_BUILD_TYPE=Release -DRB_WERROR=ON)
fpga="small;large;small8"
while [[ $# -gt 0 ]]; do
    case $1 in
    --asan)
        dir=build-asan
        args=(-DCMAKE_BUILD_TYPE=Debug -DRB_SANITIZE=ON -DRB_WERROR=ON) ;;
    --fpga)
        [[ $# -ge 2 ]] || { echo "scripts/build.sh: --fpga needs a list of configurations" >&2; exit 2; }
        fpga=$2
        shift ;;
    *)
        echo "usage: scripts/build.sh [--asan] [--fpga CONFIGS]" >&2
        exit 2 ;;
    esac
    shift
done
args+=("-DRB_FPGA_BUILD=$fpga")
# RB_FPGA_MODELS_FROM=DIR (scripts/test.sh, right after building DIR from
# this tree): link DIR's Verilated models instead of verilating them again.
# Always passed, so a build without it verilates its own.
args+=("-DRB_FPGA_MODELS_FROM=${RB_FPGA_MODELS_FROM:-}")
cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
