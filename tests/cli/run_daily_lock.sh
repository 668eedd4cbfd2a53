# run_daily.sh: while one run holds ROOT/.lock, a second run of the same
# root exits 75 (RC_RETRY) with a clear message and touches nothing; a
# run on another root is not blocked; once the first ends, runs proceed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fakestages.sh.in"
make_logs 2024-03-01 2024-03-02
R="$RUN_DAILY --bin $FAKEBIN --root $TMP/root --days 2 --date 2024-03-02 -q"

FAKE_SLEEP=train-tower:3 $R &
first=$!
i=0
until grep -q "^train-tower " "$FAKE_LOG"; do
    i=$((i + 1)); [ $i -lt 100 ] || die "first run never reached tower"
    sleep 0.1
done
expect_exit 75 $R
expect_stderr "run_daily.sh: another run holds $TMP/root/.lock; retry later"
[ "$(calls train-tower)" -eq 1 ] || die "second run ran a stage"
wait "$first" || die "first run failed"
[ -f "$TMP/root/out/dt=2024-03-02/_SUCCESS" ] || die "first run did not finish"
expect_exit 0 $R
exit 0
