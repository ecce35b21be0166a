#!/usr/bin/env bash
# A corrupt or locked database is reported clearly and never overwritten.
. "$(dirname "$0")/lib.sh"
RUN=(--targets cpu --seq 2 --hidden 4 --reps 2 --min-time 0 --warmup 1 -q)

head -c 4096 /dev/urandom >corrupt.db
sum=$(md5sum <corrupt.db)
expect 3 --err "corrupt.db" --err "not an SQLite database" -- rb run --db corrupt.db "${RUN[@]}"
expect 3 --err "not an SQLite database" -- rb query --db corrupt.db "SELECT 1"
check "corrupt file untouched" "$(md5sum <corrupt.db)" "$sum"

expect 0 -- rb run --db locked.db "${RUN[@]}"
# another process holds the write lock for a few seconds
{ echo "BEGIN EXCLUSIVE;"; sleep 4; echo "COMMIT;"; } | sqlite3 locked.db &
holder=$!
sleep 0.5
expect 3 --err "locked.db" --err "another process" -- env RB_BUSY_TIMEOUT_MS=200 "$RNNBENCH" run --db locked.db "${RUN[@]}"
wait $holder
check "first run intact" "$(rb query --db locked.db --format csv "SELECT count(*) FROM results" | tail -1)" "1"

# a database from a newer rnnbench is refused, not downgraded
cp locked.db newer.db
sqlite3 newer.db "PRAGMA user_version = 999"
expect 3 --err "newer" -- rb run --db newer.db "${RUN[@]}"
check "newer db untouched" "$(sqlite3 newer.db 'PRAGMA user_version')" "999"

# a database rnnbench made carries its application id (issue 14, item 3) ...
check "ours is marked" "$(sqlite3 locked.db 'PRAGMA application_id')" "1380863554"
# ... one from before the id is recognised by its schema, migrated and marked
cp "$RB_FIXTURES/db/schema2.db" old.db
expect 0 -- rb run --db old.db "${RUN[@]}"
check "an old database is marked when written" "$(sqlite3 old.db 'PRAGMA application_id')" "1380863554"
# ... and any other SQLite database is refused untouched, leaving no WAL files
sqlite3 contacts.db "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('ada')"
sqlite3 own.db "CREATE TABLE runs (id INTEGER PRIMARY KEY, who TEXT)"
sqlite3 other.db "PRAGMA application_id = 42; CREATE TABLE t (x)"
for f in contacts own other; do
    sum=$(cksum <$f.db)
    expect 2 --err "$f.db" --err "left untouched" -- rb run --db $f.db "${RUN[@]}"
    expect 2 --err "left untouched" -- rb report --db $f.db --md
    check "$f.db untouched" "$(cksum <$f.db)" "$sum"
    [[ ! -e $f.db-wal && ! -e $f.db-shm ]]; check "$f.db: no WAL files" $? 0
done
check "own.db stays in its journal mode" "$(sqlite3 own.db 'PRAGMA journal_mode')" "delete"
expect 2 --err "application id 42" -- rb query --db other.db "SELECT 1"

# a damaged database is refused before the first write, untouched (item 2):
# the first byte of page 3's b-tree header made an invalid page type
expect 0 -- rb run --db good.db --targets asic --seq 2 --hidden 4,8,16 "${FAST[@]}" -q
cp good.db damaged.db
printf '\xff' | dd of=damaged.db bs=1 seek=$((2 * $(sqlite3 good.db 'PRAGMA page_size'))) conv=notrunc 2>/dev/null
sum=$(cksum <damaged.db)
expect 3 --err "damaged.db" -- rb run --db damaged.db "${RUN[@]}"
check "damaged db untouched" "$(cksum <damaged.db)" "$sum"
# a lock held past the busy timeout does not cost a finished measurement (issue
# 14, item 10): the write is tried again until the lock goes; when it does not
# go, the run stops with the command that resumes it.  Each step waits for the
# other's message, not for time to pass.
wait_for() { for _ in $(seq 1200); do grep -q -- "$1" "$2" && return 0; sleep 0.1; done; return 1; }
SLOW=(env RB_BUSY_TIMEOUT_MS=100 RB_INJECT_DELAY_MS=cpu:1500 "$RNNBENCH" run --targets cpu --seq 2 --hidden 4 --reps 1 --min-time 0 --warmup 1 -q)
"${SLOW[@]}" --db lk.db 2>lk.err >/dev/null &
pid=$!
wait_for "into lk.db" lk.err
{ echo "BEGIN EXCLUSIVE;"; wait_for "trying again" lk.err; echo "COMMIT;"; } | sqlite3 lk.db
wait $pid
check "the run completes once the lock goes" $? 0
check "the measured result is stored" "$(rb query --db lk.db --format csv "SELECT count(*) FROM results WHERE status = 'ok'" | tail -1)" "1"
env RB_STORE_RETRY_S=0.3 "${SLOW[@]}" --db lk2.db 2>lk2.err >/dev/null &
pid=$!
wait_for "into lk2.db" lk2.err
{ echo "BEGIN EXCLUSIVE;"; while kill -0 $pid 2>/dev/null; do sleep 0.1; done; echo "COMMIT;"; } | sqlite3 lk2.db
wait $pid
check "a lock that outlasts the retries stops the run (exit 3)" $? 3
grep -q "Continue with: rnnbench run --db lk2.db --resume 1" lk2.err
check "and says how to resume it" $? 0
expect 0 -- rb run --db lk2.db --resume 1 -q
check "the resumed run stores the point" "$(rb query --db lk2.db --format csv "SELECT count(*) FROM results WHERE status = 'ok'" | tail -1)" "1"
finish
