# dualrec-eval: --help on stdout (exit 0); a bad flag, a missing argument
# or --verify without files prints usage on stderr and exits 64.
. "$(dirname "$0")/lib.sh"
expect_exit 0 "$BIN/dualrec-eval" --help
grep -q "^usage: dualrec-eval --segments SEGROOT --tables OUTROOT --date D" "$OUT_FILE" \
    || die "no usage on stdout"
expect_exit 64 "$BIN/dualrec-eval" --bogus
expect_stderr_has "usage: dualrec-eval"
expect_exit 64 "$BIN/dualrec-eval" --segments "$TMP" --date 2026-01-17
expect_exit 64 "$BIN/dualrec-eval" --segments "$TMP" --tables "$TMP" --date 17.01.2026
expect_exit 64 "$BIN/dualrec-eval" --verify
exit 0
