# dualrec-gen: --help, bad flags and bad values.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$BIN/dualrec-gen" --help
grep -q '^usage: dualrec-gen --out DIR' "$OUT_FILE" || die "--help text"
[ -s "$ERR_FILE" ] && die "--help wrote to stderr"

expect_exit 64 "$BIN/dualrec-gen" --bogus
expect_stderr_has "usage: dualrec-gen"

expect_exit 64 "$BIN/dualrec-gen" --users 10
expect_stderr_has "usage: dualrec-gen"

expect_exit 64 "$BIN/dualrec-gen" --out "$TMP/w" --users 0
expect_stderr "dualrec-gen: users must be positive"

expect_exit 64 "$BIN/dualrec-gen" --out "$TMP/w" --start 2026-02-30
expect_stderr "dualrec-gen: --start: expected a date YYYY-MM-DD, got '2026-02-30'"

expect_exit 64 "$BIN/dualrec-gen" --out "$TMP/w" --dim 100
expect_stderr "dualrec-gen: dim must be in 1..64 '100'"

: >"$TMP/file"
expect_exit 73 "$BIN/dualrec-gen" --out "$TMP/file/w" --users 10 \
    --items-per-day 5 --days 1 -q
expect_stderr_has "dualrec-gen: "
exit 0
