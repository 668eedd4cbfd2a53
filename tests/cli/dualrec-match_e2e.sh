#!/bin/sh
# dualrec-match end to end on a tiny generated world: gen -> ingest ->
# tower, rank, uac -> match.  Checks the published partition (tables,
# manifest, _SUCCESS), byte-identical reruns and thread counts, --stdout,
# Redis protocol, the same targets as dualrec-retrieve, explicit target
# lists (unknown ids reported, empty list publishes an empty date) and the missing / wrong-day input errors.
. "$(dirname "$0")/lib.sh"

tiny_chain 40 3

m() {
    "$BIN/dualrec-match" --segments "$S" --date $D --tower "$TMP/tower.bin" \
        --rank "$TMP/rank.bin" --avail "$TMP/avail.bin" --days 6 --L 20 "$@"
}
P=$TMP/out/dt=$D

# a normal run: partition, Redis file
expect_exit 0 m --out "$TMP/out" --redis "$TMP/load.resp"
expect_stderr_has "published $P"
for f in item_users.tsv.zst user_items.tsv.zst manifest.json _SUCCESS; do
    [ -f "$P/$f" ] || die "missing $P/$f"
done
ls -a "$TMP/out" | grep -q tmp && die "temp directory left behind"
zstd -q -t "$P/item_users.tsv.zst" || die "item_users: zstd -t failed"
zstd -q -dc "$P/item_users.tsv.zst" > "$TMP/iu.tsv"
head -n 1 "$TMP/iu.tsv" | grep -qx "$(printf 'item\trank\tuser\tscore\tchannel\tp_active')" \
    || die "item_users header"
rows=$(($(wc -l < "$TMP/iu.tsv") - 1))
[ "$rows" -gt 0 ] || die "no pairs matched"
grep -q "\"rows\": $rows," "$P/manifest.json" || die "manifest row count"
grep -q '"kind": "tower"' "$P/manifest.json" || die "manifest inputs"
# sorted by item (bytewise), then rank; at most L users per item
tail -n +2 "$TMP/iu.tsv" | LC_ALL=C sort -t "$(printf '\t')" -k1,1 -k2,2n -s \
    -c 2>/dev/null || die "item_users not sorted"
over=$(tail -n +2 "$TMP/iu.tsv" | cut -f1 | uniq -c | awk '$1 > 20' | wc -l)
[ "$over" -eq 0 ] || die "an item got more than L users"
grep -q 'SET' "$TMP/load.resp" || die "redis file lacks the pointer swap"
cp -r "$P" "$TMP/first"

# dualrec-retrieve selects the same targets (targets.h): all of them by
# default (the match's before its long-tail budget), the uploads of D with
# --long-tail-max 0
mstat() { sed -n "s/^ *\"$1\": \"\([0-9]*\)\",\{0,1\}$/\1/p" "$P/manifest.json"; }
nn=$(mstat targets_new) nl=$(mstat targets_long_tail_eligible)
[ -n "$nl" ] && [ -n "$nn" ] || die "manifest lacks the target counts"
nt=$((nn + nl))
rt() {
    "$BIN/dualrec-retrieve" --segments "$S" --date $D --days 6 \
        --tower "$TMP/tower.bin" -k 2 "$@"
}
expect_exit 0 rt
expect_stderr_has "$nt targets (0 unknown ids skipped)"
expect_exit 0 rt --long-tail-max 0
expect_stderr_has "$nn targets (0 unknown ids skipped)"

# rerun (same inputs, 1 thread): byte-identical date folder
OMP_NUM_THREADS=1
export OMP_NUM_THREADS
expect_exit 0 m --out "$TMP/out" -q
unset OMP_NUM_THREADS
for f in item_users.tsv.zst user_items.tsv.zst manifest.json; do
    cmp -s "$P/$f" "$TMP/first/$f" || die "$f differs on rerun"
done

# --stdout: the same item->users text
expect_exit 0 m --stdout -q
cmp -s "$OUT_FILE" "$TMP/iu.tsv" || die "--stdout differs from item_users"

# explicit targets: one known id, one unknown (reported, not fatal)
known=$(sed -n 2p "$TMP/iu.tsv" | cut -f1)
printf 'item\n%s\nno-such-item\n\n' "$known" > "$TMP/targets.txt"
expect_exit 0 m --out "$TMP/out2" --targets "$TMP/targets.txt"
expect_stderr_has "1 unknown item(s) in the target list; first: $TMP/targets.txt:3: unknown item 'no-such-item'"
expect_stderr_has "1 targets"

# empty target list from stdin: an empty, valid date
expect_exit 0 sh -c "printf '' | \"\$0\" --segments '$S' --date $D \
    --tower '$TMP/tower.bin' --rank '$TMP/rank.bin' --avail '$TMP/avail.bin' \
    --out '$TMP/out3' --targets -" "$BIN/dualrec-match"
[ -f "$TMP/out3/dt=$D/_SUCCESS" ] || die "empty target set: no _SUCCESS"
[ "$(zstd -q -dc "$TMP/out3/dt=$D/item_users.tsv.zst" | wc -l)" -eq 1 ] \
    || die "empty target set: expected a header-only table"

# missing availability: 66 and nothing written
expect_exit 66 "$BIN/dualrec-match" --segments "$S" --date $D \
    --tower "$TMP/tower.bin" --rank "$TMP/rank.bin" \
    --avail "$TMP/nope.bin" --out "$TMP/out4"
expect_stderr_has "$TMP/nope.bin"
[ -e "$TMP/out4" ] && die "output written although availability is missing"

# availability of another day: 65
expect_exit 65 "$BIN/dualrec-match" --segments "$S" --date 2026-01-09 \
    --tower "$TMP/tower.bin" --rank "$TMP/rank.bin" \
    --avail "$TMP/avail.bin" --out "$TMP/out5"
expect_stderr "dualrec-match: $TMP/avail.bin: availability is for 2026-01-11, expected 2026-01-10"
exit 0
