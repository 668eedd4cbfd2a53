# dualrec-ingest and dualrec-train-tower on a real full disk: a tmpfs
# smaller than what each writes (mounted here when run as root; skipped,
# saying why, where mount is not allowed).  Exit 74 with ENOSPC named, no
# temp file, no partial output; on a large enough disk the same command
# writes the clean run's bytes.
. "$(dirname "$0")/lib.sh"
mnt=$TMP/small
mkdir -p "$mnt"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=16k tmpfs "$mnt" 2>/dev/null; then
    echo "dualrec-ingest_enospc: skipped: cannot mount a tmpfs here (needs root and mount rights)" >&2
    exit 0
fi
trap 'umount "$mnt" 2>/dev/null; rm -rf "$TMP"' EXIT
W=$TMP/world
"$BIN/dualrec-gen" -q --out "$W" --users 150 --items-per-day 15 --days 1 \
    --start 2026-01-05 --seed 5 || die "dualrec-gen failed"
ing() {
    "$BIN/dualrec-ingest" -q --segments "$1" --date 2026-01-05 \
        --logs "$W/logs/dt=2026-01-05"
}
expect_exit 0 ing "$TMP/big"
size=$(du -sk "$TMP/big" | cut -f1)
[ "$size" -gt 16 ] || die "the clean output ($size KB) fits the small disk"
expect_exit 74 ing "$mnt/seg"
expect_stderr_has "No space left on device"
expect_stderr_has "dualrec-ingest: $mnt/seg/"
left=$(find "$mnt" -name '*.tmp.*')
[ -z "$left" ] || die "temp files left on the full disk: $left"
[ ! -e "$mnt/seg/dt=2026-01-05/segment.bin" ] || die "segment.bin on the full disk"

# the model of a day does not fit either
expect_exit 0 "$BIN/dualrec-train-tower" -q --segments "$TMP/big" \
    --date 2026-01-05 --days 1 --dim 32 --epochs 1 --out "$TMP/tower.bin"
[ "$(du -k "$TMP/tower.bin" | cut -f1)" -gt 16 ] || die "tower.bin fits"
rm -rf "$mnt/seg"
expect_exit 74 "$BIN/dualrec-train-tower" -q --segments "$TMP/big" \
    --date 2026-01-05 --days 1 --dim 32 --epochs 1 --out "$mnt/tower.bin"
expect_stderr_has "No space left on device"
[ -z "$(ls -A "$mnt")" ] || die "the full disk holds: $(ls -A "$mnt")"
umount "$mnt" || die "cannot unmount $mnt"
exit 0
