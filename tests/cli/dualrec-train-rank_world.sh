#!/bin/sh
# dualrec-train-rank on the committed sample world: trains, writes the same
# model bytes with 1 and 2 threads; dualrec-eval rank evaluates the saved
# model on the next day (tables on stdout, baseline included, the same
# with 1 thread) and refuses a missing test day clearly.
. "$(dirname "$0")/lib.sh"
X=$BIN/dualrec-train-rank
S=$TMP/seg
for d in 2026-01-05 2026-01-06 2026-01-07 2026-01-08 2026-01-09; do
    "$BIN/dualrec-ingest" -q --segments "$S" --date $d \
        --logs "$SAMPLES/world/logs/dt=$d" || die "ingest $d"
done
ARGS="--segments $S --date 2026-01-08 --days 4 --epochs 1 --hash-bits 14 \
    --max-per-day 2000"

expect_exit 0 env OMP_NUM_THREADS=1 "$X" $ARGS --out "$TMP/m1"
expect_stderr_has "dualrec-train-rank: trained on "
[ -s "$OUT_FILE" ] && die "stdout not empty without --eval"
expect_exit 0 env OMP_NUM_THREADS=2 "$X" -q $ARGS --out "$TMP/m2"
[ -s "$ERR_FILE" ] && die "-q printed something"
cmp -s "$TMP/m1" "$TMP/m2" || die "1 and 2 threads wrote different models"

# the evaluation of the saved model is dualrec-eval rank
E="$BIN/dualrec-eval rank --segments $S --days 4"
expect_exit 0 $E -q --date 2026-01-08 --rank "$TMP/m1" --xgb-rounds 3 \
    --theta-report 50,100
grep -q '^| ranker | like |' "$OUT_FILE" || die "no ranker row"
grep -q '^| xgboost | like |' "$OUT_FILE" || die "no baseline row"
grep -q '^| with theta_u, 1.00 |' "$OUT_FILE" || die "no theta table"
cp "$OUT_FILE" "$TMP/eval1"
expect_exit 0 env OMP_NUM_THREADS=1 $E -q --date 2026-01-08 --rank "$TMP/m2" \
    --xgb-rounds 3 --theta-report 50,100
cmp -s "$OUT_FILE" "$TMP/eval1" || die "evaluation differs with 1 thread"

# the day after 2026-01-09 was not ingested: nothing is computed
expect_exit 0 "$X" -q --segments "$S" --date 2026-01-09 --days 4 \
    --epochs 1 --hash-bits 14 --out "$TMP/m4"
expect_exit 66 $E -q --date 2026-01-09 --rank "$TMP/m4" --xgb-rounds 0
expect_stderr_has "dualrec-eval: "
expect_stderr_has "dt=2026-01-10/segment.bin"
expect_exit 64 $E --date 2026-01-08
expect_stderr_has "usage: dualrec-eval"
expect_exit 64 "$X" $ARGS --out "$TMP/m5" --eval
expect_stderr_has "usage: dualrec-train-rank"

# warm start from the previous date's model: the default 2 epochs over
# the budget (3 training days x 2000), the same bytes with 1 and 2
# threads; a model of another shape is refused
W="--segments $S --date 2026-01-09 --days 4 --hash-bits 14 --max-per-day 2000"
expect_exit 0 env OMP_NUM_THREADS=1 "$X" $W --warm "$TMP/m1" --out "$TMP/w1"
expect_stderr_has "trained on 6000 exposures (24000 samples with augmentation, 2 epochs, warm)"
expect_exit 0 env OMP_NUM_THREADS=2 "$X" -q $W --warm "$TMP/m1" --out "$TMP/w2"
cmp -s "$TMP/w1" "$TMP/w2" || die "warm start: 1 and 2 threads differ"
cmp -s "$TMP/w1" "$TMP/m4" && die "warm start wrote the cold model"
expect_exit 64 "$X" -q $W --dim 4 --warm "$TMP/m1" --out "$TMP/w3"
expect_stderr_has "dualrec-train-rank: warm model has dim 8, hidden 32"
[ -e "$TMP/w3" ] && die "a refused warm start wrote a model"
expect_exit 66 "$X" -q $W --warm "$TMP/nothing" --out "$TMP/w3"
expect_stderr_has "$TMP/nothing"
exit 0
