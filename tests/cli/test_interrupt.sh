#!/usr/bin/env bash
# Ctrl-C/SIGTERM keep finished results and mark the run interrupted; SIGKILL is
# recognised on the next open; --resume finishes the run without redoing work.
. "$(dirname "$0")/lib.sh"
q() { rb query --format csv "$1" | tail -1; }
POINTS=(--targets cpu --seq 20 --hidden 64 --batch 1,2,3,4 --reps 3 --min-time 0.7 --warmup 1 -q)

# SIGINT in the middle of the second point
"$RNNBENCH" run "${POINTS[@]}" >run1.out 2>run1.err &
pid=$!
for _ in $(seq 100); do
    [[ -s run1.out ]] && grep -q "_b1_" run1.out && break
    sleep 0.1
done
sleep 0.3
kill -INT $pid
wait $pid
check "SIGINT exit status" $? 3
grep -q "rnnbench run --db results.db --resume 1" run1.err; check "resume hint" $? 0
check "run 1 interrupted" "$(q "SELECT status FROM runs WHERE id=1")" "interrupted"
n1=$(q "SELECT count(*) FROM results WHERE run_id=1")
[[ $n1 -ge 1 && $n1 -lt 4 ]]; check "finished results kept ($n1)" $? 0

# resume: the stored points are skipped, the rest are run
expect 0 --err "resumed" -- rb run --resume 1 -q
check "run 1 complete" "$(q "SELECT status FROM runs WHERE id=1")" "complete"
check "all points once" "$(q "SELECT count(*) || '/' || count(DISTINCT workload_id) FROM results WHERE run_id=1")" "4/4"
expect 2 --err "already complete" -- rb run --resume 1
expect 2 --err "99" -- rb run --resume 99

# SIGTERM behaves like Ctrl-C
"$RNNBENCH" run "${POINTS[@]}" >run2.out 2>&1 &
pid=$!
sleep 1.2
kill -TERM $pid
wait $pid
check "SIGTERM exit status" $? 3
check "run 2 interrupted" "$(q "SELECT status FROM runs WHERE id=2")" "interrupted"

# SIGKILL: nothing runs at exit; the next writer marks the run interrupted
"$RNNBENCH" run "${POINTS[@]}" >run3.out 2>&1 &
pid=$!
for _ in $(seq 100); do
    grep -q "_b1_" run3.out 2>/dev/null && break
    sleep 0.1
done
kill -KILL $pid
wait $pid 2>/dev/null
check "killed run still says running" "$(q "SELECT status FROM runs WHERE id=3")" "running"
check "its finished result survived" "$(q "SELECT count(*) >= 1 FROM results WHERE run_id=3")" "1"
expect 0 -- rb run --resume 3 -q
check "run 3 complete after resume" "$(q "SELECT runs.status || ' ' || count(r.id) FROM runs JOIN results r ON r.run_id = runs.id WHERE runs.id=3")" "complete 4"
finish
