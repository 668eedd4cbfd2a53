#!/bin/sh
# dualrec-ingest: real-shaped inputs through the aliases and options: the
# MovieLens ratings as interactions (constant event, ratings >= 4 as likes)
# and the KuaiRand video table as items.
. "$(dirname "$0")/lib.sh"
I="$BIN/dualrec-ingest"
R="$SAMPLES/real"

expect_exit 65 "$I" --segments "$TMP/s" --date 2015-07-02 --interactions "$R/movielens/ratings.csv"
expect_stderr "dualrec-ingest: $R/movielens/ratings.csv:1: missing column 'event' (tried event, action, type); header split on ',' into 4 columns 'userId,movieId,rating,timestamp'; fix: --const event=rate for a file of ratings (with --value-event like:4), or --map event=NAME"

# the same ratings as RecBole's tab-separated .inter with typed headers:
# found as tabs, bound by the name part; forcing commas names the fix
expect_exit 65 "$I" --segments "$TMP/t" --date 2015-07-02 --delimiter , \
    --interactions "$R/movielens/ratings.inter" --const event=rate
expect_stderr "dualrec-ingest: $R/movielens/ratings.inter:1: missing column 'time' (tried time, timestamp, time_ms, ts); header split on ',' into 1 column 'user_id:token\\titem_id:token\\trating:float\\ttimestamp:float'; fix: --delimiter '\\t' (the header has 3 of them), or --map time=NAME"
expect_exit 0 "$I" --segments "$TMP/t" --date 2015-07-02 \
    --interactions "$R/movielens/ratings.inter" --const event=rate --value-event like:4
expect_exit 0 "$I" --segments "$TMP/c" --date 2015-07-02 \
    --interactions "$R/movielens/ratings.csv" --const event=rate --value-event like:4
cmp "$TMP/t/dt=2015-07-02/segment.bin" "$TMP/c/dt=2015-07-02/segment.bin" \
    || die "the .inter and the .csv give different segments"

expect_exit 0 "$I" --segments "$TMP/s" --date 2015-07-02 \
    --interactions "$R/movielens/ratings.csv" --const event=rate --value-event like:4 \
    --items "$R/kuairand/video_features_basic_pure.csv"
expect_stderr_has "dualrec-ingest: 83 rows outside 2015-07-02 (zone UTC) not stored, first at $R/movielens/ratings.csv:2"
expect_stderr_has "dualrec-ingest: 2015-07-02: 448 rows read, 365 accepted, 0 rejected, 0 duplicates, 83 out of day; "
"$BIN/dualrec-dump" -S "$TMP/s" -s items "$TMP/s/dt=2015-07-02/segment.bin" > "$TMP/items.tsv" \
    || die "dump failed"
grep -qP '^5\t8367059\t1649548800\t358016\t20,43$' "$TMP/items.tsv" || die "KuaiRand video 5 not as expected"
exit 0
