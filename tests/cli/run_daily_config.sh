# run_daily.sh reads key = value settings from --config (quotes, comments,
# blank lines) and flags override them; extra per-stage arguments reach
# the stage; the shipped dualrec.conf.example parses.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fakestages.sh.in"
make_logs 2024-03-01 2024-03-02
cat > "$TMP/run.conf" <<EOC
# nightly settings
root = "$TMP/root"
bin = $FAKEBIN
days = 2
L = 50
Q = 7
zone = +08:00   # day boundary at 16:00 UTC

match_args = --method greedy-items
eval = 0
EOC
expect_exit 0 $RUN_DAILY --config "$TMP/run.conf" --date 2024-03-02 --Q 9 --dry-run
grep -q -- "--zone +08:00" "$OUT_FILE" || die "zone not from config"
grep -q -- "--L 50 --out $TMP/root/out --method greedy-items" "$OUT_FILE" \
    || { cat "$OUT_FILE"; die "config/flag merge"; }
grep -q -- "dualrec-uac .* --cap-min 9 --cap-max 9 --out" "$OUT_FILE" \
    || { cat "$OUT_FILE"; die "Q flag did not override"; }
grep -q "dualrec-eval" "$OUT_FILE" && die "eval = 0 ignored"
expect_exit 0 $RUN_DAILY --config "$TMP/run.conf" --date 2024-03-02 --L 60 -q
grep -q "^match .*--L 60 " "$FAKE_LOG" || die "flag did not override"
grep -q "^uac .*--cap-min 7 --cap-max 7 " "$FAKE_LOG" || die "Q from config not used"

top=$(cd "$(dirname "$0")/../.." && pwd)
sed "s|^root = .*|root = $TMP/ex|" "$top/dualrec.conf.example" > "$TMP/ex.conf"
expect_exit 0 $RUN_DAILY --config "$TMP/ex.conf" --date 2024-03-02 --bin "$FAKEBIN" --dry-run
exit 0
