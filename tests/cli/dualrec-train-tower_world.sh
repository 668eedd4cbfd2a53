#!/bin/sh
# dualrec-train-tower on three ingested days of the sample world: trains,
# warm-starts from its own model, refuses a corrupt --warm model (65) and
# a window with no segment (66); dualrec-eval-retrieval prints its table.
. "$(dirname "$0")/lib.sh"

W=$SAMPLES/world/logs
for d in 2026-01-16 2026-01-17 2026-01-18; do
    expect_exit 0 "$BIN/dualrec-ingest" -q --segments "$TMP/seg" --date "$d" --logs "$W/dt=$d"
done

expect_exit 0 "$BIN/dualrec-train-tower" --segments "$TMP/seg" --date 2026-01-17 --days 2 --epochs 2 --dim 8 --out "$TMP/m1"
expect_stderr_has "epoch 2/2: loss "
expect_stderr_has "feature tower"
[ -s "$OUT_FILE" ] && die "stdout not empty"
[ -s "$TMP/m1" ] || die "no model written"

# Tomorrow's run starts from today's model; the window may be missing days.
expect_exit 0 "$BIN/dualrec-train-tower" -q --segments "$TMP/seg" --date 2026-01-18 --days 4 --epochs 1 --dim 8 --warm "$TMP/m1" --out "$TMP/m2"
[ -s "$ERR_FILE" ] && die "-q wrote to stderr"
expect_exit 0 "$BIN/dualrec-train-tower" --segments "$TMP/seg" --date 2026-01-18 --days 4 --epochs 1 --dim 8 --warm "$TMP/m1" --out "$TMP/m2"
expect_stderr_has "1 of 4 days missing (first 2026-01-15): trained without them"
# Without --epochs a warm start runs TOWER_WARM_EPOCHS (2), not the cold 8.
expect_exit 0 "$BIN/dualrec-train-tower" --segments "$TMP/seg" --date 2026-01-18 --days 4 --dim 8 --warm "$TMP/m1" --out "$TMP/m2"
expect_stderr_has "epoch 2/2: loss"

# Another dimension than the warm model's is a usage error.
expect_exit 64 "$BIN/dualrec-train-tower" --segments "$TMP/seg" --date 2026-01-18 --days 2 --dim 16 --warm "$TMP/m1" --out "$TMP/m3"
expect_stderr_has "dualrec-train-tower: warm model has dimension 8, expected 16"

printf 'not a model at all, just some bytes to fill a header..........' > "$TMP/bad"
expect_exit 65 "$BIN/dualrec-train-tower" --segments "$TMP/seg" --date 2026-01-18 --days 2 --dim 8 --warm "$TMP/bad" --out "$TMP/m3"
expect_stderr "dualrec-train-tower: $TMP/bad: offset 0: bad magic (not a 'TOWER' file)"
[ -e "$TMP/m3" ] && die "model written after an error"

expect_exit 66 "$BIN/dualrec-train-tower" --segments "$TMP/seg" --date 2026-03-01 --days 3 --out "$TMP/m3"
expect_stderr "dualrec-train-tower: $TMP/seg: no segment in the 3 days ending 2026-03-01"

expect_exit 0 "$BIN/dualrec-eval-retrieval" -q --segments "$TMP/seg" --date 2026-01-17 --days 2 -L 50 --epochs 2 --dim 8
grep -q '^merged ' "$OUT_FILE" || die "no merged row"
grep -q '^baseline most-active ' "$OUT_FILE" || die "no baseline row"
exit 0
