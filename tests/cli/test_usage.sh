#!/usr/bin/env bash
# Bad usage and bad input: exit 2, a message that names the problem, nothing run.
. "$(dirname "$0")/lib.sh"

expect 2 --err "Usage: rnnbench" -- rb
expect 2 --err "unknown command 'frobnicate'" -- rb frobnicate
expect 0 --out "Commands:" -- rb --help
expect 0 --out "rnnbench 0." -- rb --version
for c in run list query dump; do
    expect 0 --out "Usage: rnnbench $c" -- rb $c --help
    expect 0 --out "Usage: rnnbench $c" -- rb help $c
    expect 2 --err "unknown or incomplete option '--bogus'" --err "Try 'rnnbench $c --help'" -- rb $c --bogus
done
expect 2 --err "--batch" --err "'0'" -- rb run --batch 0
expect 2 --err "--seq" --err "'12x'" -- rb run --seq 12x
expect 2 --err "--cell" --err "gur" -- rb run --cell gur
expect 2 --err "--reps: 'many' is not a whole number" -- rb run --reps many
expect 2 --err "--min-time" -- rb run --min-time -1
expect 2 --err "unknown target 'tpu'" --err "known: cpu" -- rb run --targets cpu,tpu
expect 2 --err "unexpected argument 'extra'" -- rb run extra
expect 2 --err "--max-reps 2 is below --reps 5" -- rb run --reps 5 --max-reps 2
expect 2 --err "--resume takes every setting" -- rb run --resume 1 --seq 5

# matrix files: the message names file, line and key
expect 2 --err "nope.ini" -- rb run --matrix nope.ini
printf '[a]\nseq = 5\nhidden = 8\nbatch = 1 x2\n' >bad.ini
expect 2 --err "bad.ini" --err "bad.ini:4" --err "batch" --err "x2" -- rb run --matrix bad.ini
printf '[a]\nseq = 5\nhidden = 8\nspeed = 3\n' >bad2.ini
expect 2 --err "bad2.ini:4" --err "speed" -- rb list --matrix bad2.ini
[[ ! -e results.db ]]; check "bad input creates no database" $? 0

# absurd sizes are refused from the estimate, before any allocation
expect 2 --err "needs about" --err "estimate" --err "available" -- rb run --seq 100000 --hidden 100000 --batch 1000
expect 2 --err "needs about" -- rb dump --seq 100000 --hidden 100000 --batch 1000 -o big
[[ ! -e results.db && ! -e big ]]; check "absurd sizes create nothing" $? 0

# query is read-only and needs an existing database
expect 2 --err "no such database" -- rb query --db missing.db "SELECT 1"
[[ ! -e missing.db ]]; check "query does not create a database" $? 0
expect 2 --err "--format" -- rb query --format xml "SELECT 1"
expect 2 --err "-o DIR is required" -- rb dump --seq 2
expect 2 --err "one point" -- rb dump --seq 2,3 -o d
finish
