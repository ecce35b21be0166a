#!/usr/bin/env bash
# sweep.sh — Yosys syntheses of small fpga configurations across MAC lanes,
# weight memory and number format: the data the resource model of
# `rnnbench explore` (issue 21) is fitted to.  Each point is synth.sh small
# with RB_SYNTH_PARAMS (7 series, like `small`); the summaries go to
# sweep/NAME.resources beside this script (deterministic: commit them).
# A point whose summary already matches the RTL's hash is skipped.
#   usage: targets/fpga/synth/sweep.sh [--list] [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list=0
[[ ${1:-} == --list ]] && { list=1; shift; }
outdir=${1:-$here/sweep}
hash=$("$here/synth.sh" --rtl-hash)

# the grid: lanes x weight memory x format; the rest as `small` (VLANES =
# LANES / 4 so that 4 * VLANES <= LANES holds; MAX_H covers 4 * MAX_H >= LANES)
points=()
for lanes in 8 16 32 64; do
    for wmem in 65536 262144; do
        for fmt in "16 12" "8 5"; do
            read -r w f <<<"$fmt"
            points+=("l${lanes}_w$((wmem / 1024))k_q$((w - f - 1)).$f:DATA_W=$w FRAC=$f LANES=$lanes VLANES=$((lanes / 4)) WMEM_WORDS=$wmem XMEM_WORDS=16384 YMEM_WORDS=16384 MAX_B=8 MAX_H=512 MAX_I=512 MAX_L=4 OC_FIFO=32")
        done
    done
done
if [[ $list -eq 1 ]]; then
    printf '%s\n' "${points[@]}"
    exit 0
fi
mkdir -p "$outdir"
for p in "${points[@]}"; do
    name=${p%%:*} params=${p#*:}
    out=$outdir/$name.resources
    if [[ -f $out ]] && grep -qx "rtl_sha256=$hash" "$out" && grep -qx "params=$params" "$out"; then
        echo "sweep: $name: up to date"
        continue
    fi
    t0=$(date +%s)
    tmp=$(mktemp -d)
    RB_SYNTH_PARAMS=$params "$here/synth.sh" small "$tmp" >/dev/null
    sed "s/^config=small$/config=$name/" "$tmp/small.resources" >"$out"
    rm -rf "$tmp"
    echo "sweep: $name: $(grep -E '^(LUT|FF|DSP|BRAM36)=' "$out" | tr '\n' ' ')($(($(date +%s) - t0)) s)"
done
