#!/bin/sh
# dualrec-eval-retrieval: --help on stdout (exit 0), bad flags exit 64, a
# missing next-day segment exits 66.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$BIN/dualrec-eval-retrieval" --help
grep -q '^usage: dualrec-eval-retrieval' "$OUT_FILE" || die "--help did not print usage"

expect_exit 64 "$BIN/dualrec-eval-retrieval" --bogus
expect_stderr_has "usage: dualrec-eval-retrieval"

expect_exit 66 "$BIN/dualrec-eval-retrieval" --segments "$TMP" --date 2024-03-01
expect_stderr "dualrec-eval-retrieval: $TMP/dt=2024-03-02/segment.bin: cannot open: No such file or directory"
exit 0
