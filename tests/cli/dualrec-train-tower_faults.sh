# dualrec-train-tower with each step of writing the model failing (ENOSPC,
# EIO), short writes and a disk filling up (tests/fault/lib.sh): exit 74,
# the file and errno named, no model, no temp file, and a rerun gives the
# bytes of a clean run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../fault/lib.sh"
fault_world
O=$TMP/o
OUTDIRS=$O
reset() { rm -rf "$O"; mkdir -p "$O"; }
sums() { sha256sum "$O"/*; }
no_partial() { whole_or_absent "$1" "$O/tower.bin"; }
fault_sweep "$BIN/dualrec-train-tower" -q --segments "$S" --date $D --days 2 \
    --dim 8 --epochs 1 --out "$O/tower.bin"
exit 0
