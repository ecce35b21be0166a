#!/usr/bin/env bash
# Benchmark a matrix on a Slurm cluster: a job array of shards, then a merge and report.
# scripts/slurm/submit.sh --help says how.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/slurm/submit.sh [--shards N] [--outdir DIR] [--rnnbench PATH]
                               [--targets LIST] [--] MATRIX [sbatch options...]

Runs `rnnbench run --matrix MATRIX` on a Slurm cluster, split into N shards, then
merges them and writes the report.  It submits two jobs:

  shards  a job array of N tasks (scripts/slurm/shard.sbatch); task I runs
          `rnnbench run --shard slurm --db DIR/shard-I.db --matrix MATRIX`, i.e.
          shard I of N, alone on its node (--exclusive: no other job shares a node
          with a benchmark).  A task that Slurm requeues (node failure, preemption,
          `scontrol requeue`) runs the same command again and resumes its shard.
  merge   waits for every task to end, whatever its end (--dependency=afterany), then
          `rnnbench merge DIR/merged.db DIR/shard-*.db` and
          `rnnbench report -o DIR/report.html --db DIR/merged.db`
          (scripts/slurm/merge.sbatch).  A cancelled shard is reported missing.

and prints their ids, one a line: `shards JOBID` and `merge JOBID`.

Options:
  --shards N       number of shards, 4 by default: as many nodes can work at once
  --outdir DIR     the databases, the report and each job's output (shard-I.out,
                   merge.out); rnnbench-slurm-DATE in the current directory by default.
                   Every node must see DIR, MATRIX and rnnbench at the same paths
                   (a shared file system)
  --rnnbench PATH  the rnnbench binary, build/rnnbench of this repository by default
  --targets LIST   passed to `rnnbench run`: only these target instances
  sbatch options   the rest of the command line goes to the shard array only, which is
                   where placement matters: --partition=, --constraint=, --gres=,
                   --time=, --account= ...

GPU targets on GPU nodes: submit twice with different --targets and placement, each
into its own --outdir; e.g.

  scripts/slurm/submit.sh --outdir cpu --targets cpu,cpu:onednn,fpga:large \
      workloads/deepbench-infer.ini --partition=cpu
  scripts/slurm/submit.sh --outdir gpu --targets gpu --shards 2 \
      workloads/deepbench-infer.ini --partition=gpu --gres=gpu:1

Each writes its own report; `rnnbench merge all.db cpu/merged.db gpu/merged.db` then
`rnnbench report -o all.html --db all.db` gives one for both.

Exit status: 0 submitted, 2 bad usage, 3 sbatch failed.
EOF
}

bad() {
    echo "submit.sh: $*" >&2
    echo "usage: scripts/slurm/submit.sh [--shards N] [--outdir DIR] [--rnnbench PATH] [--targets LIST] [--] MATRIX [sbatch options...]  (--help for more)" >&2
    exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
shards=4
outdir=rnnbench-slurm-$(date +%Y%m%d-%H%M%S)
rnnbench=$root/build/rnnbench
targets=

# has_value ARGC OPTION: the option is followed by its value
has_value() { [[ $1 -ge 2 ]] || bad "$2 needs a value"; }
while [[ $# -gt 0 ]]; do
    case $1 in
    -h | --help) usage; exit 0 ;;
    --shards) has_value $# "$1"; shards=$2; shift 2 ;;
    --shards=*) shards=${1#*=}; shift ;;
    --outdir) has_value $# "$1"; outdir=$2; shift 2 ;;
    --outdir=*) outdir=${1#*=}; shift ;;
    --rnnbench) has_value $# "$1"; rnnbench=$2; shift 2 ;;
    --rnnbench=*) rnnbench=${1#*=}; shift ;;
    --targets) has_value $# "$1"; targets=$2; shift 2 ;;
    --targets=*) targets=${1#*=}; shift ;;
    --) shift; break ;;
    -*) bad "unknown option $1" ;;
    *) break ;;
    esac
done
[[ $# -ge 1 ]] || bad "no MATRIX"
matrix=$1
shift
sbatch_opts=("$@")

[[ $shards =~ ^[1-9][0-9]*$ ]] || bad "--shards takes a positive integer, not '$shards'"
[[ -f $matrix && -r $matrix ]] || bad "no readable matrix file '$matrix'"
[[ -f $rnnbench && -x $rnnbench ]] || bad "'$rnnbench' is not an executable (build it: scripts/build.sh; or pass --rnnbench)"
# the jobs run elsewhere and in another directory: absolute paths only
matrix=$(realpath -- "$matrix")
rnnbench=$(realpath -- "$rnnbench")
# shard.sbatch splits RB_RUN_ARGS on spaces
[[ $matrix != *[[:space:]]* ]] || bad "the matrix path has a space in it: '$matrix'"
[[ $targets != *[[:space:]]* ]] || bad "--targets has a space in it: '$targets'"
command -v sbatch >/dev/null || { echo "submit.sh: sbatch not found: is this a Slurm login node?" >&2; exit 3; }
mkdir -p -- "$outdir"
outdir=$(realpath -- "$outdir")
if compgen -G "$outdir/shard-*.db" >/dev/null; then
    echo "submit.sh: $outdir already holds shard databases: each shard resumes its own," \
        "which is right only with the same matrix, targets and --shards" >&2
fi

# the jobs get the submitter's environment (sbatch's default --export=ALL)
export OUTDIR=$outdir RNNBENCH=$rnnbench RB_ROOT=$root
export RB_RUN_ARGS="--matrix $matrix${targets:+ --targets $targets}"

# --parsable prints "jobid" or "jobid;cluster"
array=$(sbatch --parsable --array="0-$((shards - 1))" --chdir="$outdir" \
    --output="$outdir/shard-%a.out" "${sbatch_opts[@]}" "$here/shard.sbatch") ||
    { echo "submit.sh: sbatch refused the shard array" >&2; exit 3; }
array=${array%%;*}
if ! merge=$(sbatch --parsable --dependency="afterany:$array" --chdir="$outdir" \
    --output="$outdir/merge.out" "$here/merge.sbatch"); then
    # shards with nobody to merge them would only hold nodes
    scancel "$array" || true
    echo "submit.sh: sbatch refused the merge job; cancelled the shards ($array)" >&2
    exit 3
fi
merge=${merge%%;*}

echo "shards $array"
echo "merge $merge"
cat >&2 <<EOF
watch:   squeue -j $array,$merge
output:  $outdir/shard-<I>.out, $outdir/merge.out
report:  $outdir/report.html once job $merge has ended
cancel:  scancel $array $merge   (one shard: scancel ${array}_<I>)
EOF
