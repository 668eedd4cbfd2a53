#!/bin/sh
# dualrec-eval-retrieval: --help on stdout (exit 0), bad flags exit 64, a
# missing dictionary or no segment in the test days exits 66.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$BIN/dualrec-eval-retrieval" --help
grep -q '^usage: dualrec-eval-retrieval' "$OUT_FILE" || die "--help did not print usage"

expect_exit 64 "$BIN/dualrec-eval-retrieval" --bogus
expect_stderr_has "usage: dualrec-eval-retrieval"

expect_exit 66 "$BIN/dualrec-eval-retrieval" --segments "$TMP" --date 2024-03-01
expect_stderr "dualrec-eval-retrieval: $TMP/dict/users.dict: cannot open: No such file or directory"

expect_exit 64 "$BIN/dualrec-eval-retrieval" --segments "$TMP" --date 2024-03-01 --truth all
expect_stderr_has "--truth: expected positive or rated, found 'all'"
expect_exit 64 "$BIN/dualrec-eval-retrieval" --segments "$TMP" --date 2024-03-01 --all-items --new-items
expect_stderr_has "--all-items and --new-items exclude each other"
exit 0
