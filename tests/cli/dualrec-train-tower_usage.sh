#!/bin/sh
# dualrec-train-tower: --help on stdout (exit 0); missing or bad flags are
# usage errors (64) with one exact line.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$BIN/dualrec-train-tower" --help
grep -q '^usage: dualrec-train-tower' "$OUT_FILE" || die "--help did not print usage"
[ -s "$ERR_FILE" ] && die "--help wrote to stderr"

expect_exit 64 "$BIN/dualrec-train-tower" --no-such-flag
expect_stderr_has "usage: dualrec-train-tower"

expect_exit 64 "$BIN/dualrec-train-tower" --segments "$TMP" --date 2024-03-01
expect_stderr_has "usage: dualrec-train-tower"

expect_exit 64 "$BIN/dualrec-train-tower" --segments "$TMP" --date 2024-03-01 --out "$TMP/m" --dim 6
expect_stderr "dualrec-train-tower: --dim: expected a multiple of 4 in 4..1024 '6'"

expect_exit 64 "$BIN/dualrec-train-tower" --segments "$TMP" --date 2024-13-01 --out "$TMP/m"
expect_stderr "dualrec-train-tower: --date: expected a date YYYY-MM-DD, got '2024-13-01'"

expect_exit 64 "$BIN/dualrec-train-tower" --segments "$TMP" --date 2024-03-01 --out "$TMP/m" --id-drop 1
expect_stderr "dualrec-train-tower: --id-drop: expected 0 <= P < 1"
exit 0
