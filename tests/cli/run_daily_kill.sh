# run_daily.sh with the real stages on the sample world: a clean run, then
# the same root emptied and the run killed with kill -9 (its whole process
# group: run_daily and the stage it runs) three times -- during ingest,
# after the ranker started, after matching started -- and rerun: the
# rerun completes the date with outputs byte-identical to the clean run
# and leaves no temp file; one more run changes nothing.
#
# Then kill -9 at exact points (tests/fault/faultinj.c, FAULT_MODE=
# killgroup): at the start of each stage's process (the boundary after the
# stage before), before its last rename (its temp file written) and after it
# (its last fsync: the stage's outputs complete, the stage not yet
# exited), for ingest, train-tower, train-rank, uac, match and eval (the
# replay of D-1).  After each kill: no _SUCCESS before match completed it,
# every visible output whole or absent; the final
# rerun gives the clean run's bytes everywhere and no temp file.  (Visible
# outputs: each is the clean run's file after D, or after D-1 for what D's
# run had not replaced yet -- the dictionaries grow by whole files.)
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

# ---- kill -9 at exact points ------------------------------------------------
# Under SANITIZE=1 (make test SANITIZE=1) this part is skipped: a killed
# process reports nothing, the stages' error paths are what the *_faults
# tests run under ASan, and it would double the time.
if [ "${SANITIZE:-0}" = 1 ]; then
    echo "run_daily_kill: kills at exact points skipped under SANITIZE=1" >&2
    exit 0
fi
[ -f "${FAULT_LIB:-}" ] || die "fault shim not built (FAULT_LIB; make fault)"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
P=2026-01-16
mkconf() {      # ROOT CONF: the config above with eval on
    sed -e "s|^root = .*|root = $1|" -e "s|^eval = 0|eval = 1|" \
        "$TMP/run.conf" > "$2"
}
mkconf "$TMP/k" "$TMP/k.conf"
RD="$(cd "$(dirname "$0")/../.." && pwd)/run_daily.sh"
sums_of() {
    (cd "$1" && find segments models avail out eval -type f ! -name '*.tmp.*' \
        ! -path '*/.dt=*' 2>/dev/null | LC_ALL=C sort | xargs sha256sum)
}
# the clean run of P then D, counting each stage's steps for D (in the
# root the killed runs use: the manifest names its inputs' paths)
expect_exit 0 $RD --config "$TMP/k.conf" --date $P -q
cleanP=$(sums_of "$TMP/k")
expect_exit 0 env LD_PRELOAD="$FAULT_LIB" FAULT_LOG="$TMP/count.log" \
    $RD --config "$TMP/k.conf" --date $D -q
clean2=$(sums_of "$TMP/k")
rm -rf "$TMP/k"
echo "$clean2" | grep -q "eval/dt=$P/report.json" || die "the clean run did not evaluate $P"
steps() {       # PROG OP: the most OP steps one PROG process took
    grep "^count $1 " "$TMP/count.log" | tr ' ' '\n' | sed -n "s/^$2=//p" \
        | sort -n | tail -n 1
}
expect_exit 0 $RD --config "$TMP/k.conf" --date $P -q
cp -a "$TMP/k" "$TMP/k.P"
kills=0
kill_point() {  # PROG OP N
    rm -f "$TMP/kill.log"
    setsid env LD_PRELOAD="$FAULT_LIB" FAULT_LOG="$TMP/kill.log" \
        FAULT_PROG="$1" FAULT_OP="$2" FAULT_NTH="$3" FAULT_MODE=killgroup \
        $RD --config "$TMP/k.conf" --date $D -q >/dev/null 2>&1 &
    wait $! 2>/dev/null
    krc=$?
    grep -q "^fired $1 $2 " "$TMP/kill.log" 2>/dev/null \
        || die "kill at $1 $2 #$3: never reached (exit $krc)"
    [ "$krc" -eq 137 ] || die "kill at $1 $2 #$3: exit $krc, expected 137"
    # each file as the clean run left it after P (dictionaries only grow)
    # or after D
    now=$(sums_of "$TMP/k")
    echo "$now" | while read -r h f; do
        printf '%s\n%s\n' "$cleanP" "$clean2" | grep -qF "$h  $f" \
            || { echo "kill at $1 $2 #$3: $f is partial or wrong" >&2; exit 1; }
    done || exit 1
    if [ -f "$TMP/k/out/dt=$D/_SUCCESS" ]; then
        case "$1 $2" in
        "dualrec-match fsync"|dualrec-eval*) ;;
        *) die "kill at $1 $2 #$3: _SUCCESS before match completed" ;;
        esac
    fi
    kills=$((kills + 1))
}
for prog in dualrec-ingest dualrec-train-tower dualrec-train-rank dualrec-uac \
            dualrec-match dualrec-eval; do
    nr=$(steps $prog rename) nf=$(steps $prog fsync)
    [ -n "$nr" ] && [ "$nr" -gt 0 ] || die "$prog: no steps counted"
    # dualrec-eval also runs as run_daily's --verify: no start kill there
    for point in "start 1" "rename $nr" "fsync $nf"; do
        [ "$prog $point" != "dualrec-eval start 1" ] || continue
        # ingest rewrites only the dictionaries that grew, so its steps
        # are counted from the state after D-1 each time
        if [ $prog = dualrec-ingest ]; then
            rm -rf "$TMP/k"
            cp -a "$TMP/k.P" "$TMP/k"
        fi
        kill_point $prog $point
    done
done
expect_exit 0 $RD --config "$TMP/k.conf" --date $D -q
[ "$(sums_of "$TMP/k")" = "$clean2" ] || { echo "$clean2" > "$TMP/a";
    sums_of "$TMP/k" > "$TMP/b"; diff "$TMP/a" "$TMP/b" >&2;
    die "outputs after $kills kills + rerun differ from a clean run"; }
left=$(find "$TMP/k" -name '*.tmp.*')
[ -z "$left" ] || die "temp files left after the rerun: $left"
echo "run_daily_kill: 3 timed kills, $kills kills at exact points" >&2
exit 0
