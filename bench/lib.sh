# lib.sh -- helpers sourced by bench/bench_*.sh.
#   measure LABEL CMD...   run CMD under /usr/bin/time; sets SECS (wall
#                          seconds) and PEAK_MB (peak RSS), prints a line
#   scaled N               N * BENCH_SCALE, rounded
BIN=${DUALREC_BIN:?}
OUT=${BENCH_DIR:?}

measure() {
    label=$1; shift
    tf=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$tf" "$@"
    SECS=$(awk '{print $1}' "$tf")
    PEAK_MB=$(awk '{printf "%.0f", $2 / 1024}' "$tf")
    rm -f "$tf"
    printf '  %-40s %8.2f s  %7s MB peak\n' "$label" "$SECS" "$PEAK_MB"
}

scaled() {
    awk -v n="$1" -v f="${BENCH_SCALE:-1}" 'BEGIN { printf "%d", n * f + 0.5 }'
}
