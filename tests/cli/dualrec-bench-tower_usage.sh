#!/bin/sh
# dualrec-bench-tower: --help (exit 0), bad flag (64), and a tiny run that
# prints its figures as key/value lines on stdout.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$BIN/dualrec-bench-tower" --help
grep -q '^usage: dualrec-bench-tower' "$OUT_FILE" || die "--help did not print usage"

expect_exit 64 "$BIN/dualrec-bench-tower" --bogus
expect_stderr_has "usage: dualrec-bench-tower"

expect_exit 0 "$BIN/dualrec-bench-tower" -q --users 500 --items 100 --positives 5000 --dim 8 --epochs 2 --top 10 --clusters 4
grep -q '^train_s_per_epoch ' "$OUT_FILE" || die "no training figure"
grep -q '^cluster_precision_new ' "$OUT_FILE" || die "no quality figure"
[ -s "$ERR_FILE" ] && die "-q wrote to stderr"
exit 0
