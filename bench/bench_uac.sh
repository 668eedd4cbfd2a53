#!/bin/sh
# bench_uac.sh -- dualrec-uac: users/s for features + prediction at
# 1M users x 30 days (BENCH_SCALE scales the users).  The segments are
# written directly by bench/uac_synth.c (no CSV, no ingest), kept under
# $OUT/uac between runs.  Prints the stage's own split (features, model
# training on at most 400k pairs, prediction) and the next-day evaluation.
set -eu
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
users=$(scaled 1000000)
dir=$OUT/uac
root=$dir/seg-$users
mkdir -p "$dir"
export EVAL="$dir/eval.txt" LOG="$dir/uac.log"

# The helper links against the library of this tree.
make -C "$top" --no-print-directory build/libpipeline.a >/dev/null
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -fopenmp \
    -I"$top/include" "$here/uac_synth.c" "$top/build/libpipeline.a" \
    $(pkg-config --libs libzstd) -lxgboost -lm -o "$dir/uac_synth"

if [ ! -f "$root/.complete" ]; then
    rm -rf "$root"
    measure "synthesise $users users x 31 days" \
        "$dir/uac_synth" "$root" "$users" 31 2026-01-31 1 2>/dev/null
    touch "$root/.complete"
fi
echo "  segments: $(du -sh "$root" | cut -f1)"

# stdout (the evaluation) and stderr (the stage's log) go to files; the
# wrapper keeps measure's own line on the terminal.
measure "uac $users users x 30 days, 2 threads" \
    sh -c 'exec "$0" "$@" >"$EVAL" 2>"$LOG"' \
    "$BIN/dualrec-uac" --segments "$root" --date 2026-01-30 --days 30 \
    --out "$dir/avail.bin" --threads 2 -v --eval
sed 's/^/  /' "$dir/uac.log"
awk -v n="$users" -v s="$SECS" \
    'BEGIN { printf "  end to end: %.0f users/s\n", n / s }'
awk -v n="$users" '/seconds: features/ {
        gsub(",", ""); f = $4; t = $6; p = $8;
        printf "  features + prediction: %.0f users/s (%.2f + %.2f s)\n",
               n / (f + p), f, p }' "$dir/uac.log"
sed 's/^/  /' "$dir/eval.txt"
