#!/usr/bin/env bash
# Against a real Slurm (issue 20): a private one-node cluster (slurmctld,
# slurmd and munged as root, tests/slurm/cluster.sh), the shard array and
# the merge job of scripts/slurm/submit.sh for workloads/ci.ini in 3 shards.
# The merged run holds exactly the points of a single-process run, with the
# same deterministic figures; a cancelled shard is named with its missing
# points; a requeued shard resumes, nothing twice.  Without root or Slurm
# (scripts/setup.sh --slurm installs it) it is skipped, saying why (77).
. "$(dirname "$0")/lib.sh"
cluster=$TMP/cluster
if ! env=$(bash "$RB_SRC/tests/slurm/cluster.sh" start "$cluster" 2>"$TMP/cluster.err"); then
    code=$?
    echo "skipped: $(tail -1 "$TMP/cluster.err")" >&2
    [[ $code -eq 77 ]] && exit 77
    cat "$TMP/cluster.err" >&2
    exit 1
fi
eval "$env"
trap 'bash "$RB_SRC/tests/slurm/cluster.sh" stop "$cluster" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
MATRIX=$RB_SRC/workloads/ci.ini
TARGETS=asic,cpu,fpga
"$RNNBENCH" list --targets fpga --seq 1 --hidden 1 2>/dev/null | grep -q "fpga .*available" || TARGETS=asic,cpu
q() { sqlite3 "$1" "$2"; }
pairs() { q "$1" "SELECT d.instance || ' ' || w.key FROM results r JOIN devices d ON d.id = r.device_id JOIN workloads w ON w.id = r.workload_id ORDER BY 1"; }
figs() { q "$1" "SELECT d.instance, w.key, r.median_ms, r.energy_j FROM results r JOIN devices d ON d.id = r.device_id JOIN workloads w ON w.id = r.workload_id WHERE d.method <> 'measured' ORDER BY 1, 2"; }
# submit DIR [after-submit command]: the two jobs' ids in ARRAY and MERGE
submit() {
    local ids
    ids=$(bash "$RB_SRC/scripts/slurm/submit.sh" --shards 3 --outdir "$TMP/$1" --rnnbench "$RNNBENCH" \
        --targets "$TARGETS" "$MATRIX" 2>/dev/null) || { echo "FAIL: submit.sh $1" >&2; failed=$((failed + 1)); }
    ARRAY=$(awk '/^shards/ {print $2}' <<<"$ids")
    MERGE=$(awk '/^merge/ {print $2}' <<<"$ids")
}
# wait for job $1 to leave the queue (at most $2 seconds)
wait_job() {
    local t=0
    while squeue -h -j "$1" 2>/dev/null | grep -q . && [[ $t -lt $2 ]]; do
        sleep 1
        t=$((t + 1))
    done
    check "job $1 ended within $2 s" "$((t < $2))" "1"
}
state() { sacct -n -X -P -o State -j "$1" 2>/dev/null | head -1; }

expect 0 -- rb run --matrix "$MATRIX" --targets "$TARGETS" --db one.db -q
total=$(q one.db "SELECT count(*) FROM results")

# three shards, then the merge: the single run's points and deterministic figures
submit fleet
wait_job "$MERGE" 240
check "merged.db written" "$(test -f fleet/merged.db && echo yes)" "yes"
check "report written" "$(test -s fleet/report.html && echo yes)" "yes"
check "three shard databases, each its own run" "$(for i in 0 1 2; do q fleet/shard-$i.db 'SELECT count(*) FROM runs'; done | tr '\n' ' ')" "1 1 1 "
check "one merged run, complete" "$(q fleet/merged.db 'SELECT count(*), status FROM runs')" "1|complete"
check "exactly the single run's points" "$(pairs fleet/merged.db)" "$(pairs one.db)"
check "the same deterministic figures" "$(figs fleet/merged.db)" "$(figs one.db)"
check "the merge job's log" "$(grep -c "3 databases into" fleet/merge.out)" "1"

# a shard cancelled before it ran: the merge names it and its points
submit cancel
scancel "${ARRAY}_1"
wait_job "$MERGE" 240
check "the cancelled shard has no database" "$(test -e cancel/shard-1.db && echo there || echo none)" "none"
check "merge says which shard and how many points" "$(grep -c "shard 1/3: no database of it given: $(q fleet/shard-1.db 'SELECT count(*) FROM results') pairs missing" cancel/merge.out)" "1"
check "the merged run is incomplete" "$(q cancel/merged.db 'SELECT status FROM runs')" "incomplete"
check "the report of what there is" "$(test -s cancel/report.html && echo yes)" "yes"

# a shard requeued while it runs: it resumes its own database, nothing twice
submit requeue
t=0
# requeued once its first run has begun its work (its header written): a
# requeue the moment Slurm says RUNNING can kill the script before it
# prints anything; one that finds the task already finished runs it again
# all the same (Slurm requeues finished batch jobs)
until grep -q '^== shard 1 of 3' "$TMP/requeue/shard-1.out" 2>/dev/null || [[ $t -ge 240 ]]; do
    sleep 0.5
    t=$((t + 1))
done
scontrol requeue "${ARRAY}_1"
wait_job "$MERGE" 300
check "the task ran twice" "$(grep -c '^== shard 1 of 3' requeue/shard-1.out)" "2"
check "one run in the requeued shard's database" "$(q requeue/shard-1.db 'SELECT count(*) FROM runs')" "1"
check "no point twice" "$(pairs requeue/merged.db)" "$(pairs one.db)"
check "complete" "$(q requeue/merged.db 'SELECT status FROM runs')" "complete"
finish
