#!/bin/sh
# dualrec-ingest: the two-day sample ingests (plain, then zstd), reports
# what it read, and re-ingesting a day (also from stdin) writes the same
# bytes.
. "$(dirname "$0")/lib.sh"
I="$BIN/dualrec-ingest"
D="$SAMPLES/ingest"
S="$TMP/seg"

expect_exit 0 "$I" --segments "$S" --date 2022-04-10 --logs "$D/dt=2022-04-10"
expect_stderr_has "dualrec-ingest: 1 rows outside 2022-04-10 (zone UTC) not stored, first at $D/dt=2022-04-10/exposures.csv:8"
expect_stderr_has "dualrec-ingest: 2022-04-10: 20 rows read, 17 accepted, 0 rejected, 2 duplicates, 1 out of day; 5 users, 5 items; "
[ -s "$OUT_FILE" ] && die "stdout not empty"
[ -f "$S/dt=2022-04-10/segment.bin" ] || die "no segment"
for k in users items creators tags; do
    [ -f "$S/dict/$k.dict" ] || die "no $k dictionary"
done

expect_exit 0 "$I" -v --segments "$S" --date 2022-04-11 --logs "$D/dt=2022-04-11"
expect_stderr_has "dualrec-ingest: $D/dt=2022-04-11: found exposures.csv.zst, items.csv; absent: interactions, follows, users"
expect_stderr_has "dualrec-ingest: 2022-04-11: 5 rows read, 5 accepted, 0 rejected, 0 duplicates, 0 out of day; 3 users, 3 items; "

cp "$S/dt=2022-04-10/segment.bin" "$TMP/day1.bin"
expect_exit 0 "$I" -q --segments "$S" --date 2022-04-10 --logs "$D/dt=2022-04-10"
[ -s "$ERR_FILE" ] && die "-q printed something"
cmp -s "$S/dt=2022-04-10/segment.bin" "$TMP/day1.bin" || die "re-ingest changed the segment"

# the same day with exposures from stdin
expect_exit 0 sh -c "cat '$D/dt=2022-04-10/exposures.csv' | OMP_NUM_THREADS=1 '$I' -q \
    --segments '$S' --date 2022-04-10 --exposures - \
    --interactions '$D/dt=2022-04-10/interactions.csv' --items '$D/dt=2022-04-10/items.csv' \
    --follows '$D/dt=2022-04-10/follows.csv' --users '$D/dt=2022-04-10/users.csv'"
cmp -s "$S/dt=2022-04-10/segment.bin" "$TMP/day1.bin" || die "stdin ingest differs"
exit 0
