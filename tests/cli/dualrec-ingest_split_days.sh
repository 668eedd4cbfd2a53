#!/bin/sh
# dualrec-ingest --split-days: a multi-day ratings file into its days, the
# same bytes as one-day ingests in date order and with 1 or 2 threads; the
# rejects of the pass name the original line; usage errors.
. "$(dirname "$0")/lib.sh"
I="$BIN/dualrec-ingest"
R="$SAMPLES/real/movielens/ratings-2018.csv"
A="--interactions $R --const event=rate --value-event like:4"

OMP_NUM_THREADS=1 expect_exit 0 "$I" --segments "$TMP/s1" --from 2018-09-13 --to 2018-09-17 $A
expect_stderr_has "dualrec-ingest: split: 3098 rows read, 0 rejected, 2743 outside --from/--to; 5 days written (2018-09-13 .. 2018-09-17)"
OMP_NUM_THREADS=2 expect_exit 0 "$I" --segments "$TMP/s2" --split-days --from 2018-09-13 --to 2018-09-17 $A
for d in 2018-09-13 2018-09-14 2018-09-15 2018-09-16 2018-09-17; do
    expect_exit 0 "$I" --segments "$TMP/one" --date $d $A
    expect_stderr_has "(a file of many days: --split-days stores each)"
    cmp "$TMP/s1/dt=$d/segment.bin" "$TMP/one/dt=$d/segment.bin" || die "$d differs from a one-day ingest"
    cmp "$TMP/s1/dt=$d/segment.bin" "$TMP/s2/dt=$d/segment.bin" || die "$d differs with 2 threads"
done
for k in users items creators tags; do
    cmp "$TMP/s1/dict/$k.dict" "$TMP/one/dict/$k.dict" || die "$k.dict differs"
done
ls -a "$TMP/s1" | grep -q '^\.split' && die "spill directory left"

# a bad row: named with its original line, in the pass's reject file
{ head -n 3 "$R"; printf 'x,1,4.0,soon\r\n'; } > "$TMP/bad.csv"
expect_exit 0 "$I" --segments "$TMP/b" --split-days --max-reject-ratio 0.5 \
    --interactions "$TMP/bad.csv" --const event=rate
expect_stderr_has "dualrec-ingest: $TMP/bad.csv:4: column 'timestamp': unparseable time 'soon'"
grep -q "^$TMP/bad.csv,4,column 'timestamp': unparseable time 'soon',\"x,1,4.0,soon\"$" "$TMP/b/rejects-split.csv" \
    || die "reject not in rejects-split.csv"
expect_exit 65 "$I" --segments "$TMP/b2" --split-days --interactions "$TMP/bad.csv" --const event=rate
expect_stderr_has "see $TMP/b2/rejects-split.csv; no day written"
[ -e "$TMP/b2/dt=2018-05-01" ] && die "a day written over the budget"

expect_exit 64 "$I" --segments "$TMP/u" --split-days --date 2018-09-13 $A
expect_exit 64 "$I" --segments "$TMP/u" --from 2018-09-17 --to 2018-09-13 $A
expect_stderr_has "dualrec-ingest: --from is after --to"
expect_exit 64 "$I" --segments "$TMP/u" --split-days $A --items -
expect_stderr "dualrec-ingest: --split-days: items and users are read for every day, so they cannot come from stdin ('-')"
exit 0
