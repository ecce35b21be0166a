#!/usr/bin/env bash
# synth.sh CONFIG [OUTDIR] — synthesize the fpga accelerator (targets/fpga/rtl)
# with Yosys for one hardware configuration and write a short, deterministic
# resource summary.  README.md in this folder explains the flow, what is
# committed and what CI checks.
#
#   CONFIG  small or small8 (7-series, Zynq-7020 / Artix-7 class; small8 is the
#           8-bit datapath) or large (UltraScale+, Alveo U250 class); its
#           parameters are the defaults of the fpga block
#           in the top-level CMakeLists.txt (RB_FPGA_PARAMS), not any -D override
#           of a build directory.
#   OUTDIR  where <CONFIG>.resources and <CONFIG>.stat.txt go (default: this
#           folder, i.e. the committed files).
# synth.sh --rtl-hash prints the hash of the RTL sources that a summary's
# rtl_sha256 line records, and synthesizes nothing.
#
# Environment: RB_FPGA_RTL_DIR (RTL to read, default targets/fpga/rtl),
# RB_SYNTH_PARAMS (parameters to synthesize instead of the defaults, for a
# build with -DRB_FPGA_* overrides: then give an OUTDIR and run rnnbench with
# RB_FPGA_SYNTH_DIR=OUTDIR),
# RB_SYNTH_MEM_GB (address-space cap for yosys, default 8: a runaway synthesis
# fails with a message instead of exhausting the machine), RB_SYNTH_KEEP=1
# (keep the full yosys log).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../../.." && pwd)
usage="usage: $0 small|large|small8 [OUTDIR]  |  $0 --rtl-hash"
rtl=${RB_FPGA_RTL_DIR:-$src/targets/fpga/rtl}
[[ -d $rtl ]] || { echo "synth.sh: no RTL folder $rtl" >&2; exit 2; }

# The sources: every module but the unit-test harness; the hash says which RTL
# a summary describes (fpga_units.sv is not part of the accelerator).
sv=()
for f in "$rtl"/*.sv; do
    [[ -f $f && ${f##*/} != fpga_units.sv ]] && sv+=("${f##*/}")
done
hashed=("${sv[@]}")
for f in "$rtl"/*.svh; do
    [[ -f $f ]] && hashed+=("${f##*/}")
done
rtl_hash=$(cd "$rtl" && sha256sum -- "${hashed[@]}" | sha256sum | cut -c1-16)
if [[ ${1:-} == --rtl-hash ]]; then
    echo "$rtl_hash"
    exit 0
fi

[[ $# -ge 1 ]] || { echo "$usage" >&2; exit 2; }
config=$1
outdir=${2:-$here}
mem_gb=${RB_SYNTH_MEM_GB:-8}
top=fpga_accel

case $config in
small | small8) family=xc7 extra="" ;;
large) family=xcup extra=" -uram" ;;
*) echo "$usage" >&2; exit 2 ;;
esac
command -v yosys >/dev/null || { echo "synth.sh: yosys not found (Debian: apt-get install yosys)" >&2; exit 3; }
mkdir -p "$outdir"

# Parameters: the rows of RB_FPGA_PARAMS ("NAME small large small8 description");
# CLOCK_MHZ and OFFCHIP_BPC do not change the RTL.
case $config in
small) col=2 ;;
large) col=3 ;;
small8) col=4 ;;
esac
params=$(awk -v col="$col" '
    /^[[:space:]]*"[A-Z_0-9]+[[:space:]]+[0-9]+[[:space:]]+[0-9]+[[:space:]]+[0-9]+[[:space:]]/ {
        sub(/^[[:space:]]*"/, "")
        if ($1 != "CLOCK_MHZ" && $1 != "OFFCHIP_BPC") printf "%s=%s ", $1, $col
    }' "$src/CMakeLists.txt")
params=${params% }
[[ -n $params ]] || { echo "synth.sh: no RB_FPGA_PARAMS rows in $src/CMakeLists.txt" >&2; exit 2; }
# A build with -DRB_FPGA_* overrides simulates other hardware: RB_SYNTH_PARAMS
# (the whole "NAME=VALUE ..." list, as the fpga target's message prints it)
# synthesizes that instead.
if [[ -n ${RB_SYNTH_PARAMS:-} ]]; then
    for p in $RB_SYNTH_PARAMS; do
        [[ $p =~ ^[A-Z_0-9]+=[0-9]+$ ]] || { echo "synth.sh: RB_SYNTH_PARAMS: '$p' is not NAME=number" >&2; exit 2; }
    done
    params=$RB_SYNTH_PARAMS
fi
chparam=""
for p in $params; do chparam+=" -set ${p%%=*} ${p#*=}"; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rb_synth_${config}.XXXXXX")
keep=${RB_SYNTH_KEEP:-0}
cleanup() { [[ $keep == 1 ]] || rm -rf "$tmp"; }
trap cleanup EXIT

synth_cmd="synth_xilinx -top $top -family $family$extra -noiopad -noclkbuf"
mems="u_wmem u_bmem u_xmem u_hmem u_cmem u_ymem"
{
    echo "read_verilog -sv -I$rtl $(printf "$rtl/%s " "${sv[@]}")"
    echo "chparam$chparam $top"
    echo "hierarchy -check -top $top"
    echo "rename -top $top"
    echo "$synth_cmd"
    echo "tee -q -o $tmp/stat.txt stat -top $top"
    for m in $mems; do echo "tee -q -o $tmp/map_$m.txt stat $top/$m %M"; done
} >"$tmp/synth.ys"

start=$(date +%s)
set +e
(
    ulimit -v $((mem_gb * 1024 * 1024))
    exec yosys -q -l "$tmp/yosys.log" -s "$tmp/synth.ys" >"$tmp/yosys.out" 2>&1
)
rc=$?
set -e
secs=$(($(date +%s) - start))
if [[ $rc -ne 0 ]]; then
    keep=1
    echo "synth.sh: yosys failed for $config (exit $rc after ${secs}s; memory cap ${mem_gb} GB, RB_SYNTH_MEM_GB):" >&2
    grep -m5 -E "ERROR|std::bad_alloc|out of memory" "$tmp/yosys.log" "$tmp/yosys.out" >&2 || tail -5 "$tmp/yosys.log" >&2
    echo "full log: $tmp/yosys.log" >&2
    exit 3
fi

# Cell counts of the whole hierarchy: the section after "design hierarchy"
# (every instance counted), or the only module if there is no hierarchy.
cells() {
    awk '/=== design hierarchy ===/ { n = 0; delete c; h = 1 }
         /^[[:space:]]+Number of cells:/ { on = 1; next }
         on && /^[[:space:]]+[A-Za-z0-9_$]+[[:space:]]+[0-9]+$/ { c[$1] = $2; n++; next }
         on { on = 0 }
         END { for (k in c) print k, c[k] }' "$1" | sort
}
cells "$tmp/stat.txt" >"$tmp/cells.txt"

# LUTs per LUTRAM / SRL primitive (7 series and UltraScale+ CLBs).
has_uram=0
[[ $family == xcup ]] && has_uram=1 # UltraRAM exists on UltraScale+ only: no URAM line for 7 series
summary=$(awk -v has_uram=$has_uram '
    BEGIN {
        split("RAM16X1S 1 RAM32X1S 1 RAM64X1S 1 RAM128X1S 2 RAM256X1S 4 RAM512X1S 8 " \
              "RAM16X1D 2 RAM32X1D 2 RAM64X1D 2 RAM128X1D 4 RAM256X1D 8 RAM32M 4 RAM64M 4 " \
              "RAM32M16 8 RAM64M8 8 SRL16E 1 SRLC16E 1 SRLC32E 1", t, " ")
        for (i = 1; i < length(t); i += 2) lr[t[i]] = t[i + 1]
    }
    $1 ~ /^LUT[1-6]$/ || $1 == "INV" { lut += $2; next }
    $1 in lr { lutram += $2 * lr[$1]; next }
    $1 ~ /^(FDRE|FDSE|FDCE|FDPE|LDCE|LDPE)$/ { ff += $2; next }
    $1 ~ /^DSP48E[12]$/ { dsp += $2; next }
    $1 ~ /^RAMB36E[12]$/ { b36 += $2; braw = braw " " $1 ":" $2; next }
    $1 ~ /^RAMB18E[12]$/ { b18 += $2; braw = braw " " $1 ":" $2; next }
    $1 ~ /^URAM288/ { uram += $2; next }
    $1 ~ /^CARRY[48]$/ { carry += $2; next }
    $1 ~ /^(MUXF[789]|BUFG|IBUF|OBUF|GND|VCC)$/ { next }
    { unknown = unknown " " $1 }
    END {
        if (unknown != "") { print "unknown cell types:" unknown > "/dev/stderr"; exit 1 }
        printf "LUT=%d\nLUTRAM=%d\nFF=%d\nDSP=%d\nBRAM36=%g\n", lut + lutram, lutram, ff, dsp, b36 + b18 / 2
        if (has_uram) printf "URAM=%d\n", uram
        printf "CARRY=%d\nbram_primitives=%s\n", carry, (braw == "" ? " none" : braw)
    }' "$tmp/cells.txt" | sed 's/= /=/')

# Where each memory went: its module's cells.  The weight memory must be block
# RAM or UltraRAM, never flip-flops or LUTs.
maps=""
for m in $mems; do
    line=$(cells "$tmp/map_$m.txt" | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $1, $2 }')
    [[ -n $line ]] || line="(none)"
    maps+="map.$m=$line"$'\n'
    # Glue (address decode, the read mux across cascaded blocks, a few pipeline
    # FFs) is expected; LUTRAM or thousands of FFs would mean the array itself
    # went to the fabric.
    if [[ $m == u_wmem ]] && ! cells "$tmp/map_$m.txt" | awk '
            $1 ~ /^(RAMB|URAM)/ { blk += $2 }
            $1 ~ /^(RAM[0-9]|SRL)/ { lutram += $2 }
            $1 ~ /^FD/ { ff += $2 }
            END { exit !(blk > 0 && lutram == 0 && ff < 1024) }'; then
        echo "synth.sh: the weight memory (u_wmem) is not in block RAM/UltraRAM: $line" >&2
        echo "  (a memory with a reset, an asynchronous read or several write addresses is not inferred as block RAM)" >&2
        keep=1
        exit 4
    fi
done

ver=$(yosys -V)
res="$outdir/$config.resources"
{
    echo "# targets/fpga/synth/synth.sh $config: Yosys resource summary, deterministic; do not edit (README.md)"
    echo "config=$config"
    echo "yosys=$ver"
    echo "synth=$synth_cmd"
    echo "params=$params"
    echo "rtl_sha256=$rtl_hash"
    [[ $rtl -ef $src/targets/fpga/rtl ]] || echo "rtl_dir=RB_FPGA_RTL_DIR override, not targets/fpga/rtl"
    echo "$summary"
    printf "%s" "$maps"
} >"$res.tmp"
mv "$res.tmp" "$res"
awk '/=== design hierarchy ===/ { f = 1 } f' "$tmp/stat.txt" | sed -e 's/[[:space:]]*$//' >"$outdir/$config.stat.txt"
echo "synth.sh: $config synthesized in ${secs}s: $(grep -E '^(LUT|FF|DSP|BRAM36|URAM)=' "$res" | tr '\n' ' ')-> $res" >&2
