# dualrec-match with each step of publishing failing (tables, manifest,
# the temp directory's fsync, the move into place, _SUCCESS; ENOSPC, EIO),
# short writes and a disk filling up (tests/fault/lib.sh): exit 74, the
# file and errno named, no _SUCCESS, no temp directory, nothing in the
# partition that differs from a clean run, and a rerun gives the clean
# run's bytes.  Then the same on a date published before (the rerun swaps
# the partition): a failure leaves the earlier partition whole.  And a
# real device: --stdout into /dev/full.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/lib.sh"
fault_world
O=$TMP/out
P=$O/dt=$D
OUTDIRS=$O
m() {
    "$BIN/dualrec-match" -q --segments "$S" --date $D --days 2 --L 10 \
        --tower "$M/tower.$D.bin" --rank "$M/rank.$D.bin" \
        --avail "$M/avail.$D.bin" "$@"
}
reset() { rm -rf "$O"; }
sums() { (cd "$P" 2>/dev/null && LC_ALL=C ls | xargs sha256sum); }
no_partial() {
    [ ! -e "$P/_SUCCESS" ] || die "$1: _SUCCESS written"
    left=$(find "$O" -name '.dt=*' 2>/dev/null)
    [ -z "$left" ] || die "$1: temp directory left: $left"
    for f in "$P"/*; do
        [ -f "$f" ] || continue
        echo "$clean" | grep -q "$(sha256sum < "$f" | cut -d' ' -f1) " \
            || die "$1: $f differs from a clean run"
    done
}
fault_sweep "$BIN/dualrec-match" -q --segments "$S" --date $D --days 2 \
    --L 10 --tower "$M/tower.$D.bin" --rank "$M/rank.$D.bin" \
    --avail "$M/avail.$D.bin" --out "$O"
n1=$FAULT_CASES

# over an earlier partition: a failure keeps it whole, with _SUCCESS
expect_exit 0 m --out "$O"
first=$(sums)
reset() { :; }
no_partial() {
    [ "$(sums)" = "$first" ] || die "$1: the earlier partition changed"
    left=$(find "$O" -name '.dt=*' 2>/dev/null)
    [ -z "$left" ] || die "$1: temp directory left: $left"
}
for op in rename fsync; do
    fault_case $op 1 EIO 0 "$BIN/dualrec-match" -q --segments "$S" \
        --date $D --days 2 --L 10 --tower "$M/tower.$D.bin" \
        --rank "$M/rank.$D.bin" --avail "$M/avail.$D.bin" --out "$O"
done

# a real full device: the table streamed to stdout
m --stdout > /dev/full 2>"$ERR_FILE"
rc=$?
[ "$rc" -eq 74 ] || { cat "$ERR_FILE" >&2; die "--stdout > /dev/full: exit $rc, expected 74"; }
grep -q "No space left on device" "$ERR_FILE" \
    || { cat "$ERR_FILE" >&2; die "--stdout > /dev/full: no ENOSPC message"; }
echo "dualrec-match: $FAULT_CASES fault cases, /dev/full" >&2
exit 0
