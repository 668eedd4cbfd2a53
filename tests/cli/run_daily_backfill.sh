#!/bin/sh
# run_daily.sh --from-date D1 --to-date D2: every date in order, under one
# lock (a second run waits out with 75, during the backfill too), dates
# already published skipped, the first failing date's exit code with the
# later dates not run; --targets FILE reaches the match stage.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fakestages.sh.in"
make_logs 2024-03-01 2024-03-03
make_logs 2024-03-05 2024-03-05
echo 42 > "$TMP/targets.txt"
R="$RUN_DAILY --bin $FAKEBIN --root $TMP/root --days 2 --targets $TMP/targets.txt"

expect_exit 0 $R --from-date 2024-03-01 --to-date 2024-03-03
[ "$(grep '^match ' "$FAKE_LOG" | sed 's/.*--date \([0-9-]*\) .*/\1/' | tr '\n' ' ')" = "2024-03-01 2024-03-02 2024-03-03 " ] \
    || { cat "$FAKE_LOG"; die "dates not matched in order"; }
grep '^match ' "$FAKE_LOG" | grep -qv -- "--targets $TMP/targets.txt" && die "match without --targets"
expect_stderr_has "run_daily.sh: backfill 2024-03-01..2024-03-03: 3 date(s) run, 0 already published"

: > "$FAKE_LOG"
expect_exit 0 $R --from-date 2024-03-01 --to-date 2024-03-03
[ ! -s "$FAKE_LOG" ] || die "a backfill of published dates ran stages"
expect_stderr_has "run_daily.sh: backfill: 2024-03-02 published, skipped"

# 2024-03-04 has no logs: exit 66 there, 2024-03-05 not run
expect_exit 66 $R --from-date 2024-03-03 --to-date 2024-03-05
expect_stderr_has "run_daily.sh: backfill: 2024-03-04 failed with exit 66; dates after it not run"
[ -e "$TMP/root/out/dt=2024-03-05" ] && die "a date after the failure ran"

# a failing stage: its code
rm -rf "$TMP/root/out/dt=2024-03-03"
FAKE_FAIL=match:65
export FAKE_FAIL
expect_exit 65 $R --from-date 2024-03-03 --to-date 2024-03-03
unset FAKE_FAIL

# the lock is held for the whole backfill
rm -rf "$TMP/root/out"
: > "$FAKE_LOG"
FAKE_SLEEP=match:2 $R -q --from-date 2024-03-01 --to-date 2024-03-02 &
first=$!
i=0
until grep -q "^match " "$FAKE_LOG"; do
    i=$((i + 1)); [ $i -lt 100 ] || die "backfill never reached match"
    sleep 0.1
done
expect_exit 75 $R --date 2024-03-02
expect_stderr "run_daily.sh: another run holds $TMP/root/.lock; retry later"
wait "$first" || die "the backfill failed"
[ -f "$TMP/root/out/dt=2024-03-02/_SUCCESS" ] || die "the backfill did not finish"

expect_exit 64 $R --from-date 2024-03-03 --to-date 2024-03-01
expect_stderr_has "run_daily.sh: --from-date 2024-03-03 is after --to-date 2024-03-01"
expect_exit 64 $R --from-date 2024-03-03
expect_stderr_has "run_daily.sh: --from-date and --to-date go together"
exit 0
