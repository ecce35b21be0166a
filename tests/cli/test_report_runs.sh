#!/usr/bin/env bash
# A report over several runs, on a database made by the previous release
# (tests/fixtures/db/schema2.db, read without migrating it): every device
# says its run, the figures are the database's own.
. "$(dirname "$0")/lib.sh"
cp "$RB_FIXTURES/db/schema2.db" f.db
chmod u+w f.db
sum_before=$(cksum <f.db)
db() { sqlite3 f.db "$1"; }

expect 0 --out "and 1 more run, combined" --out "| cpu (run 1, monday) |" \
    --out "| fpga (run 2, tuesday) |" --out "| asic (run 2, tuesday) |" --out "| asic (run 1, monday) |" \
    -- rb report --db f.db --run 1,2 --format md
expect 0 -- rb report --db f.db --label monday,tuesday --format csv -o both.csv
check "the report reads the old database without changing it" "$(cksum <f.db)" "$sum_before"
check "user_version still 2" "$(db 'PRAGMA user_version')" "2"

# one row per result of both runs, each with its run and the database's numbers
check "rows" "$(($(wc -l <both.csv) - 1))" "$(db 'SELECT count(*) FROM results WHERE run_id IN (1, 2)')"
col() { awk -F, -v k="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i; next } { print $c }' both.csv; }
check "run ids per row" "$(col run_id | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')" "1:4 2:4 "
want=$(db "SELECT group_concat(printf('%.10g', median_ms), ' ') FROM (SELECT r.median_ms FROM results r
            JOIN workloads w ON w.id = r.workload_id JOIN devices d ON d.id = r.device_id
            WHERE r.run_id IN (1, 2) ORDER BY w.key, d.id)")
got=$(python3 - both.csv <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
print(' '.join('%.10g' % float(r['median_ms']) for r in rows))
EOF
)
check "medians are the database's, by workload then device" "$got" "$want"
targets=$(python3 - both.csv <<'EOF'
import csv, sys
print(' '.join(sorted({r['target'] for r in csv.DictReader(open(sys.argv[1], newline=''))})))
EOF
)
check "each device names its run" "$targets" "asic (run 1, monday) asic (run 2, tuesday) cpu (run 1, monday) fpga (run 2, tuesday)"
expect 0 --out '"target":"fpga (run 2, tuesday)","run":2' -- rb report --db f.db --run 1 --run 2 --format json
expect 0 -- rb report --db f.db --run 2,1 --format html -o both.html
xmllint --noout both.html; check "combined HTML is well-formed" $? 0

# bad selections: exit 2, naming what is wrong
expect 2 --err "--run: 'x' is not a whole number" -- rb report --db f.db --run 1,x
expect 2 --err "has no run 9" -- rb report --db f.db --run 1,9
expect 2 --err "run 1 is asked for twice" -- rb report --db f.db --run 1,1
expect 2 --err "no run labelled 'friday'" -- rb report --db f.db --label monday,friday
expect 2 --err "--run: empty list" -- rb report --db f.db --run ,
finish
