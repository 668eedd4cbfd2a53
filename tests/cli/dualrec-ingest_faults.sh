# dualrec-ingest with each step of its output path failing (ENOSPC, EIO),
# short writes and a disk filling up (tests/fault/lib.sh): exit 74, the
# file and errno named, no partial segment, no temp file, and a rerun gives the
# bytes of a clean run.  Dictionaries and rejects.csv may be committed
# before a later step fails: the day is ingested only when segment.bin is
# there, and a rerun rewrites both with the same bytes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/lib.sh"
W=$TMP/world
"$BIN/dualrec-gen" -q --out "$W" --users 150 --items-per-day 15 --days 1 \
    --start 2026-01-05 --seed 5 || die "dualrec-gen failed"
O=$TMP/seg
OUTDIRS=$O
reset() { rm -rf "$O"; }
sums() { (cd "$O" && find . -type f ! -name .lock | LC_ALL=C sort | xargs sha256sum); }
no_partial() { whole_or_absent "$1" "$O/dt=2026-01-05/segment.bin"; }
fault_sweep "$BIN/dualrec-ingest" -q --segments "$O" --date 2026-01-05 \
    --logs "$W/logs/dt=2026-01-05"
exit 0
