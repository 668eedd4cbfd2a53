#!/bin/sh
# bench_movielens.sh -- item -> user recall@50 on MovieLens latest-small
# (real ratings, no exposures, no creators) on time splits, ingested as
# README's "Your own logs" does (dualrec-ingest --split-days, a rating of
# 4 or more a like, genres as tags).  For each cut date C (2016-06-30,
# 2016-12-31, 2017-06-30): train on every rating up to C (the window
# reaches back to the first day, 1996-03-29), test on the 365 days after.
# Targets: "new" = the movies first rated after C (no rating of the
# window names them); "all" = every movie rated in the test year.  Truth
# of a target = its test-year raters (any rating; also shown: only
# ratings >= 4).  Recall of a method on a target = the share of its
# raters among the method's 50 users; the figure is the mean over the
# targets with >= 1 rater (macro), all 610 users eligible.  Methods:
# dualrec-eval-retrieval's merged channels (k = 50) and tower, against
# most-active users (most ratings >= 4 up to C, the same 50 for every
# movie) and random users (expectation 50 / 610).  Skipped with a
# message when the data set is absent (MOVIELENS_DIR, default
# ../shared/data/movielens-latest-small beside the repository).
. "$(dirname "$0")/lib.sh"

ml=${MOVIELENS_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data/movielens-latest-small}
if [ ! -f "$ml/ratings.csv" ] || [ ! -f "$ml/movies.csv" ]; then
    echo "movielens: $ml/ratings.csv or movies.csv not found, skipped"
    exit 0
fi
w=$OUT/movielens
rm -rf "$w"
mkdir -p "$w"
measure "dualrec-ingest --split-days (all 22 years)" \
    "$BIN/dualrec-ingest" -q --segments "$w/seg" --split-days \
    --to 2018-06-30 --interactions "$ml/ratings.csv" --const event=rate \
    --value-event like:4 --items "$ml/movies.csv" --const creator= \
    --const upload_time= || exit 1

L=50
echo
echo "recall@$L (macro: mean over targets with >= 1 test rater), 610 users"
echo "eligible, train = every rating up to the cut, test = the 365 days after"
printf '%-10s %-8s %-6s %6s %8s %8s %12s %8s\n' cut truth items n \
    merged tower most-active random
for cut in 2016-06-30 2016-12-31 2017-06-30; do
    for truth in rated positive; do
        for set in new all; do
            "$BIN/dualrec-eval-retrieval" -q --segments "$w/seg" \
                --date "$cut" --days 8000 --test-days 365 -L $L \
                --"$set"-items --truth "$truth" > "$w/r.txt" || exit 1
            awk -v cut="$cut" -v truth="$truth" -v set="$set" -v L=$L '
                /^merged / { m = $3 } /^tower / { t = $3; n = $4 }
                /^baseline most-active / { a = $4 }
                END { printf "%-10s %-8s %-6s %6d %8.3f %8.3f %12.3f %8.3f\n",
                             cut, truth, set, n, m, t, a, L / 610 }' \
                "$w/r.txt" | tee -a "$w/rows.txt"
        done
    done
done
echo
echo "mean +- sd over the 3 cuts (sample sd)"
printf '%-8s %-6s %16s %16s %16s\n' truth items merged tower most-active
for truth in rated positive; do
    for set in new all; do
        awk -v truth="$truth" -v set="$set" '
            $2 == truth && $3 == set { n++; for (c = 5; c <= 7; c++) {
                s[c] += $c; q[c] += $c * $c } }
            END { printf "%-8s %-6s", truth, set
                  for (c = 5; c <= 7; c++) {
                      m = s[c] / n; v = n > 1 ? (q[c] - n * m * m) / (n - 1) : 0
                      printf "  %7.3f +- %5.3f", m, sqrt(v > 0 ? v : 0) }
                  printf "\n" }' "$w/rows.txt"
    done
done
