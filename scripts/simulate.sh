#!/bin/sh
# simulate.sh -- compare matching policies in the delivery simulator.
#
#   scripts/simulate.sh --root ROOT --world WORLD --date D [--bin DIR]
#                       [--days N] [--L N] [--Q N] [--report DIR]
#
# ROOT is a run root where run_daily.sh has finished date D with its
# defaults (per-user Q_u, auction matching); WORLD is the dualrec-gen
# output the logs came from.  The policies, all for the same date, the
# same models and the same target items:
#   none       no dualrec: the user-side feed alone
#   no-uac     dualrec without UAC: every user eligible, no capacity
#              (dualrec-uac --threshold 0 --cap-min/--cap-max 65535)
#   paper-uac  the paper's UAC: a_u gate, constant Q (10), greedy matching
#              in item order (dualrec-uac --cap-min Q --cap-max Q;
#              dualrec-match --method greedy-items)
#   full       what run_daily.sh published: a_u gate, per-user Q_u, global
#              assignment (auction)
# The extra availability tables and tables go to ROOT/sim/dt=D/; then one
# dualrec-sim run simulates day D+1 of WORLD for all four on common random
# numbers and writes REPORT/sim.html and sim.json (default ROOT/sim/dt=D).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bin=${DUALREC_BIN:-$top/bin}
root="" world="" date="" days=30 L=200 Q=10 report=""

usage() {
    sed -n '3,5p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 64
}
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
    --root) root=$2 ;;
    --world) world=$2 ;;
    --date) date=$2 ;;
    --bin) bin=$2 ;;
    --days) days=$2 ;;
    --L) L=$2 ;;
    --Q) Q=$2 ;;
    --report) report=$2 ;;
    *) usage ;;
    esac
    shift 2
done
[ -n "$root" ] && [ -n "$world" ] && [ -n "$date" ] || usage
seg=$root/segments
sim=$root/sim/dt=$date
: "${report:=$sim}"
for f in "$root/models/dt=$date/tower.bin" "$root/models/dt=$date/rank.bin" \
         "$root/out/dt=$date/_SUCCESS"; do
    [ -f "$f" ] || { echo "simulate.sh: $f missing: run run_daily.sh --date $date first" >&2; exit 66; }
done
mkdir -p "$sim"

# $1 name, $2 avail file; the rest: extra dualrec-match flags
match() {
    name=$1 avail=$2
    shift 2
    "$bin/dualrec-match" --segments "$seg" --date "$date" --days "$days" \
        --tower "$root/models/dt=$date/tower.bin" \
        --rank "$root/models/dt=$date/rank.bin" --avail "$avail" \
        --L "$L" --out "$sim/$name" -q "$@"
}

echo "simulate.sh: availability and matching for no-uac and paper-uac" >&2
"$bin/dualrec-uac" --segments "$seg" --date "$date" --days "$days" -q \
    --threshold 0 --cap-min 65535 --cap-max 65535 --out "$sim/avail-no-uac.bin"
"$bin/dualrec-uac" --segments "$seg" --date "$date" --days "$days" -q \
    --cap-min "$Q" --cap-max "$Q" --out "$sim/avail-paper-uac.bin"
match no-uac "$sim/avail-no-uac.bin"
match paper-uac "$sim/avail-paper-uac.bin" --method greedy-items

"$bin/dualrec-sim" --world "$world" --date "$date" --report "$report" \
    --note "none: no dualrec, the user-side feed alone" \
    --note "no-uac: dualrec without UAC: every user eligible, no capacity (dualrec-uac --threshold 0 --cap-min 65535 --cap-max 65535), auction matching" \
    --note "paper-uac: the paper's UAC: a_u gate, constant Q = $Q (dualrec-uac --cap-min $Q --cap-max $Q), greedy matching in item order (dualrec-match --method greedy-items)" \
    --note "full: as run_daily.sh published it: a_u gate, per-user Q_u, global assignment (auction)" \
    --policy none --policy "no-uac=$sim/no-uac" \
    --policy "paper-uac=$sim/paper-uac" --policy "full=$root/out"
