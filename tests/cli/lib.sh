# lib.sh — helpers for the CLI tests: run a command, check exit status and output.
# Each test script sources this, calls `expect` a number of times, then `finish`,
# which prints "N passed, M failed" and exits non-zero on failure.
set -u
: "${RNNBENCH:?set RNNBENCH to the rnnbench binary}"
: "${RB_SRC:?set RB_SRC to the source tree}"
TMP=$(mktemp -d /tmp/rb_cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
passed=0
failed=0
OUT="$TMP/.out"
ERR="$TMP/.err"

# expect STATUS [--out TEXT]... [--err TEXT]... -- COMMAND...
# Runs COMMAND; checks the exit status and that stdout/stderr contain each TEXT.
expect() {
    local want=$1
    shift
    local outs=() errs=() nouts=()
    while [[ $1 != -- ]]; do
        case $1 in
        --out) outs+=("$2") ;;
        --err) errs+=("$2") ;;
        --no-out) nouts+=("$2") ;;
        esac
        shift 2
    done
    shift
    "$@" >"$OUT" 2>"$ERR" </dev/null
    local got=$? ok=1
    if [[ $got -ne $want ]]; then
        echo "FAIL: exit $got, expected $want: $*" >&2
        ok=0
    fi
    local t
    for t in "${outs[@]+"${outs[@]}"}"; do
        grep -qF -- "$t" "$OUT" || { echo "FAIL: stdout lacks '$t': $*" >&2; ok=0; }
    done
    for t in "${nouts[@]+"${nouts[@]}"}"; do
        grep -qF -- "$t" "$OUT" && { echo "FAIL: stdout has '$t': $*" >&2; ok=0; }
    done
    for t in "${errs[@]+"${errs[@]}"}"; do
        grep -qF -- "$t" "$ERR" || { echo "FAIL: stderr lacks '$t': $*" >&2; ok=0; }
    done
    if [[ $ok -eq 1 ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "--- stdout:" >&2; head -c 2000 "$OUT" >&2
        echo "--- stderr:" >&2; head -c 2000 "$ERR" >&2
    fi
}

# check DESCRIPTION ACTUAL EXPECTED — plain equality of two strings.
check() {
    if [[ "$2" == "$3" ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $1: got '$2', expected '$3'" >&2
    fi
}

finish() {
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}

rb() { "$RNNBENCH" "$@"; }
# a tiny, fast run: seconds even under sanitizers
FAST=(--reps 3 --min-time 0 --warmup 1)
