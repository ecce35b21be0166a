#!/usr/bin/env bash
# Install the Debian 12 packages rnnbench needs; skip what is already there.
# Safe to run again and again.  Usage: scripts/setup.sh [--bench] [--slurm]
#   --bench  also install what scripts/bench/ needs (PyTorch and NumPy from Debian)
#   --slurm  also install Slurm and MUNGE: scripts/slurm/ submits to a cluster with
#            them, tests/slurm/cluster.sh starts a private one (tests/slurm/README.md)
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config git
          libopenblas-dev libsqlite3-dev sqlite3 libinih-dev libcjson-dev
          libdnnl-dev  # cpu:onednn: oneDNN's RNN primitives, the cpu's second stack
          verilator yosys  # fpga target: simulate (Verilator) and synthesize (Yosys) the RTL
          # gpu target: the OpenCL ICD loader and headers, CLBlast, and PoCL, which
          # provides an OpenCL CPU device where no GPU driver is installed
          ocl-icd-opencl-dev opencl-c-headers libclblast-dev pocl-opencl-icd clinfo
          # reports: the tests open the HTML report in a headless browser and check
          # it is well-formed XML
          chromium libxml2-utils
          # the text-classification task's data (workloads/textclass/README.md)
          fortunes
          # model import: ONNX files decoded by protobuf-c from Debian's onnx.proto; the
          # tests check against ONNX's operator conformance data and its checker
          libprotobuf-c-dev protobuf-c-compiler libonnx-dev libonnx-testdata python3-onnx
          # the libFuzzer harnesses of tests/fuzz (scripts/fuzz.sh)
          clang libclang-rt-dev)
for arg in "$@"; do
    case $arg in
    --bench) packages+=(python3 python3-numpy python3-torch) ;;
    # Debian's packages start no daemon where there is no systemd, and a
    # cluster needs its own slurm.conf and munge key anyway
    --slurm) packages+=(slurm-wlm munge) ;;
    *)
        echo "usage: scripts/setup.sh [--bench] [--slurm]" >&2
        exit 2
        ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then
        sudo=(sudo)
    else
        echo "setup: need root to install: ${missing[*]}" >&2
        echo "setup: run as root: apt-get install -y ${missing[*]}" >&2
        exit 3
    fi
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
