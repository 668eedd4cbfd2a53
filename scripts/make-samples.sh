#!/bin/sh
# make-samples.sh [DIR] -- regenerate the sample world, by default into the
# committed data-samples/world/ (used by README's first command and by
# tests).  DUALREC_BIN picks the directory of dualrec-gen (default bin/).
#
# The world: 1,500 users, 120 uploads a day (3,240 creators), 14 days from
# Monday 2026-01-05, seed 1, zstd CSVs; about 5 MB in all.  The output is
# byte-identical on every run and thread count, so `git status` after
# `make samples` shows a change only when the generator changed (and
# tests/cli/dualrec-gen_sample.sh fails until it is rerun).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bin=${DUALREC_BIN:-$top/bin}
out=${1:-$top/data-samples/world}

rm -rf "$out.tmp"
"$bin/dualrec-gen" --out "$out.tmp" --users 1500 --items-per-day 120 \
    --days 14 --start 2026-01-05 --seed 1 --zstd
rm -rf "$out"
mv "$out.tmp" "$out"
du -sh "$out" >&2
