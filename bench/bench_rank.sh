#!/bin/sh
# bench_rank.sh -- the ranker (issue 4): speed on a big generated world and
# quality on a small one and on MovieLens, each in one run.
#
# Speed: a world of `scaled 40000` users, `scaled 2400` uploads a day, 31
# days (~21M exposures at scale 1; cached under $OUT/rank), ingested; then
# dualrec-train-rank on the 30-day window ending on day 30 (one epoch,
# batch 1024: 4x fewer thread barriers than the default 256):
# training samples/s (every exposure twice, with augmentation), and scoring
# of 100k items x 500 candidates (50M pairs) with the saved model by
# bench/rank_bench.c (built by make bench-tools): context + theta_u build
# time and pairs/s.  RANK_MAX_PER_DAY=N trains on
# a fixed-seed sample of N exposures a day (a busy machine; the world and
# the scoring stay full size).
# Quality: a 5000-user, 15-day world: next-day AUC / log-loss per task, new
# vs old items, the xgboost baseline on the same dense features, the
# Table 4 ablation and the theta_u table (--ablation); then the same on
# MovieLens latest-small when /work/shared/data has it (like = rating >= 4,
# 31 equal-count "days", bench/movielens_days.py).  RANK_QUALITY=0 skips
# the quality part (it trains 5 models and 10 boosters: minutes).
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
tools=${BENCH_TOOLS:-$top/build/bench}
[ -x "$tools/rank_bench" ] || make -C "$top" --no-print-directory bench-tools >/dev/null
DIR="$OUT/rank"
USERS=$(scaled 40000)
IPD=$(scaled 2400)
mkdir -p "$DIR"

ingest_all() {     # ingest_all LOGDIR SEGROOT
    for d in "$1"/dt=*; do
        "$BIN/dualrec-ingest" -q --segments "$2" --date "${d##*dt=}" \
            --logs "$d" || return 1
    done
}

if [ "$(cat "$DIR/size" 2>/dev/null)" != "$USERS $IPD" ]; then
    rm -rf "$DIR/world" "$DIR/seg"
    measure "dualrec-gen $USERS users x 31 days" "$BIN/dualrec-gen" -q \
        --out "$DIR/world" --users "$USERS" --items-per-day "$IPD" \
        --days 31 --start 2026-01-01 --seed 11 --zstd
    measure "dualrec-ingest 31 days" sh -c "for d in '$DIR/world/logs'/dt=*; do
        '$BIN/dualrec-ingest' -q --segments '$DIR/seg' --date \${d##*dt=} \
            --logs \$d || exit 1; done"
    echo "$USERS $IPD" > "$DIR/size"
fi

echo "  OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}" \
     "OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset}"
measure "train-rank 30 days, 1 epoch" \
    sh -c "'$BIN/dualrec-train-rank' --segments '$DIR/seg' --date 2026-01-30 \
        --days 30 --epochs 1 --batch 1024 --out '$DIR/rank.bin' \
        --max-per-day ${RANK_MAX_PER_DAY:-0} 2> '$DIR/train.err'"
sed 's/^/  /' "$DIR/train.err"
measure "score 100k x 500 (window load included)" \
    sh -c "'$tools/rank_bench' -q --segments '$DIR/seg' --date 2026-01-30 \
        --days 30 --rank '$DIR/rank.bin' --score 100000,500 \
        > '$DIR/score.txt'"
sed 's/^/  /' "$DIR/score.txt"
ls -l "$DIR/rank.bin" | awk '{ printf "  model file: %.1f MB\n", $5 / 1e6 }'

[ "${RANK_QUALITY:-1}" = 0 ] && exit 0
echo
echo "  quality: 5000 users x 15 days (next-day split)"
Q="$OUT/rank-quality"
if [ ! -d "$Q/seg" ]; then
    rm -rf "$Q"
    "$BIN/dualrec-gen" -q --out "$Q/world" --users 5000 --items-per-day 300 \
        --days 15 --start 2026-01-05 --seed 3 || exit 1
    ingest_all "$Q/world/logs" "$Q/seg" || exit 1
fi
{ "$BIN/dualrec-train-rank" --segments "$Q/seg" --date 2026-01-18 \
      --days 14 --out "$Q/rank.bin" &&
  "$BIN/dualrec-eval" rank --segments "$Q/seg" --date 2026-01-18 --days 14 \
      --rank "$Q/rank.bin" --ablation --xgb-rounds 100; } 2>&1 | sed 's/^/  /'

ML=/work/shared/data/movielens-latest-small
if [ -f "$ML/ratings.csv" ]; then
    echo
    echo "  quality: MovieLens latest-small (like = rating >= 4)"
    M="$OUT/rank-movielens"
    if [ ! -d "$M/seg" ]; then
        rm -rf "$M"
        python3 "$here/movielens_days.py" "$ML" "$M/logs" 2026-01-01 31 \
            || exit 1
        ingest_all "$M/logs" "$M/seg" || exit 1
    fi
    { "$BIN/dualrec-train-rank" --segments "$M/seg" --date 2026-01-30 \
          --days 30 --out "$M/rank.bin" &&
      "$BIN/dualrec-eval" rank --segments "$M/seg" --date 2026-01-30 \
          --days 30 --rank "$M/rank.bin" --ablation --xgb-rounds 100 \
          --theta-report 200,200; } 2>&1 | sed 's/^/  /'
else
    echo "  MovieLens: skipped, $ML not found"
fi
