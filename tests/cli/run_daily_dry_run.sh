# run_daily.sh --dry-run prints the commands a run would execute, in order,
# and creates nothing; after a run it prints that every stage is complete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fakestages.sh.in"
make_logs 2024-03-02 2024-03-03
R="$RUN_DAILY --bin $FAKEBIN --root $TMP/root --days 3 --date 2024-03-03"

expect_exit 0 $R --dry-run
[ ! -s "$FAKE_LOG" ] || die "dry run called a stage"
[ ! -e "$TMP/root/segments" ] && [ ! -e "$TMP/root/.lock" ] || die "dry run created files"
cut -d' ' -f1-5 "$OUT_FILE" > "$TMP/got"
cat > "$TMP/want" <<EOW
$FAKEBIN/dualrec-ingest --segments $TMP/root/segments --date 2024-03-02
$FAKEBIN/dualrec-ingest --segments $TMP/root/segments --date 2024-03-03
$FAKEBIN/dualrec-train-tower --segments $TMP/root/segments --date 2024-03-03
$FAKEBIN/dualrec-train-rank --segments $TMP/root/segments --date 2024-03-03
$FAKEBIN/dualrec-uac --segments $TMP/root/segments --date 2024-03-03
$FAKEBIN/dualrec-match --segments $TMP/root/segments --date 2024-03-03
# eval: no tables for
EOW
diff "$TMP/want" "$TMP/got" || die "dry-run commands differ"
grep -qx "# eval: no tables for 2024-03-02" "$OUT_FILE" || die "eval note"
grep -q -- "--L 200 --out $TMP/root/out" "$OUT_FILE" || die "match flags"

expect_exit 0 $R
expect_exit 0 $R --dry-run
grep -c 'complete, skipped' "$OUT_FILE" | grep -qx 5 || { cat "$OUT_FILE"; die "not all complete"; }

# a date without logs: the dry run says so
expect_exit 0 $RUN_DAILY --bin "$FAKEBIN" --root "$TMP/root" --days 3 --date 2024-03-09 --dry-run
grep -q "^# ingest: no logs for 2024-03-09" "$OUT_FILE" || die "no missing-logs note"
exit 0
