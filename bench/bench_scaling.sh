# bench_scaling.sh -- how each nightly stage's cost grows: the nightly bench
# (bench_nightly.sh, its warm night) at three sizes of users and uploads
# (BENCH_SCALES, default "0.02 0.1 0.5" times 1M users and 100k uploads a
# day, 30 days) and at three window lengths (BENCH_DAYS_LIST, default
# "10 20 30" days at scale BENCH_DAYS_SCALE, default 0.02), then per stage
# the slope of log(wall s) on log(size), fitted by least squares: 1 is
# linear, below 1 the stage has a budget or a fixed part, above 1 it is
# superlinear and breaks first as the platform grows.
#
# BENCH_SCALE is ignored here (each run sets its own).  Worlds are kept
# under $BENCH_DIR/nightly/ and reused, as bench_nightly.sh does.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

scales=${BENCH_SCALES:-0.02 0.1 0.5}
days_list=${BENCH_DAYS_LIST:-10 20 30}
days_scale=${BENCH_DAYS_SCALE:-0.02}
tmp=$OUT/scaling
mkdir -p "$tmp"

# run SIZE OUTFILE KIND VAR=VALUE...: bench_nightly.sh with those
# variables; keeps the stage lines of its warm night in points-KIND.txt
# as "stage size wall cpu mb"
run() {
    size=$1 file=$2 kind=$3; shift 3
    env "$@" sh "$here/bench_nightly.sh" > "$file.log" 2> "$file.err" || {
        echo "  bench_nightly.sh failed at $size (stderr: $file.err)"; exit 1; }
    awk -v size="$size" '
        / night .*warm start/ { warm = 1; next }
        warm && / s .* cpu s .* MB peak/ {
            line = $0; sub(/^ +/, "", line)
            n = split(line, f, " +")
            name = f[1]
            if (name == "night" || name == "eval") name = (name == "eval") ? "eval" : "total"
            # fields from the end: MB peak | cpu s | s
            printf "%s %s %s %s %s\n", name, size, f[n - 7], f[n - 5], f[n - 2]
        }' "$file.log" >> "$tmp/points-$kind.txt"
}

# slopes FILE TITLE: per stage the least-squares slope of log wall on log size
slopes() {
    echo "  $2"
    printf '    %-12s' stage
    for s in $(awk '{print $2}' "$1" | sort -gu); do printf ' %10s' "$s"; done
    printf ' %8s %8s\n' slope "peak MB"
    awk '
        { k = $1; seen[k] = 1; x = log($2); y = log($3 > 0.01 ? $3 : 0.01)
          n[k]++; sx[k] += x; sy[k] += y; sxx[k] += x * x; sxy[k] += x * y
          w[k, $2] = $3; if ($5 > mb[k]) mb[k] = $5; sizes[$2] = 1
          if (!(k in order)) order[k] = ++no }
        END {
            m = 0; for (s in sizes) ss[++m] = s + 0
            for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
                if (ss[j] < ss[i]) { t = ss[i]; ss[i] = ss[j]; ss[j] = t }
            for (k in order) byo[order[k]] = k
            for (o = 1; o <= no; o++) {
                k = byo[o]
                d = n[k] * sxx[k] - sx[k] * sx[k]
                slope = d > 0 ? (n[k] * sxy[k] - sx[k] * sy[k]) / d : 0
                printf "    %-12s", k
                for (i = 1; i <= m; i++) printf " %9.1fs", w[k, ss[i]]
                printf " %8.2f %8d\n", slope, mb[k]
            }
        }' "$1"
}

echo "scaling: users x uploads at scales $scales (30 days); days $days_list at scale $days_scale"
rm -f "$tmp"/points-*.txt
for s in $scales; do
    run "$s" "$tmp/scale-$s" users BENCH_SCALE="$s" BENCH_DAYS=30
done
for d in $days_list; do
    run "$d" "$tmp/days-$d" days BENCH_SCALE="$days_scale" BENCH_DAYS="$d"
done
slopes "$tmp/points-users.txt" "wall s of the warm night by scale (1 = 1M users, 100k uploads a day)"
slopes "$tmp/points-days.txt" "wall s of the warm night by window days (scale $days_scale)"
