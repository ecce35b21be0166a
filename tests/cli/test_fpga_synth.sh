#!/usr/bin/env bash
# test_fpga_synth.sh — the committed FPGA resource summary matches the RTL.
# Re-synthesizes only the small configuration (about 15 s: the large one takes
# minutes and gigabytes, so CI only checks that the others' summaries are not stale)
# and compares the summary with targets/fpga/synth/small.resources.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
synth="$RB_SRC/targets/fpga/synth"

if ! command -v yosys >/dev/null; then
    echo "skipped: yosys is not installed (scripts/setup.sh installs it), so the committed"
    echo "         $synth/small.resources was not re-synthesized"
    finish
    exit
fi
want_ver=$(sed -n 's/^yosys=//p' "$synth/small.resources")
have_ver=$(yosys -V)
if [[ $want_ver != "$have_ver" ]]; then
    # Resource counts are only comparable with the same Yosys.
    echo "skipped: small.resources was made with '$want_ver', this is '$have_ver'"
    finish
    exit
fi

start=$SECONDS
"$synth/synth.sh" small "$TMP/synth" 2>"$TMP/synth.err"
rc=$?
check "synth.sh small exits 0" "$rc" 0
[[ $rc -eq 0 ]] || cat "$TMP/synth.err" >&2
got="$TMP/synth/small.resources"

# Every line but the RTL hash must be equal: counts, parameters, the flow and
# where each memory went.  Equal counts from edited RTL pass with a note.
if [[ $rc -eq 0 ]]; then
    if cmp -s "$synth/small.resources" "$got"; then
        check "small.resources identical" same same
    elif diff -u --label committed --label fresh <(grep -v '^rtl_sha256=' "$synth/small.resources") <(grep -v '^rtl_sha256=' "$got") \
        >"$TMP/diff"; then
        check "small.resources counts equal" same same
        echo "note: the RTL changed without changing the small configuration's resources;"
        echo "      targets/fpga/synth/synth.sh small refreshes the committed rtl_sha256"
    else
        check "small.resources matches a fresh synthesis" differs same
        {
            echo "the committed summary (-) and a fresh synthesis of the current RTL (+) differ:"
            cat "$TMP/diff"
            echo "if the change is intended: targets/fpga/synth/synth.sh small, then large and small8"
            echo "and commit targets/fpga/synth/*.resources and *.stat.txt (README.md there)"
        } >&2
    fi
fi
# The weight memory is in block RAM (synth.sh refuses otherwise; the committed file says so too).
check "weights in block RAM" "$(sed -n 's/^map.u_wmem=.*\(RAMB\).*/\1/p' "$synth/small.resources")" RAMB

# The other summaries are not re-synthesized here; say when one describes other RTL.
for cfg in large small8; do
    hash=$(sed -n 's/^rtl_sha256=//p' "$synth/$cfg.resources")
    if [[ $hash != "$("$synth/synth.sh" --rtl-hash)" ]] || grep -q '^rtl_dir=' "$synth/$cfg.resources"; then
        echo "note: $cfg.resources was synthesized from other RTL than targets/fpga/rtl;"
        echo "      refresh it with targets/fpga/synth/synth.sh $cfg (large: about 4 minutes, 2.5 GB)"
    fi
done
echo "small synthesis took $((SECONDS - start)) s"
finish
