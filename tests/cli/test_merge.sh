#!/usr/bin/env bash
# run --shard and merge (issue 20): the shards of workloads/ci.ini on the
# asic (modeled: deterministic) and the cpu (measured) partition its pairs
# exactly, and their merge is the single run's points with the same
# deterministic figures; merging again adds nothing; a missing shard, a
# conflict and bad inputs are said; an older schema is migrated on the way.
. "$(dirname "$0")/lib.sh"
M=(--matrix "$RB_SRC/workloads/ci.ini" --targets asic,cpu "${FAST[@]}" -q)
q() { sqlite3 "$1" "$2"; }
pairs() { q "$1" "SELECT d.instance || ' ' || w.key FROM results r JOIN devices d ON d.id = r.device_id JOIN workloads w ON w.id = r.workload_id ORDER BY 1"; }
figs() { q "$1" "SELECT d.instance, w.key, r.status, r.median_ms, r.energy_j, r.err_max_abs FROM results r JOIN devices d ON d.id = r.device_id JOIN workloads w ON w.id = r.workload_id WHERE d.target = 'asic' ORDER BY 1, 2"; }

expect 0 -- rb run "${M[@]}" --db one.db
total=$(q one.db "SELECT count(*) FROM results")
for i in 0 1 2; do
    expect 0 -- rb run "${M[@]}" --shard $i/3 --db s$i.db
done
check "the shards hold every pair once" "$(cat <(pairs s0.db) <(pairs s1.db) <(pairs s2.db) | sort | uniq -c | awk '$1 != 1' | wc -l) $(cat <(pairs s0.db) <(pairs s1.db) <(pairs s2.db) | wc -l)" "0 $total"
check "no shard is empty" "$(for i in 0 1 2; do [[ $(q s$i.db 'SELECT count(*) FROM results') -gt 0 ]] && echo y; done | wc -l)" "3"
check "a shard records its partition" "$(q s1.db "SELECT json_extract(config_json, '\$.shard.index') || '/' || json_extract(config_json, '\$.shard.count') || ' ' || length(json_extract(config_json, '\$.shard.plan')) || ' ' || json_array_length(config_json, '\$.shard.owner') FROM runs")" "1/3 16 $total"
# the same command again: the shard is done; SLURM's job array environment
# names the same shard
expect 0 --err "shard 1/3 is complete in s1.db (run 1): nothing to run" -- rb run "${M[@]}" --shard 1/3 --db s1.db
expect 0 --err "shard 1/3 is complete" -- env SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3 "$RNNBENCH" run "${M[@]}" --shard slurm --db s1.db
# the dry run shows the balance of the partition
expect 0 --out "--shard 0/3 (plan " --out "max / mean" -- rb run "${M[@]}" --shard 0/3 --dry-run --db dry.db

# merge: one run, complete, the single run's points and deterministic figures
expect 0 --err "3 databases into all.db: 1 run new, 2 already there; results: $total added" -- rb merge all.db s0.db s1.db s2.db
check "one merged run, complete" "$(q all.db "SELECT count(*), status, substr(uuid, 1, 7) FROM runs")" "1|complete|shards-"
check "the single run's pairs" "$(pairs all.db)" "$(pairs one.db)"
check "the single run's deterministic figures" "$(figs all.db)" "$(figs one.db)"
check "each result remembers the shard that measured it" "$(q all.db "SELECT count(DISTINCT origin) FROM results")" "3"
check "the shards are listed" "$(q all.db "SELECT json_array_length(config_json, '\$.merge.shards') FROM runs")" "3"
check "devices carry their host" "$(q all.db "SELECT count(*) FROM devices WHERE host = '$(hostname)'")" "2"
# again, and overlapping: nothing twice
sum=$(q all.db "SELECT count(*) FROM results")
expect 0 --err "0 added" --err "$total already there" -- rb merge all.db s2.db s0.db s1.db
expect 0 --err "is the output: skipped" -- rb merge all.db all.db s1.db
check "merging again adds nothing" "$(q all.db "SELECT count(*) FROM results") $(q all.db "SELECT count(*) FROM runs")" "$sum 1"

# a shard missing: its pairs are named, the run incomplete (exit 3); the
# shard merged in later completes it
expect 3 --err "shard 1/3: no database of it given: $(q s1.db 'SELECT count(*) FROM results') pairs missing" -- rb merge part.db s0.db s2.db
check "incomplete" "$(q part.db "SELECT status, json_extract(config_json, '\$.merge.missing_count') FROM runs")" "incomplete|$(q s1.db 'SELECT count(*) FROM results')"
expect 0 -- rb merge part.db s1.db
check "completed by the late shard" "$(q part.db "SELECT status FROM runs") $(pairs part.db | wc -l)" "complete $total"

# a requeued shard: interrupted half-way, the same command resumes it; the
# merge replaces nothing and duplicates nothing
cp s2.db r2.db
q r2.db "PRAGMA foreign_keys = ON; DELETE FROM results WHERE id = (SELECT max(id) FROM results); UPDATE runs SET status = 'interrupted'"
expect 0 --err "shard 2/3 was interrupted in r2.db: resuming run 1" -- rb run "${M[@]}" --shard 2/3 --db r2.db
expect 0 -- rb merge req.db s0.db s1.db r2.db s2.db
check "a resumed shard: no duplicates" "$(pairs req.db | wc -l) $(q req.db 'SELECT count(*) FROM runs')" "$total 1"

# two different runs of one shard are a conflict: said, the first kept
expect 0 -- rb run "${M[@]}" --shard 0/3 --db again.db
expect 3 --err "conflict: " --err "kept the first" -- rb merge conflict.db s0.db again.db s1.db s2.db
check "the first run's results kept" "$(q conflict.db "SELECT count(*) FROM results WHERE origin = '$(q s0.db 'SELECT uuid FROM runs')'")" "$(q s0.db 'SELECT count(*) FROM results')"

# plain runs are carried as they are, by uuid
expect 0 --err "1 run new" -- rb merge plain.db one.db
expect 0 --err "0 runs new, 1 already there" -- rb merge plain.db one.db
check "a plain run keeps its uuid" "$(q plain.db 'SELECT uuid FROM runs')" "$(q one.db 'SELECT uuid FROM runs')"

# an older schema is migrated in a copy, the file itself untouched
cp "$RB_FIXTURES/db/schema2.db" old.db
chmod u+w old.db
before=$(cksum <old.db)
expect 0 -- rb merge plain.db old.db
check "the old database untouched" "$(cksum <old.db)" "$before"
check "its runs came in" "$(q plain.db 'SELECT count(*) FROM runs')" "$(( $(q old.db 'SELECT count(*) FROM runs') + 1 ))"
check "with their results" "$(q plain.db 'SELECT count(*) FROM results')" "$(( $(q old.db 'SELECT count(*) FROM results') + total ))"

# bad inputs: exit 2, the output as it was
before=$(cksum <plain.db)
printf 'not a database at all, just text that is long enough to be read as a header' >junk.db
sqlite3 foreign.db "CREATE TABLE t (x); INSERT INTO t VALUES (1)"
sqlite3 newer.db "PRAGMA user_version = 999"
mkdir adir
expect 2 --err "junk.db" -- rb merge plain.db s0.db junk.db
expect 2 --err "foreign.db" -- rb merge plain.db foreign.db
expect 2 --err "newer rnnbench" -- rb merge plain.db newer.db
expect 2 --err "no such database: nope.db" -- rb merge plain.db nope.db
expect 2 --err "adir" -- rb merge plain.db adir
expect 2 --err "adir" -- rb merge adir s0.db
expect 2 --err "give the output and at least one database" -- rb merge plain.db
check "the output untouched by every refusal" "$(cksum <plain.db)" "$before"
check "no temporary files left" "$(ls | grep -c 'mergeXXX\|\.merge\|\.source')" "0"
expect 2 --err "--shard '3/3': expected I/N" -- rb run "${M[@]}" --shard 3/3 --db x.db
expect 2 --err "--shard 'a/b'" -- rb run "${M[@]}" --shard a/b --db x.db
expect 2 --err "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are not set" -- env -u SLURM_ARRAY_TASK_ID "$RNNBENCH" run "${M[@]}" --shard slurm --db x.db

# a fleet: shard 1 ran on another machine.  The host is in every device's
# name in the report; history asks which machine
cp s1.db b1.db
q b1.db "UPDATE devices SET host = 'node-b'; UPDATE runs SET hostname = 'node-b'"
expect 0 -- rb merge fleet.db s0.db b1.db s2.db
check "one device per instance and host" "$(q fleet.db "SELECT instance || '@' || host FROM devices" | sort | tr '\n' ' ')" "$(printf '%s\n' asic@$(hostname) asic@node-b cpu@$(hostname) cpu@node-b | sort | tr '\n' ' ')"
expect 0 --out "cpu@node-b" --out "cpu@$(hostname)" --out "asic@node-b" -- rb report --db fleet.db --md
read -r t key < <(q b1.db "SELECT d.target || ' ' || w.key FROM results r JOIN devices d ON d.id = r.device_id JOIN workloads w ON w.id = r.workload_id LIMIT 1")
expect 2 --err "$t ran on several machines" --err "name one, as $t@HOST" -- rb history --db fleet.db --target "$t" --workload "$key"
expect 0 --out "$key" -- rb history --db fleet.db --target "$t@node-b" --workload "$key"
finish
