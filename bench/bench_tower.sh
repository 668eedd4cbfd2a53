#!/bin/sh
# bench_tower.sh -- the retrieval model at the issue's scale: 500k users x
# 100k items x 20M positive draws at d = 64 with 2 threads (BENCH_SCALE
# scales users, items and positives).  Reports training seconds per epoch,
# the time for the exact top-100 users of every item, Faiss IndexFlatIP on
# the same vectors, and raw sgemm throughput of the same shape.  CPU
# seconds are printed next to wall seconds: on a shared machine they tell
# how much of the two cores the run really had.
. "$(dirname "$0")/lib.sh"

users=$(scaled 500000)
items=$(scaled 100000)
pos=$(scaled 20000000)
dim=64
top=100
epochs=${BENCH_EPOCHS:-3}
dir=$OUT/tower
mkdir -p "$dir"
src=$(cd "$(dirname "$0")/.." && pwd)
tools=${BENCH_TOOLS:-$src/build/bench}
[ -x "$tools/tower_bench" ] || make -C "$src" --no-print-directory bench-tools >/dev/null
export OMP_NUM_THREADS=2
py=/usr/bin/python3
[ -x "$py" ] || py=python3

echo "  $users users, $items items, $pos positive draws, d=$dim, top-$top," \
     "$epochs epochs, OMP_NUM_THREADS=2," \
     "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
measure "tower_bench (train + search)" \
    sh -c 'exec "$@" >"$0"' "$dir/ours.txt" \
    "$tools/tower_bench" --users "$users" --items "$items" \
    --positives "$pos" --dim "$dim" --epochs "$epochs" --top "$top" \
    --clusters 64 --vecs "$dir"
measure "faiss IndexFlatIP + numpy sgemm" \
    sh -c 'exec "$@" >"$0"' "$dir/peer.txt" "$py" "$(dirname "$0")/tower_peer.py" "$dir" "$users" "$items" "$dim" \
    "$top" 2

get() { awk -v k="$1" '$1 == k { print $2 }' "$dir/ours.txt" "$dir/peer.txt"; }
sg=$(get sgemm_gflops)
tk=$(get topk_gflops)
echo
printf '  %-44s %10s\n' "figure" "value"
printf '  %-44s %10s\n' "distinct positives" "$(get positives)"
printf '  %-44s %10s\n' "training, s/epoch (implicit ALS + features)" "$(get train_s_per_epoch)"
printf '  %-44s %10s\n' "  CPU s/epoch (both threads)" "$(get train_cpu_s_per_epoch)"
printf '  %-44s %10s\n' "top-$top users of all items, s (dualrec)" "$(get topk_s)"
printf '  %-44s %10s\n' "  CPU s (both threads)" "$(get topk_cpu_s)"
printf '  %-44s %10s\n' "  effective GFLOP/s" "$tk"
printf '  %-44s %10s\n' "top-$top users of all items, s (faiss flat)" "$(get faiss_s)"
printf '  %-44s %10s\n' "  effective GFLOP/s" "$(get faiss_gflops)"
printf '  %-44s %10s\n' "  agreement with dualrec's lists" "$(get faiss_agreement)"
printf '  %-44s %10s\n' "raw sgemm GFLOP/s, 4096x16384x64 (C)" "$sg"
printf '  %-44s %10s\n' "  per CPU second x 2 threads" "$(get sgemm_gflops_cpu)"
printf '  %-44s %10s\n' "raw sgemm GFLOP/s, items x users (numpy)" "$(get numpy_sgemm_gflops)"
printf '  %-44s %10s\n' "dualrec search / raw sgemm" \
    "$(awk -v a="$tk" -v b="$sg" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b }')"
printf '  %-44s %10s\n' "cluster precision@$top, trained items" "$(get cluster_precision_trained)"
printf '  %-44s %10s\n' "cluster precision@$top, new items (features)" "$(get cluster_precision_new)"
printf '  %-44s %10s\n' "share of slots held by top 1% users" "$(get top1pct_user_share)"
