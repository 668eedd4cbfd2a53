#!/bin/sh
# bench_tower_eval.sh -- retrieval quality: recall@L of next-day engagers
# for the items uploaded on the last day of a generated world, per channel
# and merged, against most-active users and id-only factorisation; then
# MovieLens latest-small with a global time split (skipped when absent).
. "$(dirname "$0")/lib.sh"

users=$(scaled 20000)
per_day=$(scaled 600)
w=$OUT/tower_eval
py=/usr/bin/python3
[ -x "$py" ] || py=python3
rm -rf "$w"
mkdir -p "$w"
export OMP_NUM_THREADS=2

measure "dualrec-gen ($users users, $per_day items/day, 15 days)" \
    "$BIN/dualrec-gen" -q --out "$w/world" --users "$users" \
    --items-per-day "$per_day" --days 15 --start 2026-01-05 --seed 5
for d in "$w"/world/logs/dt=*; do
    "$BIN/dualrec-ingest" -q --segments "$w/seg" --date "${d##*/dt=}" \
        --logs "$d" || exit 1
done
echo
echo "generated world, train on the 14 days to 2026-01-18, truth = 2026-01-19"
"$BIN/dualrec-eval-retrieval" -q --segments "$w/seg" --date 2026-01-18 \
    --days 14 -L 200
echo
"$BIN/dualrec-eval-retrieval" -q --segments "$w/seg" --date 2026-01-18 \
    --days 14 -L 200 --oracle-avail

ml=${MOVIELENS_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data/movielens-latest-small}
echo
if [ ! -f "$ml/ratings.csv" ]; then
    echo "movielens: $ml/ratings.csv not found, skipped"
    exit 0
fi
"$py" "$(dirname "$0")/movielens_logs.py" "$ml" "$w/ml" 2026-01-05 0.1
for d in 2026-01-05 2026-01-06; do
    "$BIN/dualrec-ingest" -q --segments "$w/ml/seg" --date "$d" \
        --logs "$w/ml/logs/dt=$d" || exit 1
done
echo "movielens latest-small, global time split (last 10% of ratings),"
echo "targets = every movie rated after the split, truth = its raters"
"$BIN/dualrec-eval-retrieval" -q --segments "$w/ml/seg" --date 2026-01-05 \
    --days 1 -L 50 --all-items
echo
"$BIN/dualrec-eval-retrieval" -q --segments "$w/ml/seg" --date 2026-01-05 \
    --days 1 -L 10 --all-items --oracle-avail
