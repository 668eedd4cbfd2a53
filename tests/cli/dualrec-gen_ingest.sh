# dualrec-gen's logs follow the input contract: a generated world ingests
# with no reject, duplicate or out-of-day row, plain and zstd.
. "$(dirname "$0")/lib.sh"

[ -x "$BIN/dualrec-ingest" ] || { echo "no dualrec-ingest: skipped"; exit 0; }
for z in "" --zstd; do
    rm -rf "$TMP/w" "$TMP/seg"
    expect_exit 0 "$BIN/dualrec-gen" -q --out "$TMP/w" --users 200 \
        --items-per-day 20 --days 2 --start 2026-03-01 --seed 3 $z
    for d in 2026-03-01 2026-03-02; do
        expect_exit 0 "$BIN/dualrec-ingest" --segments "$TMP/seg" --date "$d" \
            --logs "$TMP/w/logs/dt=$d"
        expect_stderr_has " accepted, 0 rejected, 0 duplicates, 0 out of day;"
    done
done
exit 0
