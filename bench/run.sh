#!/bin/sh
# run.sh -- `make bench`: run every bench/bench_<name>.sh in turn.
#   BENCH=name        run only bench_<name>.sh
#   BENCH_SCALE=f     scale every generated size by f (default 1 = the sizes
#                     the benchmarks state; 0.1 for a quick look)
#   BENCH_DIR=dir     where generated data goes (default bench/out; large)
# Each script prints its own table; figures are from this machine, this
# run: compare ratios to the peer measured in the same run, not to numbers
# from elsewhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
export DUALREC_BIN="$top/bin"
export BENCH_SCALE="${BENCH_SCALE:-1}"
export BENCH_DIR="${BENCH_DIR:-$top/bench/out}"
mkdir -p "$BENCH_DIR"
"$top/scripts/install-deps.sh" --bench

echo "bench: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB," \
     "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}," \
     "BENCH_SCALE=$BENCH_SCALE, $(date -u +%Y-%m-%dT%H:%MZ)"
for b in "$here"/bench_*.sh; do
    name=$(basename "$b" .sh)
    name=${name#bench_}
    if [ -n "${BENCH:-}" ] && [ "$BENCH" != "$name" ]; then
        continue
    fi
    echo
    echo "== $name"
    sh "$b"
done
