#!/usr/bin/env bash
# Adding a figure is one line of reports/figure_table.h and a migration:
# rnnbench_xfig is rnnbench built with RB_TEST_EXTRA_FIGURE, whose only
# difference is that line (a p95) and the migration adding its column.  The
# figure must reach the database (its value the 0.95 quantile of the stored
# repetitions, computed here by NumPy's linear method in awk), query and
# v_results, every report format, history and compare; a database the
# ordinary build made is migrated in place, and the ordinary build then
# refuses it untouched, as it refuses any newer schema.
. "$(dirname "$0")/lib.sh"
: "${RNNBENCH_XFIG:?set RNNBENCH_XFIG to the rnnbench_xfig binary}"
xf() { "$RNNBENCH_XFIG" "$@"; }
W=lstm_infer_t4_b2_i16_h16_l1
SHAPE=(--seq 4 --hidden 16 --batch 2 --reps 25 --min-time 0 --warmup 1 -q --db x.db)

expect 0 --out "p95_ms" --out "q 0.95" -- xf list --figures
expect 0 --no-out "p95_ms" -- rb list --figures

# a database of the ordinary build, then the extra figure's runs in it
expect 0 -- rb run --targets cpu "${SHAPE[@]}" --label old
check "the ordinary schema" "$(rb query --db x.db --format csv 'SELECT user_version FROM pragma_user_version' | tail -1)" "7"
expect 0 -- xf run --targets cpu,asic "${SHAPE[@]}" --label new
check "migrated in place" "$(xf query --db x.db --format csv 'SELECT user_version FROM pragma_user_version' | tail -1)" "8"
check "the old row predates the figure" \
    "$(xf query --db x.db --format csv "SELECT count(*) FROM v_results WHERE label = 'old' AND p95_ms IS NULL AND median_ms > 0" | tail -1)" "1"

# the database's p95 is the 0.95 quantile of the stored repetitions
rid=$(xf query --db x.db --format csv "SELECT result_id FROM v_results WHERE label = 'new' AND target = 'cpu'" | tail -1)
p95=$(xf query --db x.db --format csv "SELECT p95_ms FROM results WHERE id = $rid" | tail -1)
ref=$(xf query --db x.db --format csv "SELECT value_ms FROM samples WHERE result_id = $rid ORDER BY value_ms" | tail -n +2 |
    awk '{ s[n++] = $1 } END { p = 0.95 * (n - 1); i = int(p); printf "%.17g", s[i] + (p - i) * (s[i + 1] - s[i]) }')
check "p95_ms = the 0.95 quantile of its 25 samples" "$(awk -v a="$p95" -v b="$ref" 'BEGIN { d = a - b; if (d < 0) d = -d; print (a > 0 && d <= 1e-9 * b) }')" "1"
check "p95 between the median and the max" \
    "$(xf query --db x.db --format csv "SELECT p95_ms >= median_ms AND p95_ms <= max_ms FROM results WHERE id = $rid" | tail -1)" "1"

# every report format carries it
xf report --db x.db --label new --csv >r.csv
csv=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "p95_ms") c = i } $3 == "cpu" { print $c }' r.csv)
check "csv p95_ms = the database's" "$(awk -v a="$csv" -v b="$p95" 'BEGIN { d = a - b; if (d < 0) d = -d; print (d <= 1e-9 * b) }')" "1"
xf report --db x.db --label new --json >r.json
js=$(grep "^{\"result_id\":$rid," r.json | sed 's/.*"p95_ms":\([^,]*\),.*/\1/')
check "json p95_ms = the database's" "$(awk -v a="$js" -v b="$p95" 'BEGIN { d = a - b; if (d < 0) d = -d; print (d <= 1e-9 * b) }')" "1"
expect 0 --out "| p95 (ms) |" -- xf report --db x.db --label new --md
expect 0 --out "<th>p95 (ms)</th>" -- xf report --db x.db --label new --html
cp "$RB_FIXTURES/db/schema2.db" old.db
expect 0 --out "p95_ms" -- xf report --db old.db --csv   # read-only: an older schema is read as it is

# compare pairs it: measured on the cpu, modeled on the asic; history follows it
expect 0 -- env RB_INJECT_DELAY_MS=cpu:50 "$RNNBENCH_XFIG" run --targets cpu,asic "${SHAPE[@]}" --label slow
expect 1 -- xf compare --db x.db new slow
grep -E "REGRESSED\??  *cpu .*p95_ms" "$OUT" >/dev/null
check "compare: the cpu's p95 regressed" $? 0
expect 1 --out "p95_ms" -- xf compare --db x.db new slow --all --format json
tr -d ' \n\t' <"$OUT" | grep -q '"target":"asic"[^}]*"metric":"p95_ms"[^}]*"kind":"deterministic"'
check "compare: the asic's modeled p95 is deterministic" $? 0
expect 0 -- xf export --db x.db --label new --baseline b.jsonl
check "the baseline holds the asic's p95" "$(grep -c '"metric":"p95_ms"' b.jsonl)" "1"
expect 0 --out "p95_ms of cpu (fp32) on $W: 2 runs" --out " new " --out " slow " \
    -- xf history --db x.db --target cpu --workload $W --metric p95_ms

# the ordinary build refuses the migrated database and leaves it as it is
sum=$(cksum <x.db)
expect 3 --err "schema version 8" -- rb report --db x.db --md
expect 3 --err "schema version 8" -- rb run --targets cpu "${SHAPE[@]}"
check "refused untouched" "$(cksum <x.db)" "$sum"
finish
