# run_daily.sh: a full run calls every stage once (ingesting every day of
# the window that has logs); a rerun of the finished date calls nothing and
# changes nothing; --only and --from rerun what they name; a rerun stage
# forces the stages that read its output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fakestages.sh.in"
make_logs 2024-03-01 2024-03-05
R="$RUN_DAILY --bin $FAKEBIN --root $TMP/root --days 4 --date 2024-03-05"

expect_exit 0 $R
[ "$(calls ingest)" -eq 4 ] || die "expected 4 ingests, got $(calls ingest)"
grep -q "^ingest .*--date 2024-03-02 " "$FAKE_LOG" || die "window start not ingested"
grep -q "^ingest .*--date 2024-03-01 " "$FAKE_LOG" && die "day outside the window ingested"
for s in train-tower train-rank uac match; do
    [ "$(calls $s)" -eq 1 ] || die "$s called $(calls $s) times"
done
# eval of 2024-03-04 has no tables: nothing to do, not a failure
[ "$(calls eval)" -eq 0 ] || die "eval ran without tables"
[ -f "$TMP/root/out/dt=2024-03-05/_SUCCESS" ] || die "no _SUCCESS"
grep -q "tables: $TMP/root/out/dt=2024-03-05/" "$ERR_FILE" || die "summary has no table path"
grep -q "run_daily: summary for 2024-03-05 (exit 0)" "$TMP/root/logs-run/dt=2024-03-05.log" \
    || die "log file has no summary"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z tower: dualrec-train-tower: working on 2024-03-05$' \
    "$TMP/root/logs-run/dt=2024-03-05.log" || die "stage stderr not relayed with a timestamp"

before=$(cd "$TMP/root" && find segments models avail out -type f | sort | xargs sha256sum)
: > "$FAKE_LOG"
expect_exit 0 $R
[ ! -s "$FAKE_LOG" ] || { cat "$FAKE_LOG"; die "rerun of a finished date ran stages"; }
after=$(cd "$TMP/root" && find segments models avail out -type f | sort | xargs sha256sum)
[ "$before" = "$after" ] || die "rerun changed outputs"
expect_stderr_has "tower: complete, skipped"

: > "$FAKE_LOG"
expect_exit 0 $R --only rank
[ "$(wc -l < "$FAKE_LOG")" -eq 1 ] && [ "$(calls train-rank)" -eq 1 ] \
    || { cat "$FAKE_LOG"; die "--only rank"; }

: > "$FAKE_LOG"
expect_exit 0 $R --from uac
[ "$(calls uac)" -eq 1 ] && [ "$(calls match)" -eq 1 ] \
    && [ "$(wc -l < "$FAKE_LOG")" -eq 2 ] || { cat "$FAKE_LOG"; die "--from uac"; }

# a damaged model is not complete: tower reruns, and so does match, which
# reads it; the ranker reads it only with rank_tower = 1
echo broken > "$TMP/root/models/dt=2024-03-05/tower.bin"
: > "$FAKE_LOG"
expect_exit 0 $R
for s in train-tower match; do
    [ "$(calls $s)" -eq 1 ] || { cat "$FAKE_LOG"; die "$s not rerun after a bad tower"; }
done
[ "$(calls uac)" -eq 0 ] && [ "$(calls ingest)" -eq 0 ] && [ "$(calls train-rank)" -eq 0 ] \
    || { cat "$FAKE_LOG"; die "uac/ingest/rank rerun needlessly"; }
printf 'rank_tower = 1\n' > "$TMP/rt.conf"
echo broken > "$TMP/root/models/dt=2024-03-05/tower.bin"
: > "$FAKE_LOG"
expect_exit 0 $R --config "$TMP/rt.conf"
for s in train-tower train-rank match; do
    [ "$(calls $s)" -eq 1 ] || { cat "$FAKE_LOG"; die "$s not rerun after a bad tower"; }
done
grep -q "^train-rank .*--tower $TMP/root/models/dt=2024-03-05/tower.bin " "$FAKE_LOG" \
    || die "rank_tower = 1 did not pass the tower"

# the next date: tower warm-starts from this one, eval replays this one
make_logs 2024-03-06 2024-03-06
: > "$FAKE_LOG"
expect_exit 0 $RUN_DAILY --bin "$FAKEBIN" --root "$TMP/root" --days 4 --date 2024-03-06
grep -q "^train-tower .*--warm $TMP/root/models/dt=2024-03-05/tower.bin " "$FAKE_LOG" \
    || { cat "$FAKE_LOG"; die "no warm start"; }
grep -q "^train-rank .*--warm $TMP/root/models/dt=2024-03-05/rank.bin " "$FAKE_LOG" \
    || { cat "$FAKE_LOG"; die "no warm start of the ranker"; }
[ "$(calls ingest)" -eq 1 ] || die "expected one new day ingested"
grep -q "^eval .*--date 2024-03-05 " "$FAKE_LOG" || die "eval of the previous date did not run"
grep -q "report: $TMP/root/eval/dt=2024-03-05/report.html" "$ERR_FILE" || die "no report path"
exit 0
