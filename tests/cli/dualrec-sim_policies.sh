# dualrec-sim on the sample world: the user-side feed alone against a
# policy read from a hand-written user->items table; the report files are
# written (the HTML well-formed), the table is on stdout, and a table
# naming a user outside the world is refused with its line (exit 65).
. "$(dirname "$0")/lib.sh"
world=$SAMPLES/world
D=2026-01-17
mkdir -p "$TMP/p/dt=$D"
# the sample world's newest items of D (ids i<N>) pushed to a few users
printf 'user\trank\titem\tscore\tchannel\nu10\t1\ti2500\t0.9\ttower\nu10\t2\ti2501\t0.5\ttower\nu11\t1\ti2500\t0.7\tcreator\n' \
    | zstd -q -o "$TMP/p/dt=$D/user_items.tsv.zst"
expect_exit 0 "$BIN/dualrec-sim" --world "$world" --date $D --policy none \
    --policy "some=$TMP/p" --report "$TMP/rep" -q
grep -q "^  some " "$OUT_FILE" || { cat "$OUT_FILE"; die "no row for the policy"; }
grep -q "^  none " "$OUT_FILE" || die "no row for none"
[ -s "$TMP/rep/sim.json" ] && [ -s "$TMP/rep/sim.html" ] || die "no report"
grep -q '"pairs": 3' "$TMP/rep/sim.json" || die "pairs of the policy"
if command -v xmllint >/dev/null; then
    xmllint --noout "$TMP/rep/sim.html" || die "sim.html is not well-formed"
fi
# the same run twice: the same bytes
cp "$TMP/rep/sim.json" "$TMP/first.json"
expect_exit 0 "$BIN/dualrec-sim" --world "$world" --date $D --policy none \
    --policy "some=$TMP/p" --report "$TMP/rep" -q
cmp -s "$TMP/first.json" "$TMP/rep/sim.json" || die "sim.json differs between runs"

printf 'user\trank\titem\tscore\tchannel\nu999999\t1\ti2500\t0.9\ttower\n' \
    | zstd -q -f -o "$TMP/p/dt=$D/user_items.tsv.zst"
expect_exit 65 "$BIN/dualrec-sim" --world "$world" --date $D --policy "some=$TMP/p" \
    --report "$TMP/rep"
expect_stderr "dualrec-sim: $TMP/p/dt=$D/user_items.tsv.zst:2: user not in the world 'u999999'"
exit 0
