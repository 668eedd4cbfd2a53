# bench_gen.sh -- dualrec-gen on a large world: 1M users (x BENCH_SCALE),
# 3 days, 20k uploads a day, zstd; time, peak memory, rows and MB written.
# The world's memory is per user and per item, never per event, so peak
# memory must not grow with the number of days or exposures.
. "$(dirname "$0")/lib.sh"

users=$(scaled 1000000)
items=$(scaled 20000)
days=${BENCH_GEN_DAYS:-3}
dir="$OUT/gen"
rm -rf "$dir"
echo "  world: $users users, $items uploads/day, $days days, zstd," \
     "OMP_NUM_THREADS=${OMP_NUM_THREADS:-all}"
measure "dualrec-gen" "$BIN/dualrec-gen" --out "$dir" --users "$users" \
    --items-per-day "$items" --days "$days" --seed 1 --zstd
rows=0
for f in "$dir"/logs/*/exposures.csv.zst; do
    n=$(zstd -dc "$f" | wc -l)
    rows=$((rows + n - 1))
done
mb=$(du -sm "$dir/logs" | awk '{print $1}')
tmb=$(du -sm "$dir/truth" | awk '{print $1}')
awk -v r="$rows" -v s="$SECS" -v mb="$mb" -v t="$tmb" 'BEGIN {
    printf "  %d exposures, %.0f exposures/s, logs %d MB (zstd), truth %d MB\n",
           r, r / s, mb, t }'
rm -rf "$dir"
