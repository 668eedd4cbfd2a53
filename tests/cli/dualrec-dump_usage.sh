#!/bin/sh
# dualrec-dump: --help on stdout (exit 0), bad flags and a bad section
# value are usage errors (64).
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$BIN/dualrec-dump" --help
grep -q '^usage: dualrec-dump' "$OUT_FILE" || die "--help did not print usage"
[ -s "$ERR_FILE" ] && die "--help wrote to stderr"

expect_exit 64 "$BIN/dualrec-dump" --no-such-flag x
expect_stderr_has "usage: dualrec-dump"

expect_exit 64 "$BIN/dualrec-dump"
expect_stderr_has "usage: dualrec-dump"

expect_exit 64 "$BIN/dualrec-dump" --section bogus x
expect_stderr "dualrec-dump: --section: unknown section 'bogus'"
exit 0
