#!/bin/sh
# dualrec-train-tower: a segment root without dictionaries exits 66 and
# writes no model.
. "$(dirname "$0")/lib.sh"

expect_exit 66 "$BIN/dualrec-train-tower" --segments "$TMP/none" --date 2024-03-01 --out "$TMP/m"
expect_stderr "dualrec-train-tower: $TMP/none/dict/users.dict: cannot open: No such file or directory"
[ -e "$TMP/m" ] && die "model written"
exit 0
