# dualrec-eval replay errors: a date that is not published (no _SUCCESS)
# exits 66 and writes no report; so does a published date whose next day
# has no segment.
. "$(dirname "$0")/lib.sh"
day=$SAMPLES/world/logs/dt=2026-01-05
expect_exit 0 "$BIN/dualrec-ingest" --segments "$TMP/s" --date 2026-01-05 --logs "$day" -q
mkdir -p "$TMP/out/dt=2026-01-05"
expect_exit 66 "$BIN/dualrec-eval" --segments "$TMP/s" --tables "$TMP/out" \
    --date 2026-01-05 --report "$TMP/rep"
expect_stderr "dualrec-eval: $TMP/out/dt=2026-01-05: date 2026-01-05 is not published (no _SUCCESS)"
[ ! -e "$TMP/rep" ] || die "a report was written"

printf '{\n  "params": {"L": "200"},\n  "stats": {"targets": "0"}\n}\n' \
    > "$TMP/out/dt=2026-01-05/manifest.json"
: > "$TMP/out/dt=2026-01-05/_SUCCESS"
expect_exit 66 "$BIN/dualrec-eval" --segments "$TMP/s" --tables "$TMP/out" \
    --date 2026-01-05 --report "$TMP/rep"
expect_stderr "dualrec-eval: $TMP/s/dt=2026-01-06: no segment for the day after the tables (2026-01-05)"
[ ! -e "$TMP/rep" ] || die "a report was written"
exit 0
