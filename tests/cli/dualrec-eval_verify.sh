# dualrec-eval --verify: prints each complete dualrec file on stdout and
# exits 0; a truncated or bit-flipped file exits 65, a missing one 66, a
# file that is not a dualrec file 65, each with its path in the message.
. "$(dirname "$0")/lib.sh"
day=$SAMPLES/world/logs/dt=2026-01-05
expect_exit 0 "$BIN/dualrec-ingest" --segments "$TMP/s" --date 2026-01-05 --logs "$day" -q
seg=$TMP/s/dt=2026-01-05/segment.bin
expect_exit 0 "$BIN/dualrec-eval" --verify "$seg" "$TMP/s/dict/users.dict"
printf '%s\n%s\n' "$seg" "$TMP/s/dict/users.dict" > "$TMP/want"
cmp -s "$TMP/want" "$OUT_FILE" || die "stdout should list both files"

size=$(wc -c < "$seg")
head -c $((size - 7)) "$seg" > "$TMP/short.bin"
expect_exit 65 "$BIN/dualrec-eval" --verify "$TMP/short.bin"
expect_stderr_has "dualrec-eval: $TMP/short.bin: "
[ ! -s "$OUT_FILE" ] || die "a truncated file was listed"

cp "$seg" "$TMP/flip.bin"
printf 'Z' | dd of="$TMP/flip.bin" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null
expect_exit 65 "$BIN/dualrec-eval" --verify "$TMP/flip.bin"

echo "this is a text file, not a dualrec file" > "$TMP/text.bin"
expect_exit 65 "$BIN/dualrec-eval" --verify "$TMP/text.bin"
expect_stderr "dualrec-eval: $TMP/text.bin: offset 0: not a dualrec file"

# the good one is still listed when another fails; the exit code is the
# first failure's
expect_exit 66 "$BIN/dualrec-eval" --verify "$TMP/missing.bin" "$seg" "$TMP/text.bin"
[ "$(cat "$OUT_FILE")" = "$seg" ] || die "good file not listed among bad ones"
expect_stderr_has "dualrec-eval: $TMP/missing.bin: cannot open: No such file or directory"
exit 0
