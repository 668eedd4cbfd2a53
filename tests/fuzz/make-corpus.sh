#!/bin/sh
# make-corpus.sh -- regenerate the seed corpus of the fuzz targets
# (tests/fuzz/corpus/<target>/, committed) from data-samples/ and from
# files the product writes for a tiny generated world.
#   tests/fuzz/make-corpus.sh [BIN]     (BIN: dualrec executables, ./bin)
# Inputs that made a target fail once are kept beside the seeds.
# Seeds of the payload readers come two ways, as their targets read them:
# 0x00 + the payload (the binfile around it is rebuilt by the target) and
# 0x01 + the whole file.  Seeds stay small: a world of 40 users, 2 days.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${1:-$top/bin}
c=$here/corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dualrec-corpus-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# the product's files for a tiny world
"$bin/dualrec-gen" -q --out "$tmp/w" --users 40 --items-per-day 8 --days 2 \
    --creators 4 --tags 6 --start 2026-01-05
"$bin/dualrec-gen" -q --zstd --out "$tmp/wz" --users 20 --items-per-day 4 \
    --days 1 --creators 2 --tags 4 --start 2026-01-05
s=$tmp/seg
for day in 2026-01-05 2026-01-06; do
    "$bin/dualrec-ingest" -q --segments "$s" --date $day \
        --logs "$tmp/w/logs/dt=$day"
done
m=$tmp/m
mkdir -p "$m"
"$bin/dualrec-train-tower" -q --segments "$s" --date 2026-01-06 --days 2 \
    --epochs 1 --dim 4 --out "$m/tower.bin"
"$bin/dualrec-train-rank" -q --segments "$s" --date 2026-01-06 --days 2 \
    --epochs 1 --dim 2 --hidden 2 --hash-bits 8 --out "$m/rank.bin"
"$bin/dualrec-uac" -q --segments "$s" --date 2026-01-06 --days 2 \
    --rounds 2 --out "$m/avail.bin"
# relative paths: the manifest names its inputs, and the seed must not
# depend on where the scratch directory was
(cd "$tmp" && "$bin/dualrec-match" -q --segments seg --date 2026-01-06 \
    --days 2 --tower m/tower.bin --rank m/rank.bin --avail m/avail.bin \
    --L 5 --out out)

# seeds are named by 16 hex digits of their sha1; inputs that once failed
# (<target>-crash-*, -oom-*, -timeout-*, kept as regression inputs) stay
mkdir -p "$c"
find "$c" -type f -name '????????????????' -delete
# seed NAME TARGET: a file into a target's corpus, named after its content
seed() {
    mkdir -p "$c/$2"
    cp "$1" "$c/$2/$(sha1sum < "$1" | cut -c1-16)"
}
# payload seeds: 0x00 + payload, 0x01 + file
binseed() {
    { printf '\000'; tail -c +49 "$1" | zstd -dcq; } > "$tmp/p"
    seed "$tmp/p" "$2"
    { printf '\001'; cat "$1"; } > "$tmp/p"
    seed "$tmp/p" "$2"
}
for f in "$s"/dt=*/segment.bin; do binseed "$f" segment; done
for f in "$s"/dict/*.dict; do binseed "$f" iddict; done
binseed "$m/tower.bin" tower
binseed "$m/rank.bin" rank
binseed "$m/avail.bin" avail
for f in "$s"/dt=2026-01-06/segment.bin "$s"/dict/items.dict \
         "$m/tower.bin" "$m/avail.bin"; do
    seed "$f" binfile
done
seed "$tmp/out/dt=2026-01-06/manifest.json" manifest

# logread: byte 0 = table (0 exposures .. 4 users) + flags (fuzz_logread.c)
logseed() {     # SELECTOR FILE: the first 40 lines of FILE (zstd or not)
    { printf "\\$(printf %o "$1")"
      case "$2" in *.zst) zstd -dcq "$2" ;; *) cat "$2" ;; esac \
          | head -n 40; } > "$tmp/p"
    seed "$tmp/p" logread
}
ld=$tmp/w/logs/dt=2026-01-05
logseed 0 "$ld/exposures.csv"
logseed 1 "$ld/interactions.csv"
logseed 2 "$ld/items.csv"
logseed 3 "$ld/follows.csv"
logseed 4 "$ld/users.csv"
logseed 64 "$ld/exposures.csv"          # two threads
for f in "$top"/data-samples/ingest/dt=*/*.csv "$top"/data-samples/real/*/*.csv; do
    [ -f "$f" ] || continue
    case "$(basename "$f")" in
    *inter*|*rating*) t=1 ;; *item*|*video*|*movie*) t=2 ;;
    *follow*) t=3 ;; *user*) t=4 ;; *) t=0 ;;
    esac
    logseed $t "$f"
done
for f in "$top"/data-samples/bad/*.csv; do
    logseed 0 "$f"
done
# a zstd log as it arrives
{ printf '\000'; cat "$tmp/wz/logs/dt=2026-01-05/exposures.csv.zst"; } > "$tmp/p"
seed "$tmp/p" logread

# zin: byte 0 bit 0 = ".zst" name, bits 1-3 read size, bit 4 read ahead
for f in "$tmp"/wz/logs/dt=2026-01-05/*.zst "$top"/data-samples/bad/*.zst; do
    { printf '\031'; cat "$f"; } > "$tmp/p"
    seed "$tmp/p" zin
done
{ printf '\006'; head -c 3000 "$ld/items.csv"; } > "$tmp/p"
seed "$tmp/p" zin
