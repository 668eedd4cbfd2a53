# run_daily.sh with the real stages on the sample world: a clean run, then
# the same root emptied and the run killed with kill -9 (its whole process
# group: run_daily and the stage it runs) three times -- during ingest,
# after the ranker started, after matching started -- and rerun: the
# rerun completes the date with outputs byte-identical to the clean run
# and leaves no temp file; one more run changes nothing.
. "$(dirname "$0")/lib.sh"
world=$SAMPLES/world
D=2026-01-17
[ -d "$world/logs/dt=$D" ] || die "sample world missing: $world"
root=$TMP/r
cat > "$TMP/run.conf" <<EOC
root = $root
logs = $world/logs
bin = $BIN
days = 2
eval = 0
threads = 2
# small models: this test is about the run, not their quality
tower_args = --epochs 2 --dim 16
rank_args = --epochs 1 --max-per-day 1000
uac_args = --rounds 10
EOC
R="$(cd "$(dirname "$0")/../.." && pwd)/run_daily.sh --config $TMP/run.conf --date $D"
sums() {
    (cd "$root" && find segments models avail out -type f | LC_ALL=C sort \
        | xargs sha256sum)
}

expect_exit 0 $R -q
clean=$(sums)
echo "$clean" | grep -q "out/dt=$D/_SUCCESS" || die "clean run did not publish"
rm -rf "$root/segments" "$root/models" "$root/avail" "$root/out" "$root/logs-run"

log=$root/logs-run/dt=$D.log
# Start a run in its own process group, wait until the log shows $1 after
# the lines already there, then kill -9 the whole group.
kill_at() {
    seen=$(cat "$log" 2>/dev/null | wc -l)
    setsid $R -q &
    pid=$!
    i=0
    until tail -n +$((seen + 1)) "$log" 2>/dev/null | grep -q "$1"; do
        i=$((i + 1))
        [ $i -lt 1200 ] || { kill -9 -$pid; die "never reached '$1'"; }
        kill -0 $pid 2>/dev/null || die "run ended before '$1'"
        sleep 0.1
    done
    kill -9 -$pid
    wait $pid 2>/dev/null
    return 0
}
kill_at "run_daily: ingest 2026-01-17:"
kill_at "run_daily: rank:"
kill_at "run_daily: match:"
[ ! -f "$root/out/dt=$D/_SUCCESS" ] || die "the killed runs got to publish; kill later stages"

expect_exit 0 $R -q
after=$(sums)
[ "$clean" = "$after" ] || { echo "$clean" > "$TMP/a"; echo "$after" > "$TMP/b";
    diff "$TMP/a" "$TMP/b" >&2; die "outputs after kill -9 + rerun differ from a clean run"; }
left=$(find "$root" -name '*.tmp.*')
[ -z "$left" ] || die "temp files left: $left"

touch "$TMP/marker"
sleep 1
expect_exit 0 $R
expect_stderr_has "match: complete, skipped"
changed=$(find "$root/segments" "$root/models" "$root/avail" "$root/out" -newer "$TMP/marker")
[ -z "$changed" ] || die "a rerun of a finished date changed: $changed"
[ "$(sums)" = "$clean" ] || die "a rerun of a finished date changed outputs"
exit 0
