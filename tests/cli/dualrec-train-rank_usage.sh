#!/bin/sh
# dualrec-train-rank: --help, bad flags and bad values give usage and 64.
. "$(dirname "$0")/lib.sh"
X=$BIN/dualrec-train-rank

expect_exit 0 "$X" --help
grep -q '^usage: dualrec-train-rank' "$OUT_FILE" || die "--help: no usage"
expect_exit 64 "$X" --no-such-flag
expect_stderr_has "usage: dualrec-train-rank"
expect_exit 64 "$X" --segments "$TMP" --date 2026-01-05
expect_stderr_has "usage: dualrec-train-rank"
expect_exit 64 "$X" --segments "$TMP" --date 2026-13-05 --out "$TMP/m"
expect_exit 64 "$X" --segments "$TMP" --date 2026-01-05 --out "$TMP/m" \
    --weights 1,2,3
expect_stderr "dualrec-train-rank: --weights: expected 5 numbers >= 0 separated by commas, got '1,2,3'"
expect_exit 64 "$X" --segments "$TMP" --date 2026-01-05 --out "$TMP/m" \
    --days 1
expect_stderr "dualrec-train-rank: --days must be 2..3660, got '1'"
# the timing of scoring left for bench/rank_bench.c
expect_exit 64 "$X" --segments "$TMP" --date 2026-01-05 --out "$TMP/m" \
    --bench-score 10,10
expect_stderr_has "usage: dualrec-train-rank"
[ ! -e "$TMP/m" ] || die "a model was written"
