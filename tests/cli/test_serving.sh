#!/usr/bin/env bash
# Serving scenarios from the command line: the event simulation of a
# modeled target against queueing theory end to end (a server with
# batches of one and a deterministic service time is M/D/1: its mean
# latency is D + rho D / (2 (1 - rho)), Pollaczek-Khinchine), the measured
# engine's accounting on the cpu, what is stored (histograms, load points,
# the rate search), the report's plan, and the axes refused with a reason.
. "$(dirname "$0")/lib.sh"
q() { rb query --format csv "$1" | tail -1; }
last() { q "SELECT $1 FROM v_results WHERE run_id = (SELECT max(id) FROM runs) AND target='$2' ${3:-}"; }
SHAPE=(--seq 8 --hidden 64 -q)

# usage errors name the axis and what to do, before anything runs
expect 2 --err "a server scenario needs --qps" -- rb run --targets asic --scenario server "${SHAPE[@]}"
expect 2 --err "a served query is one sequence" -- rb run --targets asic --scenario offline --batch 4 "${SHAPE[@]}"
expect 2 --err "serves inference, not mode train" -- rb run --targets asic --scenario offline --mode train "${SHAPE[@]}"
expect 2 --err "qps applies to a serving scenario" -- rb run --targets asic --qps 10 "${SHAPE[@]}"
expect 2 --err "bad slo_ms value '0'" -- rb run --targets asic --scenario server --slo-ms 0 "${SHAPE[@]}"
expect 2 --err "bad scenario value 'servr'" -- rb run --targets asic --scenario servr "${SHAPE[@]}"
expect 2 --err "expected TARGET=PRICE/h" -- rb run --targets asic --price asic "${SHAPE[@]}"
expect 2 --err "--price: 'x' is not a number" -- rb run --targets asic --price asic=x/h "${SHAPE[@]}"
expect 2 --err "--price gpu: no target of this run is gpu (it runs: asic)" -- rb run --targets asic --price gpu=1/h --scenario server --slo-ms 2 "${SHAPE[@]}"
check "nothing was written" "$([[ -e results.db ]] && echo yes || echo no)" "no"
expect 0 --out "_server_q100_slo20_mb4_to0.5" --out "_single-stream" -- rb list --targets asic --scenario server,single-stream --qps 100 --slo-ms 20 --max-batch 4 --batch-timeout-ms 0.5 --seq 8 --hidden 64

# single-stream on a modeled target: every query takes the model's latency
expect 0 --out "p99_ms" -- rb run --targets asic --scenario single-stream --min-queries 50 --duration-s 0.001 "${SHAPE[@]}"
d=$(last "median_ms" asic)
check "single-stream: p99 = p50 = one call" "$(last "abs(p99_ms - median_ms) <= 1e-3 * median_ms AND reps >= 50" asic)" "1"
check "the key says the scenario" "$(last "workload" asic)" "lstm_infer_t8_b1_i64_h64_l1_single-stream"
check "served latency is modeled" "$(last "latency_source" asic)" "modeled"

# M/D/1 through the whole stack: rho = 0.5, no batching
qps=$(awk -v d="$d" 'BEGIN { printf "%d", 0.5 / (d * 1e-3) }')
rho=$(awk -v d="$d" -v q="$qps" 'BEGIN { printf "%.9g", q * d * 1e-3 }')
expect 0 --out "_server_q${qps} " -- rb run --targets asic --scenario server --qps "$qps" --max-batch 1 --min-queries 200000 --duration-s 0.001 "${SHAPE[@]}"
want=$(awk -v d="$d" -v r="$rho" 'BEGIN { printf "%.9g", d + r * d / (2 * (1 - r)) }')
check "M/D/1 mean latency within 1 % of Pollaczek-Khinchine" "$(last "abs(mean_ms - $want) <= 0.01 * $want" asic)" "1"
check "every query in the latency histogram" "$(q "SELECT sum(count) FROM histograms h JOIN v_results r ON r.result_id = h.result_id WHERE r.run_id = (SELECT max(id) FROM runs) AND name = 'latency_ms'")" "200000"
check "every batch of one" "$(q "SELECT group_concat(CAST(lo AS INTEGER) || ':' || count) FROM histograms h JOIN v_results r ON r.result_id = h.result_id WHERE r.run_id = (SELECT max(id) FROM runs) AND name = 'batch'")" "1:200000"
check "busy = utilisation" "$(last "abs(busy_frac - $rho) < 0.01" asic)" "1"
check "offered rate stored" "$(last "offered_qps" asic)" "$qps"

# a bound below one query's latency: the search stops once the device is
# mostly idle and still misses it, instead of halving the rate ten times
expect 0 --out "a lower rate would miss it too" -- rb run --targets asic --scenario server --slo-ms 0.001 "${SHAPE[@]}" --label unmeetable
check "the search stopped early (ten halvings and the confirmation: 12 loads)" "$(q "SELECT count(*) <= 7 FROM load_points l JOIN v_results r ON r.result_id = l.result_id WHERE r.label = 'unmeetable'")" "1"

# the rate search on the modeled target, then the report's plan
expect 0 --out "max_QPS" -- rb run --targets asic --scenario server --slo-ms 2 --max-batch 4 --min-queries 5000 "${SHAPE[@]}" --label search --price asic=2.5/h
mq=$(last "max_qps" asic)
check "max QPS found, its p99 within the bound" "$(last "max_qps > 0 AND p99_ms <= 2 AND abs(offered_qps - max_qps) < 1e-6 * max_qps" asic)" "1"
check "a curve of the search's loads" "$(q "SELECT count(*) >= 5 AND max(l.p99_ms) > 2 AND min(l.p99_ms) <= 2 FROM load_points l JOIN v_results r ON r.result_id = l.result_id WHERE r.label = 'search'")" "1"
devices=$(awk -v m="$mq" 'BEGIN { q = 10 * m; n = int(q / m); if (n * m < q) n++; print n }')
expect 0 --out "\"devices\":$devices," -- rb report --label search --qps "$(awk -v m="$mq" 'BEGIN { printf "%.17g", 10 * m }')" --json
# the price a person gave, per device-hour: devices x price over the queries of an hour
cost=$(sed -n 's/.*"cost_per_million_queries":\([^,}]*\).*/\1/p' "$OUT")
check "cost per million queries from --price" "$(awk -v c="$cost" -v n="$devices" -v m="$mq" 'BEGIN { w = n * 2.5 / (10 * m * 3600) * 1e6; print (c > 0 && (c - w) ^ 2 < (1e-9 * w) ^ 2) }')" "1"
check "the price is stored as the user's figure" "$(q "SELECT value || ' ' || source FROM resources WHERE key = 'price_per_hour'")" "2.5 user"
expect 0 -- rb report --label search -o serving.html
check "the page has the serving section and its curve" "$(grep -c -e 'id="serving-headline"' -e 'id="chart-serving-0"' serving.html)" "2"

# the measured engine on the cpu: a light load is served at the offered rate
expect 0 --out "cpu" -- rb run --targets cpu --scenario server --qps 200 --min-queries 300 --duration-s 0.1 "${SHAPE[@]}"
check "cpu: measured, every query counted" "$(last "latency_source || ' ' || reps" cpu)" "measured 300"
check "cpu: achieved ~ offered (the trace's own span)" "$(last "achieved_qps BETWEEN 150 AND 260" cpu)" "1"
check "cpu: threads stored" "$(last "threads >= 1" cpu)" "1"
check "cpu: output checked" "$(last "status || ' ' || (err_max_rel < 1e-5)" cpu)" "ok 1"

# compare and history take the served figures: the latency tested on the
# queries' latencies (the histogram), the rates by the threshold alone.
# Against itself the run is unchanged, whatever the machine did.
cpu_run=$(q "SELECT max(id) FROM runs")
expect 0 -- rb compare "$cpu_run" "$cpu_run" --format json --all
row() { python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = [x for x in d["rows"] if x["metric"] == sys.argv[2]][0]
print(*[eval(k, {}, r) for k in sys.argv[3:]])' "$OUT" "$@"; }
check "the median tested on every query (p = 1 against itself)" "$(row median_ms 'candidate["n"]' p)" "300 1"
check "QPS: measured once, judged by the threshold" "$(row achieved_qps verdict note)" "same measured once, no repetitions to test: judged by the 5% threshold alone"
# a copy where every query took twice as long and half the rate was served
cp results.db slow.db
sqlite3 slow.db "UPDATE histograms SET lo = -2 * lo, hi = -2 * hi WHERE name = 'latency_ms' AND result_id IN (SELECT id FROM results WHERE run_id = $cpu_run); UPDATE histograms SET lo = -lo, hi = -hi WHERE lo < 0; UPDATE results SET median_ms = 2 * median_ms, achieved_qps = achieved_qps / 2 WHERE run_id = $cpu_run"
expect 1 --out "REGRESSED" --out "median_ms" --out "achieved_qps" --out "2 regressed" -- rb compare results.db slow.db
expect 0 --out "max_qps of asic (int8" -- rb history --target asic --workload "$(q "SELECT workload FROM v_results WHERE label = 'search'")" --metric max-qps

# streaming: a step of each of 4 streams every 10 ms, one timestep per call
expect 2 --err "streaming: --max-batch cannot exceed --streams" -- rb run --targets asic --scenario streaming --streams 2 --max-batch 4 "${SHAPE[@]}"
expect 0 --out "_streaming_q100_n4_slo10_mb4" -- rb run --targets cpu,asic --scenario streaming --streams 4 --min-queries 400 --duration-s 0.01 "${SHAPE[@]}" --label stream
check "streaming: every stream's steps served, at 4 x 100 steps/s" "$(last "reps || ' ' || CAST(offered_qps AS INTEGER)" cpu)" "400 400"
check "streaming: the cpu's state carried (8 steps, one per call, vs the whole sequence)" "$(q "SELECT m.value < 1e-5 FROM metrics m JOIN v_results r ON r.result_id = m.result_id WHERE r.label = 'stream' AND r.target = 'cpu' AND m.name = 'stream_err_max_rel'")" "1"
check "streaming: the asic says its state is not checked" "$(last "status || ': ' || (message LIKE 'state between steps not checked%')" asic)" "ok: 1"
# a modeled step is one call of one timestep on a batch of the 4 streams
# (max_ms: exact, where the quantiles keep 3 significant digits)
step=$(last "max_ms" asic)
expect 0 -- rb run --targets asic --seq 1 --batch 4 --hidden 64 -q --label step
check "streaming: the asic's step = its one-step call on 4 rows" "$(last "abs(median_ms - $step) <= 1e-9 * $step" asic)" "1"
finish
