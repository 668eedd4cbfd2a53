#!/bin/sh
# dualrec-dump: a missing segment exits 66, a file that is not a segment
# exits 65, each with one exact line on stderr and nothing on stdout.
. "$(dirname "$0")/lib.sh"

expect_exit 66 "$BIN/dualrec-dump" "$TMP/dt=2026-01-01/segment.bin"
expect_stderr "dualrec-dump: $TMP/dt=2026-01-01/segment.bin: cannot open: No such file or directory"
[ -s "$OUT_FILE" ] && die "stdout not empty"

printf '%064d' 0 > "$TMP/notseg.bin"
expect_exit 65 "$BIN/dualrec-dump" --section exposures "$TMP/notseg.bin"
expect_stderr "dualrec-dump: $TMP/notseg.bin: offset 0: bad magic (not a 'SEGMT' file)"
[ -s "$OUT_FILE" ] && die "stdout not empty"

printf 'short' > "$TMP/short.bin"
expect_exit 65 "$BIN/dualrec-dump" "$TMP/short.bin"
expect_stderr "dualrec-dump: $TMP/short.bin: offset 5: truncated header (5 of 48 bytes)"
exit 0
