#!/bin/sh
# make-samples.sh -- regenerate the committed sample world in
# data-samples/world/ (used by README's first command and by tests).
#
# The world: 1,500 users, 120 uploads a day (3,240 creators), 14 days from
# Monday 2026-01-05, seed 1, zstd CSVs; about 5 MB in all.  The output is
# byte-identical on every run and thread count, so `git status` after
# `make samples` shows a change only when the generator changed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out="$top/data-samples/world"

rm -rf "$out.tmp"
"$top/bin/dualrec-gen" --out "$out.tmp" --users 1500 --items-per-day 120 \
    --days 14 --start 2026-01-05 --seed 1 --zstd
rm -rf "$out"
mv "$out.tmp" "$out"
du -sh "$out" >&2
