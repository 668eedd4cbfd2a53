# dualrec-gen: a tiny world in zstd, its layout, and same bytes for the
# same seed with 1 and 2 threads.
. "$(dirname "$0")/lib.sh"

gen() {
    OMP_NUM_THREADS=$1 "$BIN/dualrec-gen" --out "$2" --users 300 \
        --items-per-day 30 --days 2 --start 2026-03-01 --seed 5 --zstd
}

expect_exit 0 gen 1 "$TMP/a"
expect_stderr_has "2 days, 300 users"
expect_stderr_has "peak"
[ -s "$OUT_FILE" ] && die "stdout is not empty"
for d in 2026-03-01 2026-03-02; do
    for f in exposures interactions items follows users; do
        p="$TMP/a/logs/dt=$d/$f.csv.zst"
        [ -f "$p" ] || die "missing $p"
        zstd -tq "$p" || die "bad zstd frame in $p"
    done
done
[ -f "$TMP/a/logs/dt=2026-03-03/exposures.csv.zst" ] && die "extra day"
h=$(zstd -dc "$TMP/a/logs/dt=2026-03-02/exposures.csv.zst" | head -n 1)
[ "$h" = "time,user,item,click,like,comment,follow,share,long_view,hate,play_ms,duration_ms" ] \
    || die "exposures header '$h'"
for f in world.bin items.bin summary.tsv params.tsv hours.tsv \
         days/dt=2026-03-01.bin \
         days/dt=2026-03-02.bin; do
    [ -f "$TMP/a/truth/$f" ] || die "missing truth/$f"
done
[ "$(wc -l <"$TMP/a/truth/summary.tsv")" -eq 3 ] || die "summary rows"
# 2026-03-01 is a Sunday, 03-02 a Monday: 2 x 24 hours
[ "$(wc -l <"$TMP/a/truth/hours.tsv")" -eq 49 ] || die "hours rows"

expect_exit 0 gen 2 "$TMP/b"
(cd "$TMP/a" && find . -type f | sort | xargs cksum) >"$TMP/a.sum"
(cd "$TMP/b" && find . -type f | sort | xargs cksum) >"$TMP/b.sum"
cmp -s "$TMP/a.sum" "$TMP/b.sum" || die "outputs differ between 1 and 2 threads"
ls "$TMP"/a/logs/*/*.tmp.* 2>/dev/null && die "temp files left"
exit 0
