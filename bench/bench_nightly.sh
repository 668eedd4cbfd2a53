# bench_nightly.sh -- the whole nightly run, stage by stage: wall time, CPU
# time and peak memory of every command run_daily.sh runs for one date, on a
# generated world of 1M users with 100k new items a day over 30 days
# (BENCH_SCALE scales users and items; BENCH_DAYS the days, default 30).
#
# A night is measured as cron meets it: the segments of the earlier days
# exist (the backfill, timed once, not part of the night) and so do the
# previous night's models, tables and availability.  So the bench runs two
# nights with run_daily.sh's own commands (from its --dry-run):
#   night D-1  cold: no earlier models (timed, shown, not the figure)
#   night D    warm: ingest of D, tower and ranker warm-started from D-1,
#              uac, match, and the replay of D-1's tables on day D
# and the last line is night D:
#   nightly: scale=S total_s=N peak_mb=M
# The world is kept under $BENCH_DIR/nightly/world and reused when its
# parameters match (BENCH_FRESH=1 regenerates it); the backfilled segments
# are reused likewise.  Generation and backfill are timed when they run.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)

scale=${BENCH_SCALE:-1}
users=$(scaled 1000000)
items=$(scaled 100000)
days=${BENCH_DAYS:-30}
start=2026-01-05
root=$OUT/nightly/s$scale
world=$root/world
D=$(date -u -d "$start $((days - 1)) days" +%F)      # the last generated day
P=$(date -u -d "$D -1 day" +%F)                       # the night before
threads=${OMP_NUM_THREADS:-$(nproc)}

echo "nightly: $users users, $items new items/day, $days days, nights $P (cold)" \
     "and $D (warm), $threads threads, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"

params="users=$users items=$items days=$days start=$start seed=1"
if [ -n "${BENCH_FRESH:-}" ] || [ "$(cat "$world/.params" 2>/dev/null)" != "$params" ]; then
    rm -rf "$root"
    mkdir -p "$root"
    measure "generate (not nightly)" "$BIN/dualrec-gen" --out "$world" \
        --users "$users" --items-per-day "$items" --days "$days" --start "$start" \
        --seed 1 --zstd -q || exit 1
    echo "$params" > "$world/.params"
fi
logs_mb=$(du -sm "$world/logs" | awk '{print $1}')
exp_rows=$(zstd -dc "$world/logs/dt=$D/exposures.csv.zst" | tail -n +2 | wc -l)
echo "  logs: $logs_mb MB of zstd CSV, $exp_rows exposures on $D"

cat > "$root/nightly.conf" <<EOC
root = $root/run
logs = $world/logs
bin = $BIN
days = $days
eval = 1
EOC
R="$top/run_daily.sh --config $root/nightly.conf -q"

# Everything of the two nights goes; the backfill's segments stay.
rm -rf "$root/run/models" "$root/run/avail" "$root/run/out" "$root/run/eval" \
       "$root/run/segments/dt=$P" "$root/run/segments/dt=$D"
backfill_to=$(date -u -d "$P -1 day" +%F)
missing=0
for k in $(seq 0 $((days - 3))); do
    day=$(date -u -d "$start $k days" +%F)
    [ -f "$root/run/segments/dt=$day/segment.bin" ] || missing=$((missing + 1))
done
if [ "$missing" -gt 0 ]; then
    measure "backfill ingest to $backfill_to (not nightly)" \
        $R --date "$backfill_to" --only ingest --eval 0 || exit 1
fi

# night DATE: runs run_daily.sh's commands for DATE one by one, each timed;
# sets NIGHT_S (wall), NIGHT_CPU and NIGHT_MB (largest peak).
night() {
    $R --date "$1" --dry-run > "$root/commands-$1.txt" || exit 1
    NIGHT_S=0 NIGHT_CPU=0 NIGHT_MB=0
    while IFS= read -r line; do
        case "$line" in '#'*|'') continue ;; esac
        # shellcheck disable=SC2086
        set -- $line
        stage=${1##*/dualrec-}
        case "$stage" in
        eval)   label="eval (replay of $P on $D)" ;;
        ingest) label="ingest $(echo "$line" | sed 's/.*--date \([0-9-]*\).*/\1/')" ;;
        *)      label=$stage ;;
        esac
        # (a stage's report goes to /dev/null; measure's line stays on stdout)
        measure "$label" sh -c 'exec "$0" "$@" > /dev/null' "$@" -q || exit 1
        NIGHT_S=$(awk -v a="$NIGHT_S" -v b="$SECS" 'BEGIN {print a + b}')
        NIGHT_CPU=$(awk -v a="$NIGHT_CPU" -v b="$CPU_S" 'BEGIN {print a + b}')
        [ "$PEAK_MB" -gt "$NIGHT_MB" ] && NIGHT_MB=$PEAK_MB
    done < "$root/commands-$1.txt"
}

# The output dirs a stage writes into must exist before it runs (run_daily
# makes them); the dry-run's commands name them.
prepare() { mkdir -p "$root/run/models/dt=$1" "$root/run/avail/dt=$1"; }

echo " night $P (cold start, not the figure):"
prepare "$P"
night "$P"
printf '  %-40s %8.2f s %8.2f cpu s %7s MB peak\n' "night $P total" "$NIGHT_S" \
       "$NIGHT_CPU" "$NIGHT_MB"
echo " night $D (warm start: the nightly run):"
prepare "$D"
night "$D"
printf '  %-40s %8.2f s %8.2f cpu s %7s MB peak\n' "night $D total" "$NIGHT_S" \
       "$NIGHT_CPU" "$NIGHT_MB"
echo "nightly: scale=$scale total_s=$NIGHT_S peak_mb=$NIGHT_MB"
