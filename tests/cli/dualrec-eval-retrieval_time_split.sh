#!/bin/sh
# dualrec-eval-retrieval on a time split of ratings-only logs (the
# MovieLens cut of 2018-05-01 .. 2018-09-24): the window up to 2018-08-31,
# truth from the 24 days after it; --new-items takes the movies no rating
# of the window names, --truth rated counts every rater, not only ratings
# of 4 or more.  The counts are the ones awk finds in the CSV; a test
# period without any segment exits 66.
. "$(dirname "$0")/lib.sh"
ML=$SAMPLES/real/movielens
expect_exit 0 "$BIN/dualrec-ingest" -q --segments "$TMP/seg" --split-days \
    --from 2018-05-01 --interactions "$ML/ratings-2018.csv" --const event=rate \
    --value-event like:4 --items "$ML/movies-2018.csv" --const creator= \
    --const upload_time=

# 1535760000 = 2018-09-01 00:00 UTC, the first test day
counts=$(awk -F, 'NR > 1 { t = $4 + 0
        if (t < 1535760000) seen[$2] = 1
        else if (t < 1535760000 + 24 * 86400) { r[$2] = 1; if ($3 >= 4) p[$2] = 1 } }
    END { for (i in r) if (!(i in seen)) n++
          for (i in p) if (!(i in seen)) m++
          print n, m }' "$ML/ratings-2018.csv")
rated=${counts% *}
liked=${counts#* }
[ "$rated" -gt "$liked" ] || die "the cut has no new movie rated below 4"

run() {
    expect_exit 0 "$BIN/dualrec-eval-retrieval" --segments "$TMP/seg" \
        --date 2018-08-31 --days 123 --test-days 24 -L 20 --epochs 2 --dim 8 "$@"
}
run --new-items --truth rated
expect_stderr_has "target items (items new to the window), $rated with test-day engagers"
grep -q '^recall@20 of the raters of 24 test day(s), '"$rated"' items new to the window with them, eligible: all users$' \
    "$OUT_FILE" || die "no header line for raters"
grep -q '^baseline most-active ' "$OUT_FILE" || die "no baseline row"
run --new-items
expect_stderr_has "target items (items new to the window), $liked with test-day engagers"
run --all-items --truth rated --oracle-avail
grep -q 'eligible: users active in the test days$' "$OUT_FILE" || die "no oracle eligibility"

expect_exit 66 "$BIN/dualrec-eval-retrieval" --segments "$TMP/seg" --date 2018-09-30 --test-days 3
expect_stderr "dualrec-eval-retrieval: $TMP/seg: no segment in the 3 test day(s) after the window"
exit 0
