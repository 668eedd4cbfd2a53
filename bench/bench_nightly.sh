# bench_nightly.sh -- the whole nightly run, stage by stage: wall time and
# peak memory of ingest (30 days), tower, ranker, UAC, match and the replay
# evaluation, on a generated world of 1M users with 100k new items a day
# over 30 days (BENCH_SCALE scales users and items; days stay 30).
#
# The commands are exactly those run_daily.sh runs (taken from its
# --dry-run), each under /usr/bin/time; the ingest line sums the 30 days
# and shows the largest peak.  Generation is timed too but is not part of
# the nightly run.  Data goes to $BENCH_DIR/nightly (large at scale 1).
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)

users=$(scaled 1000000)
items=$(scaled 100000)
days=${BENCH_DAYS:-30}
start=2026-01-05
root=$OUT/nightly
world=$root/world
last=$(date -u -d "$start $((days - 1)) days" +%F)     # last generated day
D=$(date -u -d "$last -1 day" +%F)                      # run date; D+1 replays
threads=${OMP_NUM_THREADS:-$(nproc)}

echo "nightly: $users users, $items new items/day, $days days, run date $D," \
     "$threads threads, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}" \
     "OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
rm -rf "$root"
mkdir -p "$root"

measure "generate (not nightly)" "$BIN/dualrec-gen" --out "$world" \
    --users "$users" --items-per-day "$items" --days "$days" --start "$start" \
    --seed 1 --zstd -q
logs_mb=$(du -sm "$world/logs" | awk '{print $1}')
exp_rows=$(for f in "$world"/logs/dt=*/exposures.csv.zst; do zstd -dc "$f" | tail -n +2 | wc -l; done \
           | awk '{s += $1} END {printf "%d", s}')
echo "  logs: $logs_mb MB zstd, $exp_rows exposures ($(awk -v n="$exp_rows" -v d="$days" \
     'BEGIN {printf "%.0f", n / d}') per day)"

R="$top/run_daily.sh --root $root --logs $world/logs --bin $BIN --days $days --date $D --eval 0"
$R --dry-run > "$root/commands.txt" || exit 1

ingest_s=0
ingest_mb=0
total=0
while IFS= read -r line; do
    case "$line" in '#'*|'') continue ;; esac
    # shellcheck disable=SC2086
    set -- $line
    stage=${1##*/dualrec-}
    if [ "$stage" = ingest ]; then
        measure "ingest $(echo "$line" | sed 's/.*--date \([0-9-]*\).*/\1/')" "$@" -q \
            > /dev/null || exit 1
        ingest_s=$(awk -v a="$ingest_s" -v b="$SECS" 'BEGIN {print a + b}')
        [ "$PEAK_MB" -gt "$ingest_mb" ] && ingest_mb=$PEAK_MB
        continue
    fi
    if [ "$ingest_s" != done ]; then
        printf '  %-40s %8.2f s  %7s MB peak\n' "ingest, $days days" "$ingest_s" "$ingest_mb"
        total=$ingest_s
        ingest_s=done
    fi
    mkdir -p "$root/models/dt=$D" "$root/avail/dt=$D"
    measure "$stage" "$@" -q || exit 1
    total=$(awk -v a="$total" -v b="$SECS" 'BEGIN {print a + b}')
done < "$root/commands.txt"

# replay needs D+1 ingested
"$top/run_daily.sh" --root "$root" --logs "$world/logs" --bin "$BIN" \
    --days "$days" --date "$last" --only ingest -q || exit 1
measure "eval (replay of $D on $last)" "$BIN/dualrec-eval" \
    --segments "$root/segments" --tables "$root/out" --date "$D" \
    --avail "$root/avail/dt=$D/avail.bin" --rank "$root/models/dt=$D/rank.bin" \
    --tower "$root/models/dt=$D/tower.bin" --days "$days" \
    --report "$root/eval/dt=$D" -q > /dev/null || exit 1
total=$(awk -v a="$total" -v b="$SECS" 'BEGIN {print a + b}')
printf '  %-40s %8.2f s\n' "nightly total (ingest..eval)" "$total"
