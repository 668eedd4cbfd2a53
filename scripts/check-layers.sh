#!/bin/sh
# check-layers.sh -- the layering rule of src/ and include/.
#
#   scripts/check-layers.sh base store ingest ...   (lowest layer first)
#
# A file in src/<layer>/ or include/<layer>/ may include the headers of its
# own layer and of the layers named before it, never of a later one: the
# base helpers know nothing of segments, models never parse CSV, stages
# never reach into evaluation.  Internal headers (src/<layer>/*_int.h)
# belong to their folder's layer.  Prints each violation as
# `file:line: includes 'x.h' of layer L above L'` and exits 1 if any.
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: check-layers.sh LAYER..." >&2; exit 64; }
rank=0
ranks=""
for l in "$@"; do
    ranks="$ranks $l=$rank"
    rank=$((rank + 1))
done
layer_rank() {
    for kv in $ranks; do
        [ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }
    done
    echo ""
}
header_layer() {
    for d in include/*/ src/*/; do
        if [ -f "$d$1" ]; then
            basename "$d"
            return
        fi
    done
    echo ""
}
bad=0
for dir in src/* include/*; do
    [ -d "$dir" ] || continue
    layer=$(basename "$dir")
    me=$(layer_rank "$layer")
    if [ -z "$me" ]; then
        echo "$dir: folder is not a layer (layers: $*)"
        bad=1
        continue
    fi
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -f "$f" ] || continue
        grep -n '^#include "' "$f" | while IFS= read -r hit; do
            line=${hit%%:*}
            h=$(echo "$hit" | sed 's/.*#include "\([^"]*\)".*/\1/')
            hl=$(header_layer "$h")
            if [ -z "$hl" ]; then
                echo "$f:$line: includes '$h', found in no layer"
                exit 1
            fi
            them=$(layer_rank "$hl")
            if [ "$them" -gt "$me" ]; then
                echo "$f:$line: includes '$h' of layer $hl above $layer"
                exit 1
            fi
        done || bad=1
    done
done
[ "$bad" -eq 0 ] && echo "layers: ok ($*)"
exit "$bad"
