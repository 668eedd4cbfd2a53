#!/bin/sh
# bench/tower_bench (the tower benchmark's driver, built by make
# bench-tools into $BENCH_TOOLS): --help (exit 0), bad flag (64), and a
# tiny run that prints its figures as key/value lines on stdout.
. "$(dirname "$0")/lib.sh"
X=${BENCH_TOOLS:?BENCH_TOOLS not set}/tower_bench

expect_exit 0 "$X" --help
grep -q '^usage: tower_bench' "$OUT_FILE" || die "--help did not print usage"

expect_exit 64 "$X" --bogus
expect_stderr_has "usage: tower_bench"

expect_exit 0 "$X" -q --users 500 --items 100 --positives 5000 --dim 8 --epochs 2 --top 10 --clusters 4
grep -q '^train_s_per_epoch ' "$OUT_FILE" || die "no training figure"
grep -q '^cluster_precision_new ' "$OUT_FILE" || die "no quality figure"
[ -s "$ERR_FILE" ] && die "-q wrote to stderr"
exit 0
