# run_daily.sh exit codes: a failing stage's code is propagated and later
# stages do not run; no logs for the date is 66; a bad flag 64; a bad
# config file 78 with file:line, as is a missing executable; the summary
# names the failed stage.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fakestages.sh.in"
make_logs 2024-03-01 2024-03-02
R="$RUN_DAILY --bin $FAKEBIN --root $TMP/root --days 2 --date 2024-03-02"

FAKE_FAIL=train-rank:65 expect_exit 65 $R
expect_stderr_has "rank: dualrec-train-rank: simulated failure"
expect_stderr_has "rank    FAILED (exit 65)"
[ "$(calls uac)" -eq 0 ] && [ "$(calls match)" -eq 0 ] || die "stages after a failure ran"
[ ! -e "$TMP/root/out/dt=2024-03-02" ] || die "published after a failure"
expect_exit 0 $R            # the rerun completes from rank on
[ "$(calls train-tower)" -eq 1 ] || die "tower rerun after a rank failure"

expect_exit 66 $RUN_DAILY --bin "$FAKEBIN" --root "$TMP/root" --date 2024-04-01
expect_stderr_has "ingest: no logs for 2024-04-01"

expect_exit 64 $R --bogus
expect_stderr_has "run_daily.sh: unknown option '--bogus'"
expect_exit 64 $R --only nope
expect_stderr_has "unknown stage 'nope'"
expect_exit 64 $R --date 2024-13-01
expect_exit 64 $RUN_DAILY --date 2024-03-02
expect_stderr_has "no run root"

printf 'root = %s\n# comment\nwindow = 3\n' "$TMP/root" > "$TMP/bad.conf"
expect_exit 78 $RUN_DAILY --config "$TMP/bad.conf"
expect_stderr "run_daily.sh: $TMP/bad.conf:3: unknown key 'window'"
printf 'root = %s\nQ = ten\n' "$TMP/root" > "$TMP/bad2.conf"
expect_exit 78 $RUN_DAILY --config "$TMP/bad2.conf"
expect_stderr "run_daily.sh: Q: expected a whole number, got 'ten'"
expect_exit 78 $RUN_DAILY --config "$TMP/missing.conf"
rm "$FAKEBIN/dualrec-uac"
expect_exit 78 $R
expect_stderr "run_daily.sh: $FAKEBIN/dualrec-uac: not found (set bin or --bin)"
expect_exit 0 $R --only tower       # a stage that is there still runs
exit 0
