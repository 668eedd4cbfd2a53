#!/bin/sh
# dualrec-eval oracle on a tiny generated world after the whole chain
# (gen -> ingest -> tower, rank, uac -> match --dump-cands): the report's
# figures are consistent (published <= oracle, the regret steps add up to
# the gap), the day's uploads come first in the assignment, and the
# capacity check of dualrec-match warns and fails past its threshold.
. "$(dirname "$0")/lib.sh"

[ -x "$BIN/dualrec-eval" ] || die "dualrec-eval is not built"
tiny_chain 20 5
m() {
    "$BIN/dualrec-match" --segments "$S" --date $D --tower "$TMP/tower.bin" \
        --rank "$TMP/rank.bin" --avail "$TMP/avail.bin" --days 6 --L 20 "$@"
}
o() {
    "$BIN/dualrec-eval" oracle --world "$W" --segments "$S" \
        --tables "$TMP/$1" --date $D --avail "$TMP/avail.bin" \
        --cands "$TMP/cands.tsv" --L 20 --Q 10 --report "$TMP/rep-$1" -q
}
num() { # num FILE KEY: the first "KEY": number of a report
    sed -n "s/.*\"$2\": \([-0-9.e+]*\).*/\1/p" "$1" | head -n 1
}

expect_exit 0 m --out "$TMP/out" --dump-cands "$TMP/cands.tsv"
head -n 1 "$TMP/cands.tsv" | grep -qx "$(printf 'item\tuser\tscore\tp_click\tp_like\tp_comment\tp_follow')" \
    || die "candidates header"
grep -q '"capacity_ratio"' "$TMP/out/dt=$D/manifest.json" \
    || die "manifest lacks capacity_ratio"
expect_exit 0 o out
J=$TMP/rep-out/oracle.json
[ -f "$TMP/rep-out/oracle.html" ] || die "no oracle.html"
orc=$(num "$J" feedback_oracle)
pub=$(num "$J" feedback_published)
awk -v a="$orc" -v b="$pub" 'BEGIN { exit !(a > 0 && b >= 0 && b <= a * (1 + 1e-6)) }' \
    || die "published $pub vs oracle $orc"
sum=$(for k in availability capacity retrieval affinity matching; do
          num "$J" "loss_$k"; done | awk '{ s += $1 } END { printf "%.9g", s }')
awk -v s="$sum" -v a="$orc" -v b="$pub" \
    'BEGIN { d = s - (a - b); exit !(d < 1e-6 && d > -1e-6) }' \
    || die "regret steps $sum do not add up to $orc - $pub"

# the day's uploads first: at least as many of their pairs as one market
expect_exit 0 m --out "$TMP/one" --new-first 0
expect_exit 0 "$BIN/dualrec-eval" oracle --world "$W" --segments "$S" \
    --tables "$TMP/one" --date $D --L 20 --Q 10 --report "$TMP/rep-one" -q
p1=$(num "$J" budget_used)
p0=$(num "$TMP/rep-one/oracle.json" budget_used)
awk -v a="$p1" -v b="$p0" 'BEGIN { exit !(a >= b) }' \
    || die "uploads first used $p1 of the budget, one market $p0"

# capacity short (L 2000 for 400 users): warned, but the targets cannot
# take more than every user at Q = 10, and the eligible users' capacity is
# most of that: not a starving capacity model, exit 0
expect_exit 0 m --out "$TMP/wide" --L 2000
expect_stderr_has "warning: capacity short: eligible users can take"
# a starving availability table (almost nobody eligible): warned; past
# the default threshold (0.25) published and exit 65; below a lower one,
# exit 0
"$BIN/dualrec-uac" -q --segments "$S" --date $D --days 6 --rounds 5 \
    --train-days 2 --threshold 0.999 --cap-min 1 --cap-max 1 \
    --out "$TMP/starve.bin" || die "uac (starving) failed"
expect_exit 65 m --out "$TMP/short" --avail "$TMP/starve.bin"
expect_stderr_has "warning: capacity short: eligible users can take"
expect_stderr_has "below --min-capacity-ratio 0.25 (tables published)"
[ -f "$TMP/short/dt=$D/_SUCCESS" ] || die "tables not published"
expect_exit 0 m --out "$TMP/short2" --avail "$TMP/starve.bin" \
    --min-capacity-ratio 0
expect_stderr_has "warning: capacity short: eligible users can take"

# a date without tables; a world that is not there
expect_exit 66 "$BIN/dualrec-eval" oracle --world "$W" --segments "$S" \
    --tables "$TMP/out" --date 2026-01-09 -q
expect_exit 66 "$BIN/dualrec-eval" oracle --world "$TMP/nowhere" \
    --segments "$S" --tables "$TMP/out" --date $D -q
expect_exit 64 "$BIN/dualrec-eval" oracle --world "$W" --date $D
