#!/bin/sh
# dualrec-match's long-tail budget (docs/matching.md, "Long-tail budget"):
# "all" takes every long-tail item, a count takes that many, "auto"
# derives it from the capacity the uploads left and records it in the
# manifest; the uploads' rows never depend on it; the cut is the same on
# a rerun with one thread.
. "$(dirname "$0")/lib.sh"

tiny_chain 40 3

m() {
    "$BIN/dualrec-match" --segments "$S" --date $D --tower "$TMP/tower.bin" \
        --rank "$TMP/rank.bin" --avail "$TMP/avail.bin" --days 6 --L 20 "$@"
}
# mstat ROOT KEY: a string field of ROOT/dt=D/manifest.json (the last one
# of that name: "targets" is a parameter and a stat)
mstat() {
    sed -n "s/^ *\"$2\": \"\([^\"]*\)\",\{0,1\}$/\1/p" \
        "$1/dt=$D/manifest.json" | tail -n 1
}
rows() { zstd -q -dc "$1/dt=$D/item_users.tsv.zst" | tail -n +2; }

# the uploads alone: the reference for their rows
expect_exit 0 m --out "$TMP/new" --long-tail-max 0 -q
nn=$(mstat "$TMP/new" targets_new)
[ "$nn" -gt 0 ] || die "no uploads on $D"
rows "$TMP/new" | cut -f1 | sort -u > "$TMP/new.items"

# all: every long-tail item is a target
expect_exit 0 m --out "$TMP/all" --long-tail-budget all -q
[ "$(mstat "$TMP/all" long_tail_budget_applied)" = all ] || die "budget all: stat"
nl=$(mstat "$TMP/all" targets_long_tail_eligible)
[ "$nl" -gt 3 ] || die "too few long-tail items ($nl) for the test"
[ "$(mstat "$TMP/all" targets_long_tail)" = "$nl" ] || die "all: not all taken"
[ "$(mstat "$TMP/all" targets)" = $((nn + nl)) ] || die "all: target count $(mstat "$TMP/all" targets), expected $nn + $nl"

# a count: exactly that many, said on stderr; uploads untouched
expect_exit 0 m --out "$TMP/three" --long-tail-budget 3
expect_stderr_has "long-tail budget 3: 3 of $nl long-tail items are targets"
[ "$(mstat "$TMP/three" targets_long_tail)" = 3 ] || die "budget 3: taken"
[ "$(mstat "$TMP/three" targets_long_tail_eligible)" = "$nl" ] \
    || die "budget 3: eligible"
[ "$(mstat "$TMP/three" targets)" = $((nn + 3)) ] || die "budget 3: targets"
for r in all three; do
    rows "$TMP/$r" | awk -F '\t' 'NR == FNR { up[$1] = 1; next } ($1 in up)' \
        "$TMP/new.items" - > "$TMP/$r.up"
    rows "$TMP/new" | cmp -s - "$TMP/$r.up" \
        || die "budget $r: the uploads' rows differ from the uploads alone"
done

# the same cut (and bytes) with one thread
OMP_NUM_THREADS=1
export OMP_NUM_THREADS
expect_exit 0 m --out "$TMP/three1" --long-tail-budget 3 -q
unset OMP_NUM_THREADS
for f in item_users.tsv.zst user_items.tsv.zst manifest.json; do
    cmp -s "$TMP/three/dt=$D/$f" "$TMP/three1/dt=$D/$f" \
        || die "budget 3: $f differs with one thread"
done

# auto (the default): ceil(2 x the capacity left / L), recorded
expect_exit 0 m --out "$TMP/auto" -q
[ "$(mstat "$TMP/auto" long_tail_budget_applied)" != "" ] || die "auto: no budget stat"
left=$(mstat "$TMP/auto" long_tail_capacity)
want=$(( (2 * left + 19) / 20 ))
[ "$(mstat "$TMP/auto" long_tail_budget_applied)" = "$want" ] \
    || die "auto: budget $(mstat "$TMP/auto" long_tail_budget_applied), expected $want"
grep -q '"long_tail_budget": "auto"' "$TMP/auto/dt=$D/manifest.json" \
    || die "auto: param"
taken=$(mstat "$TMP/auto" targets_long_tail)
[ "$taken" -le "$want" ] && [ "$taken" -le "$nl" ] || die "auto: took $taken"
[ "$taken" -eq "$want" ] || [ "$taken" -eq "$nl" ] \
    || die "auto: took $taken of $nl under a budget of $want"
# a larger over-provisioning never takes fewer
expect_exit 0 m --out "$TMP/auto4" --long-tail-over 4 -q
[ "$(mstat "$TMP/auto4" targets_long_tail)" -ge "$taken" ] \
    || die "--long-tail-over 4 took fewer"
exit 0
