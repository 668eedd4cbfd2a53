#!/bin/sh
# bench_match.sh -- matching.
#   1. assignment quality on a medium instance: every method against the
#      exact optimum (min-cost flow): objective gap, items with a full
#      audience, audience per item, items per user
#   2. assignment at scale: 100k target items x 500 candidates over 1M
#      users (L = 200, Q = 10), auction vs the greedy baselines
#   3. end to end: dualrec-match on a generated world (retrieval + ranking
#      + assignment + publishing), time per step and peak memory, when the
#      other stages are built (BENCH_MATCH_E2E=0 skips it)
# Sizes scale with BENCH_SCALE.  Synthetic instances: users have a
# popularity skew (candidates favour the same heavy users, as retrieval
# does), 70% are available.
set -eu
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)

# built by `make bench` (bench-tools) with the product's flags
tool=${BENCH_TOOLS:-$top/build/bench}/match_synth
[ -x "$tool" ] || make -C "$top" --no-print-directory bench-tools >/dev/null

echo "-- 1. medium instances against the exact optimum"
echo "   (a) user capacity short (Q=3): the reverse auction"
"$tool" "$(scaled 1000)" "$(scaled 4000)" 60 15 3 1 \
    exact,auction,auction/0,greedy,greedy-items
echo "   (b) user capacity plentiful (Q=12): the forward auction"
"$tool" "$(scaled 1000)" "$(scaled 4000)" 60 15 12 1 \
    exact,auction,auction/0,greedy,greedy-items

echo "-- 2. assignment at scale"
for m in auction greedy greedy-items; do
    measure "$m $(scaled 100000) items x 500, $(scaled 1000000) users" \
        "$tool" "$(scaled 100000)" "$(scaled 1000000)" 500 200 10 1 "$m"
done
echo "   the same with Q=40 (capacity plentiful: forward auction)"
measure "auction Q=40" \
    "$tool" "$(scaled 100000)" "$(scaled 1000000)" 500 200 40 1 auction

if [ "${BENCH_MATCH_E2E:-1}" = 1 ] && [ -x "$BIN/dualrec-match" ] \
   && [ -f "$(dirname "$0")/match_e2e.sh" ]; then
    echo "-- 3. end to end"
    sh "$(dirname "$0")/match_e2e.sh"
fi
