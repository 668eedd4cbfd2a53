#!/bin/sh
# dualrec-uac on the sample world: ingest seven days (one of them then
# removed), build the table for the sixth day's next day with a TSV, and
# check the report of the missing day, the TSV shape and that the same run
# twice writes the same bytes (also with 1 thread).  stdout stays empty:
# the evaluation is dualrec-eval uac (dualrec-eval_uac_world.sh).
. "$(dirname "$0")/lib.sh"
S="$TMP/seg"
W="$SAMPLES/world/logs"

for d in 05 06 07 08 09 10 11; do
    expect_exit 0 "$BIN/dualrec-ingest" -q --segments "$S" \
        --date "2026-01-$d" --logs "$W/dt=2026-01-$d"
done
rm -r "$S/dt=2026-01-07"

U="$BIN/dualrec-uac"
expect_exit 0 "$U" --segments "$S" --date 2026-01-10 --days 6 \
    --out "$TMP/a.bin" --tsv "$TMP/a.tsv" --rounds 10 --threads 2
expect_stderr_has "dualrec-uac: missing day 2026-01-07 in the window: treated as unobserved (no evidence either way, not a label day)"
expect_stderr_has "dualrec-uac: 2026-01-11: "
[ -s "$OUT_FILE" ] && die "stdout not empty"
[ -f "$TMP/a.bin" ] || die "no table"

# TSV: header + one row per user of the dictionary, 29 columns each.
head -1 "$TMP/a.tsv" | grep -q '^user	p_active	a_u	Q_u	h00	' ||
    die "bad TSV header"
cols=$(awk -F'\t' '{ print NF }' "$TMP/a.tsv" | sort -u)
[ "$cols" = "29" ] || die "TSV rows of $cols columns"
rows=$(($(wc -l < "$TMP/a.tsv") - 1))
[ "$rows" -gt 1000 ] || die "only $rows TSV rows"
awk -F'\t' 'NR > 1 && ($2 < 0 || $2 > 1 || ($3 != 0 && $3 != 1) || $4 < 1) {
    bad = 1 } END { exit bad }' "$TMP/a.tsv" || die "TSV value out of range"

# Deterministic: same bytes again, and with one thread.
expect_exit 0 "$U" -q --segments "$S" --date 2026-01-10 --days 6 \
    --out "$TMP/b.bin" --rounds 10 --threads 1
cmp -s "$TMP/a.bin" "$TMP/b.bin" || die "1 and 2 threads differ"

# The evaluation left dualrec-uac.
expect_exit 64 "$U" -q --segments "$S" --date 2026-01-10 --days 6 \
    --out "$TMP/c.bin" --eval
expect_stderr_has "usage: dualrec-uac"
[ -e "$TMP/c.bin" ] && die "an output was written"
exit 0
