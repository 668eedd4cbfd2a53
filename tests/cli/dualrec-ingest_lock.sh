#!/bin/sh
# dualrec-ingest: while another run holds the dictionary lock, exit 75
# (retry) and touch nothing.
. "$(dirname "$0")/lib.sh"
I="$BIN/dualrec-ingest"
D="$SAMPLES/ingest/dt=2022-04-10"
S="$TMP/seg"

mkdir -p "$S/dict"
: > "$S/dict/.lock"
expect_exit 75 flock "$S/dict/.lock" "$I" -q --segments "$S" --date 2022-04-10 --logs "$D"
expect_stderr "dualrec-ingest: $S/dict/.lock: another ingest holds the dictionary lock, retry later"
[ -e "$S/dict/users.dict" ] && die "dictionary written without the lock"
exit 0
