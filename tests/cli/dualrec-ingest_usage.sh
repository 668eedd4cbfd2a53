#!/bin/sh
# dualrec-ingest: --help on stdout (exit 0); bad flags, missing or
# conflicting inputs and bad option values are usage errors (64).
. "$(dirname "$0")/lib.sh"
I="$BIN/dualrec-ingest"

expect_exit 0 "$I" --help
grep -q '^usage: dualrec-ingest' "$OUT_FILE" || die "--help did not print usage"
[ -s "$ERR_FILE" ] && die "--help wrote to stderr"

expect_exit 64 "$I" --no-such-flag
expect_stderr_has "usage: dualrec-ingest"
expect_exit 64 "$I" --segments "$TMP/s" --date 2022-04-10
expect_stderr_has "usage: dualrec-ingest"
expect_exit 64 "$I" --segments "$TMP/s" --date 2022-04-10 --logs x --exposures y
expect_stderr_has "usage: dualrec-ingest"
expect_exit 64 "$I" --segments "$TMP/s" --date 2022-4-10 --exposures y
expect_stderr "dualrec-ingest: --date: expected a date YYYY-MM-DD, got '2022-4-10'"
expect_exit 64 "$I" --segments "$TMP/s" --date 2022-04-10 --exposures - --items -
expect_stderr "dualrec-ingest: only one file can be read from stdin ('-')"
expect_exit 64 "$I" --segments "$TMP/s" --date 2022-04-10 --exposures y --zone Mars
expect_stderr "dualrec-ingest: --zone: expected +hh:mm or UTC, got 'Mars'"
expect_exit 64 "$I" --segments "$TMP/s" --date 2022-04-10 --exposures y --map usr=uid
expect_stderr "dualrec-ingest: --map: unknown column 'usr'"
expect_exit 64 "$I" --segments "$TMP/s" --date 2022-04-10 --exposures y --value-event joy:4
expect_stderr "dualrec-ingest: --value-event: unknown feedback event in 'joy:4'"
[ -e "$TMP/s" ] && die "a usage error wrote output"
exit 0
