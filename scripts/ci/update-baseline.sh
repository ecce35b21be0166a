#!/usr/bin/env bash
# Regenerate tests/baseline/ci.jsonl: workloads/ci.ini on the deterministic
# targets (fpga: simulated cycles; asic: modeled latency and energy), whose
# figures tests/cli/test_ci_baseline.sh requires unchanged.  Run it after an
# intended change to the RTL, the models or the numerics, and commit the new
# file with that change: `git diff tests/baseline/ci.jsonl` shows what moved.
#   usage: scripts/ci/update-baseline.sh [path/to/rnnbench]
set -euo pipefail
cd "$(dirname "$0")/../.."
exe=${1:-build/rnnbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$exe" run --matrix workloads/ci.ini --targets fpga,asic --db "$tmp/ci.db" --label ci -q >/dev/null
"$exe" export --baseline tests/baseline/ci.jsonl --db "$tmp/ci.db"
git diff --stat -- tests/baseline/ci.jsonl 2>/dev/null || true
