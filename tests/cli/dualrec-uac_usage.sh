#!/bin/sh
# dualrec-uac: --help on stdout (exit 0); bad flags, missing required flags,
# out-of-range values and two targets at once are usage errors (64).
. "$(dirname "$0")/lib.sh"
U=$BIN/dualrec-uac

expect_exit 0 "$U" --help
grep -q '^usage: dualrec-uac' "$OUT_FILE" || die "--help did not print usage"
[ -s "$ERR_FILE" ] && die "--help wrote to stderr"

expect_exit 64 "$U" --no-such-flag
expect_stderr_has "usage: dualrec-uac"

expect_exit 64 "$U" --segments "$TMP" --date 2026-01-30
expect_stderr_has "usage: dualrec-uac"

expect_exit 64 "$U" --segments "$TMP" --date 2026-13-40 --out "$TMP/a"
expect_stderr_has "--date"

expect_exit 64 "$U" --segments "$TMP" --date 2026-01-30 --out "$TMP/a" \
    --target-recall 1.5
expect_stderr "dualrec-uac: --target-recall must be in [0, 1] '1.5'"

expect_exit 64 "$U" --segments "$TMP" --date 2026-01-30 --out "$TMP/a" \
    --threshold 0.3 --target-recall 0.8
expect_stderr "dualrec-uac: give one of --target-recall, --target-precision, --threshold"

expect_exit 64 "$U" --segments "$TMP" --date 2026-01-30 --out "$TMP/a" \
    --cap-min 20 --cap-max 10
expect_stderr "dualrec-uac: need --cap-min <= --cap-max <= 65535 and --cap-scale >= 0"

expect_exit 64 "$U" --segments "$TMP" --date 2026-01-30 --out "$TMP/a" \
    --days 0
expect_stderr "dualrec-uac: --days must be in 1..366 '0'"
exit 0
