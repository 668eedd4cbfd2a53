#!/bin/sh
# dualrec-retrieve on two ingested days of the sample world: TSV on stdout
# (item, user, channels, score; k rows per target at most), targets from a
# file with unknown ids skipped and counted, usage errors exit 64, a
# missing model exits 66.
. "$(dirname "$0")/lib.sh"

W=$SAMPLES/world/logs
for d in 2026-01-16 2026-01-17; do
    expect_exit 0 "$BIN/dualrec-ingest" -q --segments "$TMP/seg" --date "$d" --logs "$W/dt=$d"
done
expect_exit 0 "$BIN/dualrec-train-tower" -q --segments "$TMP/seg" --date 2026-01-17 --days 2 --epochs 2 --dim 8 --out "$TMP/m"

expect_exit 0 "$BIN/dualrec-retrieve" --segments "$TMP/seg" --date 2026-01-17 --days 2 --tower "$TMP/m" -k 7
expect_stderr_has "2 of 2 days loaded"
[ -s "$OUT_FILE" ] || die "no candidates"
awk -F '\t' 'NF != 4 || $3 !~ /^(tower|i2i2u|i2u2u|creator)(\+(tower|i2i2u|i2u2u|creator))*$/ { exit 1 }' "$OUT_FILE" \
    || die "bad TSV row"
awk -F '\t' '{ n[$1]++ } END { for (i in n) if (n[i] > 7) exit 1 }' "$OUT_FILE" \
    || die "more than k rows for an item"

item=$(head -n 1 "$OUT_FILE" | cut -f 1)
printf '%s\nno-such-item\n' "$item" > "$TMP/targets"
expect_exit 0 "$BIN/dualrec-retrieve" --segments "$TMP/seg" --date 2026-01-17 --days 2 --tower "$TMP/m" -k 3 --channels tower,creator --targets "$TMP/targets"
expect_stderr_has "1 targets (1 unknown ids skipped), 3 candidates"
[ "$(cut -f 1 "$OUT_FILE" | sort -u)" = "$item" ] || die "wrong target"

expect_exit 64 "$BIN/dualrec-retrieve" --segments "$TMP/seg" --date 2026-01-17 --tower "$TMP/m" --channels tower,bogus
expect_stderr "dualrec-retrieve: --channels: unknown channel 'bogus'"
expect_exit 64 "$BIN/dualrec-retrieve" --segments "$TMP/seg" --date 2026-01-17
expect_stderr_has "usage: dualrec-retrieve"
expect_exit 66 "$BIN/dualrec-retrieve" --segments "$TMP/seg" --date 2026-01-17 --tower "$TMP/none"
expect_stderr "dualrec-retrieve: $TMP/none: cannot open: No such file or directory"
exit 0
