#!/bin/sh
# dualrec-match: --help on stdout (exit 0); bad flags, missing required
# options, bad values and no output at all are usage errors (64).
. "$(dirname "$0")/lib.sh"

m="$BIN/dualrec-match"
req="--segments $TMP/seg --date 2026-11-28 --tower $TMP/t --rank $TMP/r --avail $TMP/a"

expect_exit 0 "$m" --help
grep -q '^usage: dualrec-match' "$OUT_FILE" || die "--help did not print usage"
[ -s "$ERR_FILE" ] && die "--help wrote to stderr"

expect_exit 64 "$m" --no-such-flag
expect_stderr_has "usage: dualrec-match"

expect_exit 64 "$m" --segments "$TMP/seg" --date 2026-11-28 --out "$TMP/out"
expect_stderr_has "usage: dualrec-match"

# shellcheck disable=SC2086
expect_exit 64 "$m" $req
expect_stderr "dualrec-match: no output: give --out, --stdout or --redis"

# shellcheck disable=SC2086
expect_exit 64 "$m" $req --out "$TMP/out" --slice 25-03
expect_stderr "dualrec-match: --slice: expected HH-HH with hours 0..24, got '25-03'"

# shellcheck disable=SC2086
expect_exit 64 "$m" $req --out "$TMP/out" --method hungarian
expect_stderr "dualrec-match: --method: unknown method 'hungarian'"

# shellcheck disable=SC2086
expect_exit 64 "$m" $req --out "$TMP/out" --L 0
expect_stderr "dualrec-match: --L must be at least 1"

# shellcheck disable=SC2086
expect_exit 64 "$m" $req --stdout --redis -
expect_stderr "dualrec-match: --stdout and --redis - both write to stdout"

expect_exit 64 "$m" --segments "$TMP/seg" --date 2026-02-30 --tower t \
    --rank r --avail a --out "$TMP/out"
expect_stderr "dualrec-match: --date: expected a date YYYY-MM-DD, got '2026-02-30'"

# missing models: exit 66, nothing written
# shellcheck disable=SC2086
expect_exit 66 "$m" $req --out "$TMP/out"
expect_stderr_has "$TMP/t"
[ -e "$TMP/out" ] && die "output written although an input is missing"
exit 0

# the long-tail budget: auto, all or a count; the over-provisioning >= 0
# shellcheck disable=SC2086
expect_exit 64 "$m" $req --out "$TMP/out" --long-tail-budget lots
expect_stderr "dualrec-match: --long-tail-budget: expected a whole number, got 'lots'"

# shellcheck disable=SC2086
expect_exit 64 "$m" $req --out "$TMP/out" --long-tail-over -1
expect_stderr "dualrec-match: --long-tail-over must be at least 0, got '-1'"
