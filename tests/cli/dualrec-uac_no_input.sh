#!/bin/sh
# dualrec-uac: nothing ingested under --segments is "no input" (66), with
# the missing file named and nothing on stdout or at --out.
. "$(dirname "$0")/lib.sh"

expect_exit 66 "$BIN/dualrec-uac" --segments "$TMP/none" --date 2026-01-30 \
    --out "$TMP/a.bin"
expect_stderr "dualrec-uac: $TMP/none/dict/users.dict: cannot open: No such file or directory"
[ -s "$OUT_FILE" ] && die "stdout not empty"
[ -e "$TMP/a.bin" ] && die "an output was written"
exit 0
