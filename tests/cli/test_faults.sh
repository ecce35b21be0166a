#!/usr/bin/env bash
# Faults a results database meets (issue 14, the battery kept): SIGKILL at
# seeded random moments, concurrent writers, a full disk.  What must hold:
# the file passes SQLite's integrity check, every result `run` printed is
# stored, `--resume` completes the run without duplicates, nothing is lost
# to another writer, a full disk keeps what was stored and says so.
# RB_KILL_TRIALS=50 runs the long version of the first part.
. "$(dirname "$0")/lib.sh"
q() { rb query --db "$1" --format csv "$2" | tail -1; }
AXES=(--targets asic --seq 2,3,4 --hidden 4,8,16 --min-time 0 --warmup 1 -q)

trials=${RB_KILL_TRIALS:-5}
RANDOM=7
ok=0
for ((i = 0; i < trials; i++)); do
    rm -f k.db k.db-wal k.db-shm
    "$RNNBENCH" run "${AXES[@]}" --reps 400 --db k.db >k.out 2>/dev/null &
    pid=$!
    sleep "0.$((RANDOM % 9))$((RANDOM % 10))"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    [[ -e k.db ]] || { ok=$((ok + 1)); continue; } # killed before the database existed
    printed=$(grep -c ' ok$' k.out)
    if [[ $(sqlite3 k.db 'PRAGMA integrity_check') != ok ]]; then
        echo "trial $i: integrity check failed" >&2
        continue
    fi
    run=$(q k.db "SELECT max(id) FROM runs")
    [[ -n $run ]] || { ok=$((ok + 1)); continue; }
    stored=$(q k.db "SELECT count(*) FROM results WHERE status = 'ok'")
    if ((stored < printed)); then
        echo "trial $i: $printed printed, $stored stored" >&2
        continue
    fi
    status=$(q k.db "SELECT status FROM runs WHERE id = $run")
    if [[ $status != complete ]] && ! "$RNNBENCH" run --db k.db --resume "$run" -q >/dev/null 2>&1; then
        echo "trial $i: resume failed" >&2
        continue
    fi
    n=$(q k.db "SELECT count(*) || '/' || count(DISTINCT device_id || ':' || workload_id) FROM results WHERE status = 'ok'")
    [[ $n == 9/9 ]] && ok=$((ok + 1)) || echo "trial $i: after resume $n results (ok/distinct), want 9/9" >&2
done
check "killed runs: intact, nothing printed lost, resumed without duplicates ($trials trials)" "$ok" "$trials"

# four writers at once: nothing lost, the file intact
for w in 1 2 3 4; do
    "$RNNBENCH" run "${AXES[@]}" --reps 50 --db c.db --label "w$w" >/dev/null 2>"c$w.err" &
    pids[w]=$!
done
fails=0
for w in 1 2 3 4; do wait "${pids[w]}" || { fails=$((fails + 1)); cat "c$w.err" >&2; }; done
check "four concurrent writers all finish" "$fails" "0"
check "every writer's results stored" "$(q c.db "SELECT count(*) FROM results WHERE status = 'ok'")" "36"
check "the file intact" "$(sqlite3 c.db 'PRAGMA integrity_check')" "ok"

# a full disk: the run stops with a clear message, what it stored stays whole
# (needs a small tmpfs: root and a mount namespace that allows it)
mkdir -p full
if mount -t tmpfs -o size=400k tmpfs full 2>/dev/null; then
    expect 3 --err "disk full" -- rb run "${AXES[@]}" --seq 2,3,4,5,6,7,8,9 --reps 3000 --db full/f.db
    check "a full disk leaves the database intact" "$(sqlite3 full/f.db 'PRAGMA integrity_check')" "ok"
    check "and keeps what was stored" "$(q full/f.db "SELECT count(*) > 0 FROM results WHERE status = 'ok'")" "1"
    umount full
else
    echo "skipped: the full-disk case needs to mount a tmpfs (root)"
fi
finish
