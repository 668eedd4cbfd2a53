# bench_quality.sh -- how much of the ground-truth oracle's expected creator
# feedback the published tables reach (docs/quality.md), on generated worlds
# of several shapes, each over several seeds.
#
# For every shape and seed: dualrec-gen writes a world of BENCH_QDAYS days
# (default 10), run_daily.sh runs the nightly chain for the day before the
# last (defaults, eval off, dualrec-match --dump-cands), and
# `dualrec-eval oracle` values the table of that day's uploads against the
# oracle, most-active, most-likes and random users at L = 200, Q = 10, with
# the regret decomposition.  The table gives mean and standard deviation
# over the seeds (BENCH_SEEDS, default "1 2 3").  BENCH_QRANK_ARGS is passed
# to dualrec-train-rank (e.g. "--max-per-day 100000" to bound its time on
# large worlds).
#
# Shapes (users scale with BENCH_SCALE; at scale 1 they are the development
# sizes, 5k-8k users; BENCH_SCALE=10 gives 50k-80k):
#   base     5000 users, 200 uploads/day, 6 impressions/session
#   light    8000 users, 400 uploads/day, 3 impressions/session (less
#            activity per user, more uploads: capacity is scarcer)
#   heavy    5000 users, 100 uploads/day, 10 impressions/session
# dualrec-gen has no separate knob for the share of users who like or for
# the skew of activity; the impressions per session move both the activity
# level and how many likes a user leaves.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)

root=$OUT/quality
days=${BENCH_QDAYS:-10}
seeds=${BENCH_SEEDS:-1 2 3}
shapes=${BENCH_SHAPES:-base light heavy}
start=2026-01-05
last=$(date -u -d "$start $((days - 1)) days" +%F)
D=$(date -u -d "$last -1 day" +%F)
rm -rf "$root"
mkdir -p "$root"

# Uploads scale with BENCH_QITEM_SCALE (default 1): the oracle holds
# dense (uploads x users) matrices, and a market of 200 uploads is what the
# figures are about.
items() {
    awk -v n="$1" -v f="${BENCH_QITEM_SCALE:-1}" 'BEGIN { printf "%d", n * f + 0.5 }'
}
shape_args() {
    case "$1" in
    base)  echo "--users $(scaled 5000) --items-per-day $(items 200) --imp-per-session 6" ;;
    light) echo "--users $(scaled 8000) --items-per-day $(items 400) --imp-per-session 3" ;;
    heavy) echo "--users $(scaled 5000) --items-per-day $(items 100) --imp-per-session 10" ;;
    *) echo "bench_quality: unknown shape '$1'" >&2; exit 64 ;;
    esac
}

echo "quality: shapes '$shapes', seeds '$seeds', $days days, run date $D," \
     "L 200, Q 10 (eval), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
for shape in $shapes; do
    for seed in $seeds; do
        dir=$root/$shape-$seed
        # shellcheck disable=SC2046
        "$BIN/dualrec-gen" --out "$dir/world" $(shape_args "$shape") \
            --days "$days" --start "$start" --seed "$seed" --zstd -q || exit 1
        cat > "$dir/run.conf" <<EOC
root = $dir
logs = $dir/world/logs
bin = $BIN
eval = 0
seed = $seed
match_args = --dump-cands $dir/cands.tsv
rank_args = ${BENCH_QRANK_ARGS:-}
EOC
        t0=$(date +%s)
        "$top/run_daily.sh" --config "$dir/run.conf" --date "$D" -q
        rc=$?
        if [ "$rc" != 0 ]; then
            echo "  $shape seed $seed: run_daily.sh exit $rc (see $dir/logs-run)"
            continue
        fi
        "$BIN/dualrec-eval" oracle --world "$dir/world" \
            --segments "$dir/segments" --tables "$dir/out" --date "$D" \
            --avail "$dir/avail/dt=$D/avail.bin" --cands "$dir/cands.tsv" \
            --L 200 --Q 10 --report "$dir/eval" -q > /dev/null || exit 1
        echo "  $shape seed $seed: $(( $(date +%s) - t0 )) s"
    done
done

python3 - "$root" $shapes <<'EOF'
import json, os, statistics, sys
root, shapes = sys.argv[1], sys.argv[2:]
COLS = ["feedback per item", "share of oracle", "pairs", "pair budget used",
        "uploads covered", "users with items", "median items per user",
        "users above Q"]
rows = [("oracle feedback / upload", lambda o: o["feedback_oracle"], "%.3f"),
        ("published feedback / upload", lambda o: o["feedback_published"], "%.3f"),
        ("published / oracle", lambda o: o["share_of_oracle"], "%.3f"),
        ("published / most-active", lambda o: o["vs_most_active"], "%.2f"),
        ("most-active / oracle", lambda o: pol(o, "most-active", 1), "%.3f"),
        ("most-likes / oracle", lambda o: pol(o, "most-likes", 1), "%.3f"),
        ("random / oracle", lambda o: pol(o, "random", 1), "%.3f"),
        ("uploads covered", lambda o: o["coverage"], "%.3f"),
        ("pair budget used", lambda o: o["budget_used"], "%.3f"),
        ("users above Q", lambda o: pol(o, "published", 7), "%.0f")]
steps = ["availability", "capacity", "retrieval", "affinity", "matching"]
def pol(o, name, col):
    for r in o["policies"]["rows"]:
        if r["policy"] == name:
            return r[COLS[col]]
    return float("nan")
def fmt(v, f):
    if not v:
        return "-"
    m = statistics.mean(v)
    s = statistics.stdev(v) if len(v) > 1 else 0.0
    return (f % m) + " +- " + (f % s)
res = {}
for sh in shapes:
    res[sh] = []
    for d in sorted(os.listdir(root)):
        if d.rsplit("-", 1)[0] != sh:
            continue
        p = os.path.join(root, d, "eval", "oracle.json")
        if os.path.exists(p):
            res[sh].append(json.load(open(p))["sections"])
print("  %-32s" % "figure (mean +- sd over seeds)" + "".join("%22s" % s for s in shapes))
print("  %-32s" % "seeds" + "".join("%22d" % len(res[s]) for s in shapes))
for name, fn, f in rows:
    print("  %-32s" % name + "".join("%22s" % fmt([fn(o["oracle"]) for o in res[s]], f) for s in shapes))
for st in steps:
    print("  %-32s" % ("loss: " + st + " / upload") + "".join(
        "%22s" % fmt([o["regret"]["loss_" + st] for o in res[s] if "loss_" + st in o.get("regret", {})], "%.3f")
        for s in shapes))
EOF
