# dualrec-eval with each step of writing the report failing (ENOSPC, EIO),
# short writes and a disk filling up (tests/fault/lib.sh): exit 74, the
# file and errno named, no partial report, no temp file, and a rerun gives
# the bytes of a clean run.  (Before atomicfile_commit checked the stream's
# error flag, a failed buffered write left a truncated report and exit 0.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/lib.sh"
fault_world
"$BIN/dualrec-match" -q --segments "$S" --date $D1 --days 2 --L 10 \
    --tower "$M/tower.$D1.bin" --rank "$M/rank.$D1.bin" \
    --avail "$M/avail.$D1.bin" --out "$TMP/tables" || die "match failed"
O=$TMP/report
OUTDIRS=$O
reset() { rm -rf "$O"; }
sums() { sha256sum "$O"/*; }
no_partial() { whole_or_absent "$1" "$O/report.json" "$O/report.html"; }
fault_sweep "$BIN/dualrec-eval" -q --segments "$S" --tables "$TMP/tables" \
    --date $D1 --avail "$M/avail.$D1.bin" --report "$O"
exit 0
