#!/usr/bin/env bash
# Readers work on a database they cannot write, in a directory they cannot
# write (issue 14, item 4: WAL needs the -shm file, so query, report,
# compare and export used to fail there), and leave nothing behind.  Root
# ignores permissions, so as root the readers run as nobody (setpriv).
. "$(dirname "$0")/lib.sh"
chmod 755 "$TMP"
RUN=(--targets asic --seq 2 --hidden 4 "${FAST[@]}" -q --db x.db)
expect 0 -- rb run "${RUN[@]}" --label a
expect 0 -- rb run "${RUN[@]}" --label b
# a reader in a directory it may write leaves no -wal or -shm file behind either
expect 0 -- rb report --db x.db --md
expect 0 -- rb query --db x.db "SELECT 1"
check "readers leave only the database" "$(ls -A | grep -c '^x.db')" "1"
mkdir ro out
cp x.db ro/
chmod 444 ro/x.db
chmod 555 ro
chmod 777 out
as() { "$@"; }
if [[ $(id -u) -eq 0 ]]; then
    as() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    if ! as "$RNNBENCH" --version >/dev/null 2>&1; then
        echo "skipped: nobody cannot execute $RNNBENCH (its path is not world-readable)"
        finish
        exit $?
    fi
fi
w=$(rb query --db x.db --format csv "SELECT workload FROM v_results LIMIT 1" | tail -1)
expect 0 --out "2" -- as "$RNNBENCH" query --db ro/x.db "SELECT count(*) FROM results"
expect 0 --out "rnnbench report" -- as "$RNNBENCH" report --db ro/x.db --md
expect 0 --out "0 regressed" -- as "$RNNBENCH" compare --db ro/x.db a b
expect 0 --out "2 runs" -- as "$RNNBENCH" history --db ro/x.db --target asic --workload "$w" --metric cycles
expect 0 -- as "$RNNBENCH" export --db ro/x.db --label b --baseline out/b.jsonl
[[ -s out/b.jsonl ]]; check "the baseline is written" $? 0
check "nothing left beside the database" "$(ls -A ro)" "x.db"
# writing is refused with a clear message, the file unchanged
sum=$(cksum <ro/x.db)
expect 3 --err "x.db" -- as "$RNNBENCH" run "${RUN[@]/x.db/ro/x.db}"
check "the read-only database is unchanged" "$(cksum <ro/x.db)" "$sum"
finish
