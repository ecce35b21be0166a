#!/usr/bin/env bash
# Configure and build, warnings as errors.  Usage: scripts/build.sh [--asan]
#   (default)  build/       Release (-O3)
#   --asan     build-asan/  Debug + AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
args=(-DCMAKE_BUILD_TYPE=Release -DRB_WERROR=ON)
if [[ "${1:-}" == "--asan" ]]; then
    dir=build-asan
    args=(-DCMAKE_BUILD_TYPE=Debug -DRB_SANITIZE=ON -DRB_WERROR=ON)
elif [[ $# -gt 0 ]]; then
    echo "usage: scripts/build.sh [--asan]" >&2
    exit 2
fi
cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
