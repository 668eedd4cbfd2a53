#!/bin/sh
# demo.sh -- README's first command: install what is missing, build, run
# the whole nightly pipeline on the bundled sample world
# (data-samples/world, 14 days of generated logs), then replay the
# published tables on the next day and compare policies in the delivery
# simulator.  Prints where the tables and reports are.
#
#   scripts/demo.sh            (DEMO_ROOT=dir to choose the run root,
#                               default run/demo; rerunning skips what is
#                               already complete)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
root=${DEMO_ROOT:-$top/run/demo}
world=$top/data-samples/world
logs=$world/logs

scripts/install-deps.sh
make -j"$(nproc)" >/dev/null

# The run date is the second-to-last day of the sample, so that the last
# day can replay its tables; the window is every day up to it.
last=$(ls "$logs" | sed -n 's/^dt=//p' | sort | tail -n 1)
D=$(date -u -d "$last -1 day" +%F)
days=$(ls "$logs" | sed -n 's/^dt=//p' | awk -v d="$D" '$1 <= d' | wc -l)

echo "== nightly run for $D ($days days of logs in $logs)"
./run_daily.sh --root "$root" --logs "$logs" --date "$D" --days "$days" -q
echo "tables: $root/out/dt=$D/"
zstd -dc "$root/out/dt=$D/item_users.tsv.zst" | head -n 4 | sed 's/^/  /'
echo "  ... ($(zstd -dc "$root/out/dt=$D/item_users.tsv.zst" | tail -n +2 | wc -l) item->user rows;" \
     "$(zstd -dc "$root/out/dt=$D/user_items.tsv.zst" | tail -n +2 | wc -l) user->item rows)"

echo
echo "== replay of $D's tables on $last"
./run_daily.sh --root "$root" --logs "$logs" --date "$last" --days "$days" \
    --only ingest -q
bin/dualrec-eval --segments "$root/segments" --tables "$root/out" --date "$D" \
    --avail "$root/avail/dt=$D/avail.bin" --rank "$root/models/dt=$D/rank.bin" \
    --tower "$root/models/dt=$D/tower.bin" --days "$days" \
    --report "$root/eval/dt=$D" -q
echo "report: $root/eval/dt=$D/report.html (and report.json)"

echo
echo "== delivery simulator: $D's policies delivered on $last"
scripts/simulate.sh --root "$root" --world "$world" --date "$D" --days "$days"
echo "report: $root/sim/dt=$D/sim.html (and sim.json)"
