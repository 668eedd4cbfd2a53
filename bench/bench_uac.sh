#!/bin/sh
# bench_uac.sh -- dualrec-uac, evaluation (dualrec-eval uac) and speed.
#   1. a generated world (dualrec-gen, 10k users x 40 days, ingested):
#      the dualrec-eval uac table (GBDT vs logistic regression, capacity,
#      windows) and bench/uac_oracle.c against the world's ground truth
#   2. MovieLens latest-small (/work/shared/data, evaluation only; skipped
#      with a message when absent): ratings as exposures (like = rating
#      >= 4), the densest 90 days, 60 run dates pooled (--eval-days)
#   3. users/s for features + prediction at 1M users x 30 days (the stage
#      alone, dualrec-uac; UAC_EVAL_1M=1 also times dualrec-eval uac); those
#      segments are written directly by bench/uac_synth.c (no CSV, no
#      ingest) and kept under $OUT/uac between runs.
# BENCH_SCALE scales the user counts of 1 and 3.
set -eu
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
users=$(scaled 1000000)
dir=$OUT/uac
root=$dir/seg-$users
mkdir -p "$dir"
export EVAL="$dir/eval.txt" LOG="$dir/uac.log" ELOG="$dir/eval.log"

# The helpers are built by `make bench` (bench-tools) with the product's
# flags and warnings.
tools=${BENCH_TOOLS:-$top/build/bench}
[ -x "$tools/uac_oracle" ] || make -C "$top" --no-print-directory bench-tools >/dev/null

# ---- 1. generated world ---------------------------------------------
gusers=$(scaled 10000)
gen=$dir/gen-$gusers
if [ ! -f "$gen/.complete" ]; then
    rm -rf "$gen"
    "$BIN/dualrec-gen" -q --out "$gen" --users "$gusers" \
        --items-per-day 300 --days 40 --start 2026-01-05 --seed 3
    for p in "$gen"/logs/dt=*; do
        "$BIN/dualrec-ingest" -q --segments "$gen/seg" \
            --date "${p##*/dt=}" --logs "$p"
    done
    touch "$gen/.complete"
fi
echo "  generated world: $gusers users, 40 days; run date 2026-02-12"
"$BIN/dualrec-uac" -q --segments "$gen/seg" --date 2026-02-12 \
    --out "$dir/gen-avail.bin" --threads 2
"$BIN/dualrec-eval" uac -q --segments "$gen/seg" --date 2026-02-12 \
    --threads 2 | sed 's/^/  /'
"$tools/uac_oracle" "$gen" "$gen/seg" "$dir/gen-avail.bin" | sed 's/^/  /'

# ---- 2. MovieLens latest-small ----------------------------------------
ml=/work/shared/data/movielens-latest-small
if [ -f "$ml/ratings.csv" ]; then
    mld=$dir/movielens
    first=13558          # 2007-02-14: the 90 days with most user-days
    if [ ! -f "$mld/.complete" ]; then
        rm -rf "$mld"
        mkdir -p "$mld/logs"
        i=0
        while [ $i -lt 91 ]; do
            echo "time,user,item,like" > "$mld/logs/$((first + i)).csv"
            i=$((i + 1))
        done
        awk -F, -v s=$first -v dir="$mld/logs" 'NR > 1 {
            sub(/\r$/, "")
            d = int($4 / 86400)
            if (d >= s && d < s + 91)
                print $4 ",u" $1 ",m" $2 "," ($3 >= 4) >> (dir "/" d ".csv")
        }' "$ml/ratings.csv"
        for f in "$mld"/logs/*.csv; do
            d=$(basename "$f" .csv)
            "$BIN/dualrec-ingest" -q --segments "$mld/seg" \
                --date "$(date -u -d "@$((d * 86400))" +%F)" --exposures "$f"
        done
        touch "$mld/.complete"
    fi
    last=$(date -u -d "@$(((first + 89) * 86400))" +%F)
    echo "  MovieLens latest-small: 60 run dates up to $last pooled"
    "$BIN/dualrec-eval" uac -q --segments "$mld/seg" --date "$last" \
        --days 30 --eval-days 60 --threads 2 | sed 's/^/  /'
else
    echo "  MovieLens latest-small: $ml absent, skipped"
fi

# ---- 3. speed at 1M users ---------------------------------------------
if [ ! -f "$root/.complete" ]; then
    rm -rf "$root"
    measure "synthesise $users users x 31 days" \
        "$tools/uac_synth" "$root" "$users" 31 2026-01-31 1 2>/dev/null
    touch "$root/.complete"
fi
echo "  segments: $(du -sh "$root" | cut -f1)"

# stderr (the stage's log) goes to a file; the wrapper keeps measure's
# own line on the terminal.
measure "uac $users users x 30 days, 2 threads" \
    sh -c 'exec "$0" "$@" 2>"$LOG"' \
    "$BIN/dualrec-uac" --segments "$root" --date 2026-01-30 --days 30 \
    --out "$dir/avail.bin" --threads 2 -v
sed 's/^/  /' "$dir/uac.log"
awk -v n="$users" -v s="$SECS" \
    'BEGIN { printf "  end to end: %.0f users/s\n", n / s }'
awk -v n="$users" '/seconds: features/ {
        gsub(",", ""); f = $4; t = $6; p = $8;
        printf "  features + prediction: %.0f users/s (%.2f + %.2f s)\n",
               n / (f + p), f, p }' "$dir/uac.log"
if [ "${UAC_EVAL_1M:-0}" = 1 ]; then
    # the evaluation rebuilds the table (same flags), then scans the window
    measure "eval uac $users users x 30 days, 2 threads" \
        sh -c 'exec "$0" "$@" >"$EVAL" 2>"$ELOG"' \
        "$BIN/dualrec-eval" uac --segments "$root" --date 2026-01-30 \
        --days 30 --threads 2 -v
    sed 's/^/  /' "$dir/eval.log" "$dir/eval.txt"
fi
