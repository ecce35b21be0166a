#!/usr/bin/env bash
# Regression tests of the adversarial battery (issue 14): each case is a
# defect it found, with its input, and the promised behaviour.
. "$(dirname "$0")/lib.sh"
RUN=(--targets asic --seq 2 --hidden 4 "${FAST[@]}" -q --db x.db)
expect 0 -- rb run "${RUN[@]}" --label full
# a run interrupted before its first result (SIGKILL produces it naturally)
sqlite3 x.db "INSERT INTO runs (started_at, status, label) VALUES ('2026-01-01T00:00:00.000Z', 'interrupted', 'empty')"

# item 7: no figures at all is not a crash (qsort of NULL aborted the ASan build with exit 1)
expect 0 -- rb export --db x.db --label empty --baseline empty.jsonl
check "an empty run exports its header alone" "$(wc -l <empty.jsonl)" "1"
expect 0 --out "0 regressed" -- rb compare empty.jsonl empty.jsonl
# item 7: a tampered database's absurd shapes overflowed an int in the roofline (UBSan)
cp x.db huge.db
sqlite3 huge.db "UPDATE workloads SET seq = 2147483647, batch = 2147483647, input = 2147483647, hidden = 2147483647, layers = 2147483647"
expect 0 -- rb report --db huge.db --label full --html -o huge.html
# item 8: an incomplete side is said and fails the gate unless asked for
expect 2 --err "the candidate" --err "is interrupted, not complete" --err "--allow-incomplete" \
    -- rb compare --db x.db full empty
expect 2 --err "the base" --err "is interrupted" -- rb compare --db x.db empty full
expect 0 --err "warning: the candidate" --out "only in base" -- rb compare --db x.db full empty --allow-incomplete

# item 9: a timed-out result makes run exit 3 (unsupported ones do not)
# (every call made 50 ms slower: 100 repetitions cannot fit in 0.3 s on any machine)
expect 3 --err "0 ok, 1 timeout" --out "timeout" -- env RB_INJECT_DELAY_MS=cpu:50 "$RNNBENCH" run --targets cpu \
    --seq 2 --hidden 4 --reps 100 --min-time 0 --warmup 1 --timeout-s 0.3 -q --db t.db
check "the timed-out result is stored with its repetitions" \
    "$(rb query --db t.db --format csv "SELECT status = 'timeout' AND reps > 0 FROM results" | tail -1)" "1"
expect 0 -- rb run --targets asic --mode train --seq 2 --hidden 4 "${FAST[@]}" -q --db u.db
check "an unsupported point is stored as such" \
    "$(rb query --db u.db --format csv "SELECT status FROM results" | tail -1)" "unsupported"

# item 11: text a spreadsheet would run as a formula is neutralised (OWASP), numbers are not
expect 0 -- rb run "${RUN[@]}" --label '=HYPERLINK("http://x")'
rb report --db x.db --csv --label '=HYPERLINK("http://x")' >f.csv
grep -qF "\"'=HYPERLINK(\"\"http://x\"\")\"" f.csv; check "report --csv: the label is text" $? 0
check "query --format csv: the label is text" "$(rb query --db x.db --format csv "SELECT label FROM runs WHERE label LIKE '=%'" | tail -1)" \
    "\"'=HYPERLINK(\"\"http://x\"\")\""
check "query --format csv: a negative number stays a number" "$(rb query --db x.db --format csv "SELECT -1.5, '-1'" | tail -1)" "-1.5,\"'-1\""

# items 12 and 14: labels with markup, line breaks and terminal escapes in compare and history
evil=$'<img src=x onerror=alert(1)>\n| x |\e[2J\a'
expect 0 -- rb run "${RUN[@]}" --label "$evil"
expect 0 -- rb compare --db x.db full "$evil" --format md --all
check "compare --format md: no raw markup" "$(grep -c '<img' "$OUT")" "0"
check "compare --format md: no escape characters" "$(grep -c $'\e' "$OUT")" "0"
w=$(rb query --db x.db --format csv "SELECT workload FROM v_results LIMIT 1" | tail -1)
expect 0 --out "&lt;img" -- rb history --db x.db --target asic --workload "$w" --metric cycles --format md
check "history --format md: no raw markup" "$(grep -c '<img' "$OUT")" "0"
expect 0 -- rb history --db x.db --target asic --workload "$w" --metric cycles
check "history: no escape or bell characters on the terminal" "$(grep -c $'[\e\a]' "$OUT")" "0"
expect 0 -- rb query --db x.db "SELECT label FROM runs"
check "query's table: no escape or bell characters either" "$(grep -c $'[\e\a]' "$OUT")" "0"

# item 13: a label that is not UTF-8 leaves every JSON output valid UTF-8 (\ufffd)
bad=$'bad\xff\xfebyte'
expect 0 -- rb run "${RUN[@]}" --label "$bad"
utf8() { iconv -f UTF-8 -t UTF-8 "$OUT" >/dev/null 2>&1; check "$1 is valid UTF-8" $? 0; }
expect 0 -- rb report --db x.db --json --label "$bad"; utf8 "report --json"
expect 0 --out 'bad\ufffd\ufffdbyte' -- rb query --db x.db --format json "SELECT label FROM runs"; utf8 "query --format json"
expect 0 -- rb compare --db x.db full "$bad" --format json; utf8 "compare --format json"
expect 0 -- rb export --db x.db --label "$bad" --baseline b.jsonl
iconv -f UTF-8 -t UTF-8 b.jsonl >/dev/null 2>&1; check "the baseline is valid UTF-8" $? 0

# item 6 (readers): devices, FIFOs and directories are refused at once, not read forever
T=(timeout 60 "$RNNBENCH")
mkfifo fifo.ini
expect 0 --out "/dev/zero is a character device, not a regular file: not an asic preset" -- "${T[@]}" list --targets asic --asic-preset /dev/zero
expect 0 --out "/dev/urandom is a character device, not a regular file: not an fpga config" -- "${T[@]}" list --targets fpga --fpga-config /dev/urandom
expect 0 --out "is a directory, not a regular file: not an fpga config" -- "${T[@]}" list --targets fpga --fpga-config "$TMP"
expect 2 --err "fifo.ini is a FIFO, not a regular file: not a matrix file" -- "${T[@]}" run --matrix fifo.ini --db m.db
expect 2 --err "fifo.ini" -- "${T[@]}" compare fifo.ini x.db
# ... a saved model's files too, and its numbers keep to documented ranges
expect 0 -- rb train --task synthetic --tokens 8 --hidden 8 --layers 1 --embed 8 --epochs 1 -o model -q --db t.db
cp -r model zero && ln -sf /dev/zero zero/vocab.txt
expect 2 --err "vocab.txt is a character device" -- "${T[@]}" eval --model zero --targets cpu --db t.db
for kv in "synth_docs = 100000000" "seq = 65536" "hidden = 2147483647"; do
    cp -r model big && sed -i "s/^${kv%% =*} = .*/$kv/" big/textclass.ini
    expect 2 --err "bad ${kv%% =*} value" -- "${T[@]}" eval --model big --targets cpu --db t.db
    rm -rf big
done
# item 16: a line longer than libinih's 199 characters is refused at file:line, not split
{ echo "[lstm]"; echo "; $(printf 'x%.0s' {1..250})"; echo "cell = lstm"; } >long.ini
expect 0 --out "long.ini:2: line longer than 199 characters" -- rb list --targets asic --asic-preset long.ini
expect 0 --out "long.ini:2: line longer than 199 characters" -- rb list --targets fpga --fpga-config long.ini

# item 6 (ulimit -v): OpenBLAS's initialiser, before main, retried forever when
# the address space could not hold its threads' buffers; rnnbench restarts
# itself with one OpenBLAS thread and its commands default to one thread.
# (Not in the sanitizer build: ASan reserves terabytes of address space.)
if ! ldd "$RNNBENCH" | grep -q libasan; then
    expect 0 --out "rnnbench" -- bash -c 'ulimit -v 150000 && exec timeout 30 "$0" --version' "$RNNBENCH"
    expect 0 --err "address space is limited to" --out " ok" -- bash -c 'ulimit -v 300000 && exec timeout 60 "$0" run --targets cpu --seq 4 --hidden 32 --reps 3 --min-time 0 --warmup 1 --db as.db' "$RNNBENCH"
fi

# item 17: validation gaps
expect 2 --err "out of range [1, 2000]" -- rb list --targets fpga --fpga-clock-mhz 1e-300
printf 'base = small\nclock_mhz = 1e-300\n' >tiny-clock.ini
expect 0 --out "tiny-clock.ini:2: clock_mhz: '1e-300' is not a number in [1, 2000]" -- rb list --targets fpga --fpga-config tiny-clock.ini
printf 'base = small\nclock_mhz = 100\nclock_mhz = 200\n' >twice.ini
expect 0 --out "twice.ini:3: clock_mhz: given twice" -- rb list --targets fpga --fpga-config twice.ini
printf '[other]\nbase = small\n' >section.ini
expect 0 --out "section.ini:2: base: in section [other]" -- rb list --targets fpga --fpga-config section.ini
sed 's/^clock_mhz = 700 /clock_mhz = 0x10/' "$RB_SRC/targets/asic/presets/tpu-v1.ini" >hex.ini
expect 0 --out "clock_mhz" --out "0x10" -- rb list --targets asic --asic-preset hex.ini
expect 2 --err "--threshold '%'" -- rb compare --db x.db full full --threshold %
expect 2 --err "'foo' is not a figure compare judges" -- rb compare --db x.db full full --tolerance foo=1
expect 2 --err "no database new.db" -- rb run --resume 999 --db new.db
[[ ! -e new.db ]]; check "a failed --resume creates no database" $? 0
cp -r model nan
f=nan/weight_ih_l0.npy
printf '\x00\x00\xc0\x7f' | dd of=$f bs=1 seek=$(($(stat -c %s $f) - 4)) conv=notrunc 2>/dev/null
expect 2 --err "weight_ih_l0.npy: element" --err "is NaN: weights must be finite" -- rb eval --model nan --targets cpu --db t.db

# item 16: unclear errors made clear
mkdir -p adir
expect 2 --err "adir is a directory, not a database file" -- rb run "${RUN[@]/x.db/adir}"
expect 2 --err "adir is a directory, not a database file" -- rb report --db adir
{ echo; cat b.jsonl; } >blank.jsonl
expect 0 -- rb compare blank.jsonl b.jsonl    # a blank first line: the header is the first that is not
if ! ldd "$RNNBENCH" | grep -q libasan; then
    expect 3 --err "too many open files" -- bash -c 'ulimit -n 6 && exec "$0" run --targets asic --seq 2 --hidden 4 -q --db fd.db' "$RNNBENCH"
    [[ ! -e fd.db ]]; check "no empty database left behind" $? 0
fi

# fuzz findings of the ONNX reader (tests/fuzz/corpus/onnx/finding_*): refused, no UB
for f in "$RB_SRC"/tests/fuzz/corpus/onnx/finding_*; do
    expect 2 -- rb inspect "$f"
done

# item 15: output that cannot be written is a failure (exit 3), for every command
if [[ -w /dev/full ]]; then
    expect 3 --err "writing the output failed" -- sh -c '"$0" list --figures >/dev/full' "$RNNBENCH"
    expect 3 --err "writing the output failed" -- sh -c '"$0" compare --db x.db full full >/dev/full' "$RNNBENCH"
    expect 3 --err "writing the output failed" -- sh -c '"$0" history --db x.db --target asic --workload "$1" --metric cycles >/dev/full' "$RNNBENCH" "$w"
    expect 3 --err "writing the output failed" -- sh -c '"$0" run --targets asic --seq 2 --hidden 4 --reps 3 --min-time 0 --warmup 1 -q --db y.db >/dev/full' "$RNNBENCH"
fi
finish
