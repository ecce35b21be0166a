#!/usr/bin/env bash
# Output paths a person names may be anything: rnnbench writes only regular
# files and refuses device nodes, FIFOs, directories and symbolic links by
# name, leaving them as they were (issue 14, item 1: as root, `report -o
# /dev/full` used to replace the device node with a regular file).
. "$(dirname "$0")/lib.sh"
expect 0 -- rb run --targets asic --seq 2 --hidden 4 "${FAST[@]}" -q

# a FIFO nobody reads: refused at once, not blocked on, still a FIFO
mkfifo pipe
expect 2 --err "pipe is a FIFO, not a regular file" -- rb report --md -o pipe
expect 2 --err "pipe is a FIFO" -- rb export --baseline pipe
[[ -p pipe ]]; check "the FIFO is still a FIFO" $? 0
# a directory (the message names it, not a temporary file)
mkdir adir
expect 2 --err "adir is a directory, not a regular file" --no-out "tmp" -- rb report --md -o adir
# a symbolic link: neither replaced nor followed
echo keep >target.txt
ln -s target.txt link.md
expect 2 --err "link.md is a symbolic link" -- rb report --md -o link.md
[[ -L link.md && $(cat target.txt) == keep ]]; check "the link and its target untouched" $? 0
# a device node: /dev/null stands in for /dev/full (the tests may run as root)
expect 2 --err "/dev/null is a character device" -- rb report --csv -o /dev/null
[[ -c /dev/null ]]; check "/dev/null is still a device" $? 0
# a regular file is replaced, as before
echo old >r.md
expect 0 -- rb report --md -o r.md
grep -q "rnnbench report" r.md; check "a regular file is replaced" $? 0

# dump -o DIR never writes through a link planted inside DIR
mkdir -p out outside
ln -s ../outside/secret out/meta.json
echo secret >outside/secret
expect 2 --err "out/meta.json is a symbolic link" -- rb dump -o out --seq 2 --hidden 4 --batch 1
check "the file outside is untouched" "$(cat outside/secret)" "secret"
mkdir -p out2
ln -s ../outside out2/grad_ref
expect 2 --err "grad_ref exists and is a symbolic link, not a directory" -- rb dump -o out2 --seq 2 --hidden 4 --batch 1 --mode train
check "nothing written outside" "$(ls outside)" "secret"
finish
