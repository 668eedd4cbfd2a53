#!/bin/sh
# match_e2e.sh -- part 3 of bench_match.sh: dualrec-match end to end on a
# generated world of $(scaled 1000000) users with $(scaled 100000) uploads
# a day (3 days), targets = the uploads of the last day (long tail off):
# time per step (load, targets, retrieval, ranking, assignment, output)
# and peak memory.  The world, segments and models are built first (not
# timed here; their own benchmarks time them) and kept in $OUT/match_e2e
# for reruns.
set -eu
. "$(dirname "$0")/lib.sh"

users=$(scaled 1000000)
items=$(scaled 100000)
W=$OUT/match_e2e/u$users-i$items
S=$W/seg
D=2026-01-07
mkdir -p "$W"
if [ ! -f "$W/avail.bin" ]; then
    echo "  preparing: world, segments, models (not timed)"
    "$BIN/dualrec-gen" -q --out "$W/world" --users "$users" \
        --items-per-day "$items" --days 3 --start 2026-01-05 --seed 1 --zstd
    for day in 2026-01-05 2026-01-06 2026-01-07; do
        "$BIN/dualrec-ingest" -q --segments "$S" --date $day \
            --logs "$W/world/logs/dt=$day"
    done
    "$BIN/dualrec-train-tower" -q --segments "$S" --date $D --days 3 \
        --epochs 3 --out "$W/tower.bin"
    "$BIN/dualrec-train-rank" -q --segments "$S" --date $D --days 3 \
        --epochs 1 --max-per-day 200000 --out "$W/rank.bin"
    "$BIN/dualrec-uac" -q --segments "$S" --date $D --days 3 \
        --out "$W/avail.bin"
fi
rm -rf "$W/out"
measure "dualrec-match $items targets, $users users" \
    sh -c "\"$BIN/dualrec-match\" -v --segments '$S' --date $D --days 3 \
        --tower '$W/tower.bin' --rank '$W/rank.bin' --avail '$W/avail.bin' \
        --long-tail-max 0 --out '$W/out' 2> '$W/match.log'"
sed 's/^/    /' "$W/match.log"
