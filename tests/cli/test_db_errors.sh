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
finish
