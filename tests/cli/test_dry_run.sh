#!/usr/bin/env bash
# run --dry-run against the run itself: the points it calls unsupported are
# exactly those the run stores so, and the time it gives the cpu's points
# is within 2x of what the run spent on them (their wall_ms).  The matrix is
# small but has what the estimate models: points the fpga configuration
# cannot hold (hidden 600 > MAX_H 512, batch 16 > MAX_B 8), repetitions
# decided by --min-time, deterministic targets evaluated once, a server's
# rate search.  Only the cpu's plain points are held to a time: --min-time
# decides theirs (0.5 s each, fewer repetitions when calls are slower), so
# the ratio holds on a loaded machine; the whole run's wall time depends on
# the load at the moment (the calibration and the run do not see the same
# one) and is compared by scripts/bench/dry-run-accuracy on a quiet machine.
. "$(dirname "$0")/lib.sh"

cat > m.ini <<'EOF'
[lstm]
cell   = lstm
seq    = 5
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
# one thread and one repetition at least: --min-time alone decides a cpu
# point's time (threads that wait for each other on a machine busier than
# its cores stall a call for seconds, and ten of them would outlast it)
ARGS=(--matrix m.ini --targets cpu,fpga,asic --threads 1 --reps 1 --warmup 1 --duration-s 0.2
      --min-queries 200 --db d.db)

expect 0 --out "estimated total" --out "unsupported" --out "a FLOP at" --err "calibrating" \
    -- rb run --dry-run "${ARGS[@]}"
[[ ! -e d.db ]]; check "a dry run writes no database" $? 0
cp "$OUT" dry.txt
# the table: workload GFLOP/call memory(2 fields) reference cpu fpga asic
awk '$1 ~ /_l1/ && NF == 8 { for (i = 6; i <= 8; i++) print $1, i, $i }' dry.txt > est.txt
expect 0 --err "complete" -- rb run -q "${ARGS[@]}"

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

# the cpu's plain points: the estimate's sum against the run's
est=$(awk '$2 == 6 && $1 !~ /server/ { sub(/s$/, "", $3); t += $3 } END { printf "%.2f", t }' est.txt)
act=$(rb query --db d.db --format csv "SELECT sum(m.value) / 1e3 FROM metrics m JOIN results r ON r.id = m.result_id JOIN devices d ON d.id = r.device_id JOIN workloads w ON w.id = r.workload_id WHERE m.name = 'wall_ms' AND d.instance = 'cpu' AND w.key NOT LIKE '%server%'" | tail -1)
echo "dry run gave the cpu's points ${est} s; the run spent ${act} s on them" >&2
check "the cpu's points estimated within 2x ($est s vs $act s)" \
    "$(awk -v e="$est" -v a="$act" 'BEGIN { print (a > 0 && e >= a / 2 && e <= 2 * a) ? "yes" : "no" }')" "yes"
finish
