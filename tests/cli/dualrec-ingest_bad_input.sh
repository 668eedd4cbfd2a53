#!/bin/sh
# dualrec-ingest: rejects are printed as file:line: reason and written to
# the reject file; over the budget the run exits 65 and writes no segment;
# a missing file exits 66, a truncated zstd file or a missing column 65.
. "$(dirname "$0")/lib.sh"
I="$BIN/dualrec-ingest"
B="$SAMPLES/bad"
S="$TMP/seg"

expect_exit 65 "$I" --segments "$S" --date 2022-04-10 --exposures "$B/bad_flag.csv"
expect_stderr "dualrec-ingest: $B/bad_flag.csv:3: column 'click': bad flag value '2'
dualrec-ingest: 1 of 2 rows rejected (50.00%), over the budget of 1.00% (--max-reject-ratio 0.01); see $S/dt=2022-04-10/rejects.csv"
[ -e "$S/dt=2022-04-10/segment.bin" ] && die "segment written over budget"
[ -e "$S/dict/users.dict" ] && die "dictionary written over budget"
grep -qF "$B/bad_flag.csv,3,column 'click': bad flag value '2',\"1649577601,u2,v2,2,0\"" \
    "$S/dt=2022-04-10/rejects.csv" || die "reject file lacks the row"

expect_exit 0 "$I" --segments "$S" --date 2022-04-10 --exposures "$B/bad_flag.csv" \
    --max-reject-ratio 0.5 --rejects "$TMP/rej.csv"
expect_stderr_has "dualrec-ingest: $B/bad_flag.csv:3: column 'click': bad flag value '2'"
expect_stderr_has "2 rows read, 1 accepted, 1 rejected"
[ -e "$S/dt=2022-04-10/segment.bin" ] || die "no segment within budget"
[ "$(wc -l < "$TMP/rej.csv")" -eq 2 ] || die "reject file should hold header + 1 row"

expect_exit 66 "$I" --segments "$S" --date 2022-04-10 --exposures "$B/nope.csv"
expect_stderr "dualrec-ingest: $B/nope.csv: cannot open: No such file or directory"
expect_exit 66 "$I" --segments "$S" --date 2022-04-10 --logs "$TMP/nope"
expect_stderr "dualrec-ingest: $TMP/nope: no such log directory"

expect_exit 65 "$I" --segments "$TMP/s2" --date 2022-04-10 --exposures "$B/truncated.csv.zst"
expect_stderr "dualrec-ingest: $B/truncated.csv.zst: truncated zstd frame (input ends at offset 150)"
[ -e "$TMP/s2/dt=2022-04-10/segment.bin" ] && die "segment written from truncated input"

expect_exit 65 "$I" --segments "$TMP/s2" --date 2022-04-10 --exposures "$B/missing_column.csv"
expect_stderr "dualrec-ingest: $B/missing_column.csv:1: missing column 'user' (tried user, user_id, userId); header split on ',' into 4 columns 'time,uid,video_id,click'; fix: --map user=NAME with NAME one of the header's columns"
expect_exit 64 "$I" --segments "$TMP/s2" --date 2022-04-10 --delimiter : --exposures "$B/missing_column.csv"
expect_stderr_has "dualrec-ingest: --delimiter: expected ',', '\\t', ';' or '|', got ':'"
exit 0
