# dualrec-uac with each step of writing availability failing (ENOSPC,
# EIO), short writes and a disk filling up (tests/fault/lib.sh): exit 74,
# the file and errno named, no avail.bin, no temp file, and a rerun gives
# the bytes of a clean run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/lib.sh"
fault_world
O=$TMP/o
OUTDIRS=$O
reset() { rm -rf "$O"; mkdir -p "$O"; }
sums() { sha256sum "$O"/*; }
no_partial() { whole_or_absent "$1" "$O/avail.bin"; }
fault_sweep "$BIN/dualrec-uac" -q --segments "$S" --date $D --days 2 \
    --rounds 3 --train-days 1 --out "$O/avail.bin"
exit 0
