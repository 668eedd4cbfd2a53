#!/bin/sh
# dualrec-train-rank: a segment root with nothing ingested is "no input"
# (66) and no model file appears.
. "$(dirname "$0")/lib.sh"
X=$BIN/dualrec-train-rank

mkdir -p "$TMP/seg"
expect_exit 66 "$X" --segments "$TMP/seg" --date 2026-01-05 --out "$TMP/m"
expect_stderr_has "dualrec-train-rank: "
[ ! -e "$TMP/m" ] || die "a model was written"
