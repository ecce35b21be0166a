#!/usr/bin/env bash
# run --dry-run against the run itself: the points it calls unsupported are
# exactly those the run stores so, and its estimated total is within 2x of
# the run's wall time.  The matrix is small but has what the estimate models: points
# the fpga configuration cannot hold (hidden 600 > MAX_H 512, batch 16 >
# MAX_B 8), repetitions decided by --min-time, deterministic targets
# evaluated once, and a server's rate search.  Both the calibration and the
# run slow down together on a loaded machine, and most of the time is the
# 0.5 s --min-time of the cpu's points, so the ratio does not hang on luck.
. "$(dirname "$0")/lib.sh"

cat > m.ini <<'EOF'
[lstm]
cell   = lstm
seq    = 25
hidden = 64 600
batch  = 1 16

[served]
cell      = lstm
seq       = 10
hidden    = 32
scenario  = server
slo_ms    = 20
max_batch = 4
EOF
ARGS=(--matrix m.ini --targets cpu,fpga,asic --duration-s 0.2 --min-queries 200 --db d.db)

expect 0 --out "estimated total" --out "unsupported" --out "a FLOP at" --err "calibrating" \
    -- rb run --dry-run "${ARGS[@]}"
[[ ! -e d.db ]]; check "a dry run writes no database" $? 0
cp "$OUT" dry.txt
# the table: workload GFLOP/call memory(2 fields) reference cpu fpga asic
awk '$1 ~ /_l1/ && NF == 8 { for (i = 6; i <= 8; i++) print $1, i, $i }' dry.txt > est.txt
t0=$(date +%s.%N)
expect 0 --err "complete" -- rb run -q "${ARGS[@]}"
t1=$(date +%s.%N)

col() { case $1 in cpu) echo 6 ;; fpga) echo 7 ;; asic) echo 8 ;; esac; }
# every result: the dry run's word for it against the stored status
mism=0
while IFS='|' read -r key target status; do
    e=$(awk -v k="$key" -v c="$(col "$target")" '$1 == k && $2 == c { print $3 }' est.txt)
    said=runs stored=runs
    [[ $e == unsupported ]] && said=unsupported
    [[ $status == unsupported ]] && stored=unsupported
    if [[ -z $e || $said != "$stored" ]]; then
        echo "dry run: $key on $target: '$e', run stored $status" >&2
        mism=$((mism + 1))
    fi
done < <(rb query --db d.db --format csv "SELECT w.key || '|' || d.instance || '|' || r.status FROM results r JOIN workloads w ON w.id = r.workload_id JOIN devices d ON d.id = r.device_id" | tail -n +2)
check "unsupported exactly where the run stores it (3 fpga points)" "$mism" "0"
check "the run has the three unsupported fpga points" \
    "$(rb query --db d.db --format csv "SELECT count(*) FROM results WHERE status = 'unsupported'" | tail -1)" "3"

est=$(awk '/estimated total/ { for (i = 1; i <= NF; i++) if ($i == "total") print $(i + 1) }' dry.txt)
act=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "dry run estimated ${est} s; the run spent ${act} s" >&2
check "estimate within 2x of the run ($est s vs $act s)" \
    "$(awk -v e="$est" -v a="$act" 'BEGIN { print (e >= a / 2 && e <= 2 * a) ? "yes" : "no" }')" "yes"
finish
