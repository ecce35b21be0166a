#!/usr/bin/env bash
# Quick start, step 1: install what is needed, build, and run the default job
# (workloads/default.ini on every available target) into ./results.db.
# Extra arguments go to `rnnbench run`, e.g. scripts/run-default.sh --targets cpu
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/rnnbench run "$@"
