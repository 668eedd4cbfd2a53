#!/bin/sh
# bench/rank_bench (the ranker's scoring timer, built by make bench-tools
# into $BENCH_TOOLS): --help (exit 0), bad flags and values (64), a missing
# model (66), and on a model trained on the sample world the figures as
# key/value lines on stdout, ITEMS x CANDS pairs scored.
. "$(dirname "$0")/lib.sh"
X=${BENCH_TOOLS:?BENCH_TOOLS not set}/rank_bench
S=$TMP/seg

expect_exit 0 "$X" --help
grep -q '^usage: rank_bench' "$OUT_FILE" || die "--help did not print usage"
expect_exit 64 "$X" --bogus
expect_stderr_has "usage: rank_bench"
expect_exit 64 "$X" --segments "$S" --date 2026-01-08 --rank "$TMP/m" \
    --score 10
expect_stderr "rank_bench: --score: expected ITEMS,CANDS, got '10'"
expect_exit 64 "$X" --segments "$S" --date 2026-01-08
expect_stderr_has "usage: rank_bench"
expect_exit 66 "$X" --segments "$S" --date 2026-01-08 --rank "$TMP/none"
expect_stderr_has "rank_bench: $TMP/none"

for d in 2026-01-05 2026-01-06 2026-01-07 2026-01-08; do
    "$BIN/dualrec-ingest" -q --segments "$S" --date $d \
        --logs "$SAMPLES/world/logs/dt=$d" || die "ingest $d"
done
expect_exit 0 "$BIN/dualrec-train-rank" -q --segments "$S" \
    --date 2026-01-08 --days 4 --epochs 1 --hash-bits 14 \
    --max-per-day 2000 --out "$TMP/m"
expect_exit 0 "$X" --segments "$S" --date 2026-01-08 --days 4 \
    --rank "$TMP/m" --score 50,20
grep -q '^pairs 1000$' "$OUT_FILE" || die "not 50 x 20 pairs scored"
grep -q '^pairs_per_s [0-9]' "$OUT_FILE" || die "no throughput figure"
expect_stderr_has "rank_bench: scoring: context + theta "
expect_exit 0 "$X" -q --segments "$S" --date 2026-01-08 --days 4 \
    --rank "$TMP/m" --score 50,20
[ -s "$ERR_FILE" ] && die "-q wrote to stderr"
exit 0
