# dualrec-sim: --help on stdout (exit 0), a bad flag or missing argument
# prints usage on stderr and exits 64, a missing world exits 66.
. "$(dirname "$0")/lib.sh"
expect_exit 0 "$BIN/dualrec-sim" --help
grep -q "^usage: dualrec-sim --world DIR --date D --policy NAME=OUTROOT" "$OUT_FILE" \
    || die "no usage on stdout"
expect_exit 64 "$BIN/dualrec-sim" --bogus
expect_stderr_has "usage: dualrec-sim"
expect_exit 64 "$BIN/dualrec-sim" --world "$TMP" --date 2026-01-17
expect_exit 64 "$BIN/dualrec-sim" --world "$TMP" --date 2026-13-01 --policy none
expect_exit 66 "$BIN/dualrec-sim" --world "$TMP/nowhere" --date 2026-01-17 --policy none
exit 0
