#!/usr/bin/env bash
# `rnnbench report` from the command line: every format from one run, the
# selection and constraint options, bad input, and the HTML as a browser
# sees it (Debian's chromium, headless): well-formed, no console errors, a
# screenshot that is not blank, and a DOM holding the decision and every chart.
. "$(dirname "$0")/lib.sh"

# a small run on every target, labelled with markup that must stay text
expect 0 -- rb run --seq 4 --hidden 16,32 --batch 1,4 "${FAST[@]}" -q --label '<script>alert("x")</script>'
expect 0 -- rb run --targets cpu --seq 4 --hidden 16 "${FAST[@]}" -q --label second

# formats, to stdout and to files
expect 0 --out "<!DOCTYPE html>" --out 'id="headline"' -- rb report --label '<script>alert("x")</script>'
expect 0 --out "## rnnbench report: run 1" --out "### Ranking over the matrix" -- rb report --md --run 1
expect 0 --out "run_id,label,target" -- rb report --csv --run 1
expect 0 --out '"schema_version":1' -- rb report --json --run 1
expect 0 --err "run 1, 16 results: report.html" -- rb report --html --run 1 -o report.html
[[ -s report.html && -z $(ls report.html.tmp* 2>/dev/null) ]]
check "report written in place, no temporary left" $? 0
check "the label is escaped in the page" "$(grep -c '<script' report.html)" "0"
grep -qF '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' report.html
check "the label shows as text" $? 0
check "no external resources" "$(grep -Ec '<link|src=|href="(http|//)|url\(' report.html)" "0"
expect 0 --out "Recommended for latency: cpu" -- rb report --md    # the newest run: cpu only

# the same numbers in every format: the cpu median of one point
med=$(rb query --format csv "SELECT median_ms FROM v_results WHERE run_id = 1 AND target = 'cpu' AND workload = 'lstm_infer_t4_b4_i32_h32_l1'" | tail -1)
rb report --csv --run 1 >r.csv
rb report --json --run 1 >r.json
csv_med=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "median_ms") c = i }
                   $3 == "cpu" && $7 == "lstm_infer_t4_b4_i32_h32_l1" { print $c }' r.csv)
check "csv median = database median" "$(awk -v a="$csv_med" -v b="$med" 'BEGIN { print (a - b < 1e-9 && b - a < 1e-9) }')" "1"
# one result per line in the JSON: find the point's line by its result id
rid=$(rb query --format csv "SELECT result_id FROM v_results WHERE run_id = 1 AND target = 'cpu' AND workload = 'lstm_infer_t4_b4_i32_h32_l1'" | tail -1)
json_med=$(grep "^{\"result_id\":$rid," r.json | sed 's/.*"median_ms":\([^,]*\),.*/\1/')
check "json median = database median" "$(awk -v a="$json_med" -v b="$med" 'BEGIN { print (a - b < 1e-9 && b - a < 1e-9) }')" "1"

# objectives and constraints change the decision, and say so
expect 0 --out "Recommended for energy" -- rb report --md --run 1 --objective energy
expect 0 --out "with p99 ≤ 1e-06 ms" --out "No target qualifies" -- rb report --md --run 1 --slo-ms 0.000001
expect 0 --out "misses the 1 ns limit" --out "x over" -- rb report --json --run 1 --slo-ms 0.000001
expect 0 --out "max error" -- rb report --md --run 1 --max-error 1e-3
# what would let a target the bound keeps out qualify, in hardware terms:
# the fpga's latency is cycles / clock (131.074 ms at batch 8 on the small
# configuration at 200 MHz, simulated: deterministic), so a 100 ms bound
# needs 200 x 1.31074 = 263 MHz; the edge-npu model (its auto schedule
# hoists the input product here) spends 88 % of its cycles at batch 8 on
# weight traffic, so 15.8 ms to 10 ms needs at least 1.7x that bandwidth
expect 0 -- rb run --db hint.db --targets fpga,asic:edge-npu --seq 25 --hidden 512 --batch 1,8 -q
expect 0 --out "Not ranked: fpga" --out "fpga needs 4.4x lower latency" -- rb report --db hint.db --md --slo-ms 30
expect 0 --out "Runner-up: fpga" --out "To meet p99 ≤ 100 ms everywhere, fpga needs 1.3x lower latency on lstm_infer_t25_b8_i512_h512_l1 (its worst): a clock of 263 MHz instead of 200" \
    -- rb report --db hint.db --md --slo-ms 100
expect 0 --out "No target qualifies" --out "asic:edge-npu needs 1.6x lower latency" --out "88 % of its time is bound by off-chip weight bandwidth, so at least 1.7x the off-chip weight bandwidth" \
    --out "| asic:edge-npu | ok | modeled, hoisted schedule, picked by auto: 7.89e+06 cycles, fused 1.32e+07 |" \
    -- rb report --db hint.db --md --slo-ms 10

# bad input: exit 2, named
expect 2 --err "no run 99" -- rb report --run 99
expect 2 --err "no run labelled 'nope'" -- rb report --label nope
expect 2 --err "--objective 'speed'" -- rb report --objective speed
expect 2 --err "choose one of --html, --md, --csv, --json" -- rb report --html --md
expect 2 --err "run 1 is asked for twice" -- rb report --run 1 --run 1
expect 2 --err "slo-ms" -- rb report --slo-ms -3
rm -f empty.db
expect 2 --err "empty.db" -- rb report --db empty.db
expect 2 --err "cannot write next to" -- rb report --run 1 -o /nonexistent/dir/r.html

# the page is well-formed (strict XML: every element closed, every entity known)
if command -v xmllint >/dev/null; then
    xmllint --noout report.html 2>xml.err
    check "xmllint: well-formed" "$? $(head -c 300 xml.err)" "0 "
else
    echo "skipped: xmllint is not installed (scripts/setup.sh installs libxml2-utils)"
fi

# ... and renders in a real browser
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -n $browser ]]; then
    headless=(timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars
              --enable-logging=stderr --v=0 --user-data-dir="$TMP/chrome")
    "${headless[@]}" --dump-dom "file://$TMP/report.html" >dom.html 2>dom.err
    check "the browser loaded it" $? 0
    check "no console messages (errors, warnings)" "$(grep -c 'CONSOLE' dom.err)" "0"
    grep -q 'id="headline"' dom.html && grep -q 'Recommended for latency' dom.html
    check "the DOM holds the recommendation" $? 0
    missing=""
    for id in chart-latency-batch chart-throughput-hidden chart-energy chart-pareto \
              chart-roofline-cpu chart-roofline-asic; do
        grep -q "<svg[^>]*id=\"$id\"" dom.html || missing+=" $id"
    done
    check "the DOM holds every chart" "$missing" ""
    # the layout, as far as a program can judge it (report_layout.js: text
    # inside its chart, no two series alike, no empty chart, axes within a
    # tick of the data), in a copy of each page with the script added: the
    # report above, and one with six workload families on each of two
    # targets (six line styles of one colour per chart)
    expect 0 -- rb run --db fam.db --targets cpu,asic --seq 2 --hidden 8,16,24,32,40,48 --batch 1,2 "${FAST[@]}" -q
    expect 0 -- rb report --db fam.db -o families.html
    for page in report families; do
        python3 - "$RB_SRC/tests/cli/report_layout.js" $page.html layout.html <<'PY'
import sys
js, page = open(sys.argv[1]).read(), open(sys.argv[2]).read()
open(sys.argv[3], "w").write(page.replace("</body>", "<script>" + js + "</script></body>"))
PY
        "${headless[@]}" --window-size=1200,2000 --dump-dom "file://$TMP/layout.html" >layout.dom 2>/dev/null
        layout=$(python3 - layout.dom <<'PY'
import html, json, re, sys
m = re.search(r'<pre id="rb-layout-check">(.*?)</pre>', open(sys.argv[1]).read(), re.S)
r = json.loads(html.unescape(m.group(1))) if m else {"charts": 0}
print(r["charts"], *(f"{k}: {'; '.join(r[k])}" for k in ("overflow", "dup", "empty", "axis") if r.get(k)), sep=" | ")
PY
)
        echo "layout of $page.html: $layout" >&2
        check "layout of $page.html: charts checked, nothing overflows, series distinct, none empty, axes fitted" \
            "$(awk -v l="$layout" 'BEGIN { split(l, f, " [|] "); print (f[1] >= 5 && l !~ /[|]/) ? "ok" : l }')" "ok"
    done
    # a screenshot of the report against one of an empty page: a blank render
    # compresses to almost nothing
    printf '<!DOCTYPE html><html><body></body></html>' >blank.html
    "${headless[@]}" --window-size=1200,2000 --screenshot="$TMP/report.png" "file://$TMP/report.html" >/dev/null 2>&1
    "${headless[@]}" --window-size=1200,2000 --screenshot="$TMP/blank.png" "file://$TMP/blank.html" >/dev/null 2>&1
    rs=$(stat -c %s report.png 2>/dev/null || echo 0)
    bs=$(stat -c %s blank.png 2>/dev/null || echo 0)
    check "the screenshot is not blank ($rs bytes vs $bs for an empty page)" "$((rs > 8 * bs && rs > 50000))" "1"
else
    echo "skipped: chromium is not installed (scripts/setup.sh installs it), so the report was not opened in a browser"
fi
# the run's warnings open the report, before the recommendation; each
# measured result has its noise, a deterministic one a dash
sqlite3 results.db "UPDATE runs SET warnings_json = '[\"load average 9.99 on 2 CPUs: other processes compete for the CPU\"]' WHERE label = 'second'"
expect 0 -- rb report --label second -o warned.html
check "the banner comes before the recommendation" "$(python3 -c 'import sys
t = open(sys.argv[1]).read()
print(0 <= t.find("id=\"run-warnings\"") < t.find("id=\"recommendation\"") and "load average 9.99" in t)' warned.html)" "True"
expect 0 --out "> **Read the measured figures with care: the run warned**" --out "noise (CI / median)" -- rb report --label second --format md
rb report --run 1 --format md >all.md
dashed=$(grep -c '| asic | ok | modeled, fused schedule |.* | – | [0-9.e+-]* (model, chip) |' all.md)
check "a modeled result has no noise figure ($dashed rows)" "$((dashed > 0 && dashed == $(grep -c '| asic | ok | modeled' all.md)))" "1"
# sections only for what the report has: no task section without task data,
# unless a constraint on accuracy asks for it
check "no accuracy section without task data" "$(grep -c 'id="accuracy"' warned.html)" "0"
rb report --label second --max-accuracy-drop 0.1 -o asked.html 2>/dev/null
check "asked for: the section says why it is empty" "$(grep -c 'No training or evaluation in this database' asked.html)" "1"
# a --slo-ms bound is drawn on the latency and Pareto charts, not on an empty one
rb report --run 1 --slo-ms 5 -o bound.html 2>/dev/null
check "the bound on the Pareto chart" "$(python3 -c 'import re, sys
t = open(sys.argv[1]).read()
p = t[t.find("id=\"chart-pareto\""):]
p = p[:p.find("</svg>")]
print("p99 bound 5 ms" in p)' bound.html)" "True"
# a target the constraints exclude is drawn hollow on the Pareto chart
rb report --run 1 --max-memory 1 -o excluded.html 2>/dev/null
check "excluded: hollow and named" "$(python3 -c 'import sys
t = open(sys.argv[1]).read()
p = t[t.find("id=\"chart-pareto\""):]
p = p[:p.find("</svg>")]
print("cpu (excluded)" in p and "fill=\"#ffffff\" stroke=" in p)' excluded.html)" "True"
# the history chart's axis is the runs, named with their dates
check "history: runs on the axis" "$(python3 -c 'import re, sys
t = open(sys.argv[1]).read()
p = t[t.find("id=\"chart-history\""):]
p = p[:p.find("</svg>")]
print(len(re.findall(r"run [12], 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]", p)) >= 2)' warned.html)" "True"
# the headline names the runner-up and its distance
expect 0 --out "Runner-up: " --out "x the winner's latency (geometric mean)." -- rb report --run 1 --format md
# series of one target in one chart differ by their dash: no two lines alike
rb report --run 1 -o families.html 2>/dev/null
check "latency chart: every line its own colour and dash" "$(python3 -c 'import re, sys
t = open(sys.argv[1]).read()
p = t[t.find("id=\"chart-latency-batch\""):]
p = p[:p.find("</svg>")]
style = lambda l, k: (re.search(k + r"=\"([^\"]*)\"", l) or [None, ""])[1]
lines = [(style(l, "stroke"), style(l, "stroke-dasharray")) for l in re.findall(r"<polyline[^>]*", p)]
print(len(lines) >= 4 and len(set(lines)) == len(lines))' families.html)" "True"
finish
