# lib.sh -- helpers sourced by bench/bench_*.sh.
#   measure LABEL CMD...   run CMD under /usr/bin/time; sets SECS (wall
#                          seconds), CPU_S (user + system seconds) and
#                          PEAK_MB (peak RSS), prints a line
#   scaled N               N * BENCH_SCALE, rounded
BIN=${DUALREC_BIN:?}
OUT=${BENCH_DIR:?}

measure() {
    label=$1; shift
    tf=$(mktemp)
    /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@"
    rc=$?
    # time(1) prints "Command exited with non-zero status N" first then
    SECS=$(tail -n 1 "$tf" | awk '{print $1}')
    PEAK_MB=$(tail -n 1 "$tf" | awk '{printf "%.0f", $2 / 1024}')
    CPU_S=$(tail -n 1 "$tf" | awk '{printf "%.2f", $3 + $4}')
    rm -f "$tf"
    printf '  %-40s %8.2f s %8s cpu s %7s MB peak\n' "$label" "$SECS" "$CPU_S" "$PEAK_MB"
    return $rc
}

scaled() {
    awk -v n="$1" -v f="${BENCH_SCALE:-1}" 'BEGIN { printf "%d", n * f + 0.5 }'
}
